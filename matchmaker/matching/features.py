"""Records → raw field-weighted feature counts, in one process or several.

A worker analyses a chunk of records with :func:`~matchmaker.matching.text.analyze` and numbers
the features it meets in a chunk-local vocabulary; the parent maps those local numbers onto the
engine's global :class:`Vocabulary`.  Only arrays and the chunk's distinct feature strings cross
the process boundary, and at most a few chunks are in flight, so memory stays flat while the
records are streamed.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import zlib
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping

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


def count_records(
    config: EngineConfig,
    fields: Iterable[Mapping[str, str]],
    vocab: Vocabulary,
    *,
    n_jobs: int = 1,
) -> tuple[sp.csr_matrix, list[bytes]]:
    """Counts matrix (records × ``len(vocab)``) and encoded fields of ``fields``, in order.

    New features are appended to ``vocab``.  Column indices inside a row are not sorted.
    """
    indptrs, indices, datas, blobs, offset = [np.zeros(1, dtype=np.int64)], [], [], [], 0
    for local, indptr, local_idx, data, chunk_blobs in _counted_chunks(config, fields, n_jobs):
        indptrs.append(indptr[1:] + offset)
        offset += int(indptr[-1])
        indices.append(vocab.map_local(local)[local_idx].astype(np.int32))
        datas.append(data)
        blobs.extend(chunk_blobs)
    n_rows = sum(p.size for p in indptrs) - 1
    # One array at a time, each chunk list emptied as it is joined: at a million postings each
    # array is GBs, and holding every chunk beside both joined arrays would double the peak.
    all_indices = _cat(indices, np.int32)
    all_data = _cat(datas, np.float32)
    matrix = sp.csr_matrix((all_data, all_indices, np.concatenate(indptrs)), shape=(n_rows, len(vocab)))
    return matrix, blobs


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """Join ``parts`` (emptying the list) into one array of ``dtype``."""
    if not parts:
        return np.zeros(0, dtype=dtype)
    joined = np.concatenate(parts).astype(dtype, copy=False)
    parts.clear()
    return joined
