"""Records → raw field-weighted feature counts, in one process or several.

A worker analyses a chunk of records with :func:`~matchmaker.matching.text.analyze` and numbers
the features it meets in a chunk-local vocabulary; the parent maps those local numbers onto the
engine's global :class:`Vocabulary`.  Only arrays and the chunk's distinct feature strings cross
the process boundary, and at most a few chunks are in flight, so memory stays flat while the
records are streamed.
"""

from __future__ import annotations

import json
import mmap
import multiprocessing as mp
import zlib
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .config import EngineConfig
from .glossary import CONCEPT_PREFIX
from .text import analyze

CHUNK = 500  # records per task: big enough to amortise pickling, small enough to stream


class Vocabulary:
    """Feature string ↔ column number; grows when new features arrive after fit."""

    def __init__(self, features: Iterable[str] = ()) -> None:
        self.features: list[str] = list(features)
        self.index: dict[str, int] = {f: i for i, f in enumerate(self.features)}

    def __len__(self) -> int:
        return len(self.features)

    def map_local(self, local: list[str]) -> np.ndarray:
        """Global columns of chunk-local features, adding the ones not seen before."""
        index, features = self.index, self.features
        out = np.empty(len(local), dtype=np.int64)
        for i, feature in enumerate(local):
            col = index.get(feature)
            if col is None:
                col = index[feature] = len(features)
                features.append(feature)
            out[i] = col
        return out

    def lookup(self, features: Iterable[str]) -> np.ndarray:
        """Columns of known features (unknown ones are skipped: nothing indexed has them)."""
        index = self.index
        return np.fromiter((c for c in map(index.get, features) if c is not None), dtype=np.int64)


def encode_fields(fields: Mapping[str, str]) -> bytes:
    """Compact form of a record's fields, kept so explanations can show the candidate's words."""
    return zlib.compress(json.dumps(dict(fields), ensure_ascii=False).encode("utf-8"), 1)


def decode_fields(blob: bytes) -> dict[str, str]:
    """Inverse of :func:`encode_fields`."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def count_chunk(config: EngineConfig, chunk: list[Mapping[str, str]], keep_text: bool = True) -> tuple:
    """Weighted counts of a chunk of records against a chunk-local vocabulary.

    Returns ``(local_features, indptr, indices, data, blobs)``; rows follow ``chunk`` order.
    The weights are those of :meth:`EngineConfig.weight` (field weight, times the concept weight
    for concept features).
    """
    options = config.analyzer_options()
    # Numbers features in C: a missing key gets the next number (the dict's size) when first met.
    vocab: defaultdict[str, int] = defaultdict()
    vocab.default_factory = vocab.__len__
    number = vocab.__getitem__
    cols: list[int] = []
    field_weights: list[float] = []  # per run of features: the field's weight, and the run's length
    run_lengths: list[int] = []
    lengths: list[int] = []
    for fields in chunk:
        before = len(cols)
        for field, text in fields.items():
            if not text:
                continue
            features = analyze(text, **options)
            cols.extend(map(number, features))
            field_weights.append(config.field_weight(field))
            run_lengths.append(len(features))
        lengths.append(len(cols) - before)
    cols_array = np.asarray(cols, dtype=np.int64)
    # The weights of EngineConfig.weight: the field's, times the concept weight for a concept.
    weights = np.repeat(np.asarray(field_weights, dtype=np.float64), run_lengths)
    concept = np.fromiter((f.startswith(CONCEPT_PREFIX) for f in vocab), dtype=bool, count=len(vocab))
    weights[concept[cols_array]] *= config.concept_weight
    rows = np.repeat(np.arange(len(chunk)), lengths)
    matrix = sp.csr_matrix(
        (weights.astype(np.float32), (rows, cols_array)),
        shape=(len(chunk), len(vocab)),
    )  # duplicates (a feature seen twice in a record) are summed here
    blobs = [encode_fields(f) for f in chunk] if keep_text else []
    return list(vocab), matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), matrix.data, blobs


def _worker_init() -> None:
    analyze("warm up 石墨烯")  # load the glossary once per worker, not inside the first task


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _counted_chunks(
    config: EngineConfig, fields: Iterable[Mapping[str, str]], n_jobs: int
) -> Iterator[tuple]:
    """``count_chunk`` results in input order, computed by ``n_jobs`` worker processes."""
    if n_jobs <= 1:
        for chunk in _chunks(fields, CHUNK):
            yield count_chunk(config, chunk)
        return
    # forkserver: safe to start from a threaded server process, unlike fork.
    ctx = mp.get_context("forkserver")
    with ctx.Pool(n_jobs, initializer=_worker_init) as pool:
        pending: deque = deque()
        for chunk in _chunks(fields, CHUNK):
            pending.append(pool.apply_async(count_chunk, (config, chunk)))
            if len(pending) >= 3 * n_jobs:  # back-pressure: never queue the whole corpus
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


BLOCK_ENTRIES = 1 << 24  # entries per joined block (64 MB arrays)


@dataclass
class CountBlock:
    """Raw counts of consecutive records: CSR arrays with the rows numbered from 0.

    The index and data arrays live in anonymous memory maps of their own, so that a fit can give
    back the pages of entries it has already written into the index (:meth:`keep`), not only
    whole blocks: a block outlives most of its entries otherwise.
    """

    indptr: np.ndarray  # int64, (n_rows + 1,), starting at 0
    indices: np.ndarray  # int32 global columns, not sorted within a row
    data: np.ndarray  # float32 raw counts

    @property
    def n_rows(self) -> int:
        return self.indptr.size - 1

    def rows(self, lo: int, hi: int, n_cols: int) -> sp.csr_matrix:
        """Rows ``lo .. hi - 1`` as a matrix sharing this block's arrays (no copy of the entries)."""
        start, end = self.indptr[lo], self.indptr[hi]
        return sp.csr_matrix(
            (self.data[start:end], self.indices[start:end], self.indptr[lo : hi + 1] - start),
            shape=(hi - lo, n_cols),
            copy=False,
        )

    def keep(self, n_entries: int) -> None:
        """Keep the first ``n_entries`` entries and return the pages of the rest to the system."""
        self.indices = _release_after(self.indices, n_entries)
        self.data = _release_after(self.data, n_entries)


def _mapped(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """``parts`` joined into an array backed by an anonymous map of its own (the list is emptied)."""
    size = sum(p.size for p in parts)
    # Private, not mmap's default shared map: MADV_DONTNEED frees a private map's pages, whereas a
    # shared anonymous map keeps them in shared memory (out of the RSS but still taken).
    buffer = mmap.mmap(-1, max(size, 1) * np.dtype(dtype).itemsize, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    out = np.frombuffer(buffer, dtype=dtype)[:size]
    if parts:
        np.concatenate(parts, out=out, casting="same_kind")
    parts.clear()
    return out


def _release_after(array: np.ndarray, n: int) -> np.ndarray:
    """``array[:n]``; whole pages past it are dropped from the map behind ``array`` (see ``_mapped``)."""
    buffer = array
    while isinstance(buffer, np.ndarray):
        buffer = buffer.base
    buffer = buffer.obj if isinstance(buffer, memoryview) else buffer
    if isinstance(buffer, mmap.mmap) and array.ctypes.data == np.frombuffer(buffer, np.uint8).ctypes.data:
        first = -(-n * array.itemsize // mmap.PAGESIZE) * mmap.PAGESIZE
        if first < len(buffer):
            buffer.madvise(mmap.MADV_DONTNEED, first, len(buffer) - first)
    return array[:n]


def count_blocks(
    config: EngineConfig,
    fields: Iterable[Mapping[str, str]],
    vocab: Vocabulary,
    blobs: list[bytes],
    *,
    n_jobs: int = 1,
    block_entries: int | None = None,
) -> Iterator[CountBlock]:
    """Raw counts of ``fields`` as consecutive blocks of about ``block_entries`` entries, in order.

    New features are appended to ``vocab``; each record's encoded fields are appended to ``blobs``.
    Column indices inside a row are not sorted.  ``block_entries`` defaults to ``BLOCK_ENTRIES``.
    """
    block_entries = BLOCK_ENTRIES if block_entries is None else block_entries
    indptrs, indices, datas, offset = [np.zeros(1, dtype=np.int64)], [], [], 0
    for local, indptr, local_idx, data, chunk_blobs in _counted_chunks(config, fields, n_jobs):
        indptrs.append(indptr[1:] + offset)
        offset += int(indptr[-1])
        indices.append(vocab.map_local(local)[local_idx].astype(np.int32))
        datas.append(data)
        blobs.extend(chunk_blobs)
        if offset >= block_entries:
            yield _joined(indptrs, indices, datas)
            indptrs, offset = [np.zeros(1, dtype=np.int64)], 0
    if len(indptrs) > 1:
        yield _joined(indptrs, indices, datas)


def _joined(indptrs: list[np.ndarray], indices: list[np.ndarray], datas: list[np.ndarray]) -> CountBlock:
    """One block from chunk arrays (the index and data lists are emptied)."""
    return CountBlock(np.concatenate(indptrs), _mapped(indices, np.int32), _mapped(datas, np.float32))


def count_records(
    config: EngineConfig,
    fields: Iterable[Mapping[str, str]],
    vocab: Vocabulary,
    *,
    n_jobs: int = 1,
) -> tuple[sp.csr_matrix, list[bytes]]:
    """Counts matrix (records × ``len(vocab)``) and encoded fields of ``fields``, in order.

    New features are appended to ``vocab``.  Column indices inside a row are not sorted.  For
    a few records (adding postings); a fit streams :func:`count_blocks` instead.
    """
    blobs: list[bytes] = []
    blocks = list(count_blocks(config, fields, vocab, blobs, n_jobs=n_jobs))
    indptrs, offset = [np.zeros(1, dtype=np.int64)], 0
    for block in blocks:
        indptrs.append(block.indptr[1:] + offset)
        offset += int(block.indptr[-1])
    indptr = np.concatenate(indptrs)
    all_indices = _cat([b.indices for b in blocks], np.int32)
    all_data = _cat([b.data for b in blocks], np.float32)
    matrix = sp.csr_matrix((all_data, all_indices, indptr), shape=(indptr.size - 1, len(vocab)))
    return matrix, blobs


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """Join ``parts`` (emptying the list) into one array of ``dtype``."""
    if not parts:
        return np.zeros(0, dtype=dtype)
    joined = np.concatenate(parts).astype(dtype, copy=False)
    parts.clear()
    return joined
