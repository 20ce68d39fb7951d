"""Term-first (inverted) segments and exact top-k search over them.

A :class:`Segment` holds the document vectors of a contiguous range of rows transposed: for each
feature, the rows containing it (ascending) and their weights.  A query reads only its own
features' postings.

Scores are exact and *canonical*: ``score(d) = Σ q_t · w_dt`` summed in float64 in ascending
feature-column order, so results do not depend on corpus size, segmenting or thread count.

The scan is compiled (numba) and runs a block of rows at a time: every query feature's postings
that fall in the block are added into a small accumulator that stays in cache, then the block's
rows enter a k-sized heap.  It reads every posting of the query's features once (~2 ns each).
MaxScore-style pruning was measured here and dropped: long postings make long queries whose
bounds sum to ~15× the k-th score, so finishing the candidates cost more than the scan it saved.
(Re-measured with the true k-th score at 200k rows: a perfect stopping rule would save ~27% of the
mean cost, almost all of it on English queries; the Chinese ones, which set the p95, keep ~90%.)
A big segment is split between threads by rows.  At a million rows that helps less than twice:
a Chinese posting as a query reads ~60M postings, ~0.5 GB, and the scan is then bound by memory
bandwidth shared by both cores.  Dense storage of the most common features was tried and was
slower than their sparse postings.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit

SCAN_BLOCK = 1 << 17  # rows per block of the scan: a 1 MB accumulator stays in L2


@dataclass
class Segment:
    """Transposed document vectors of rows ``start .. start + n - 1``."""

    start: int
    n: int
    indptr: np.ndarray  # int64, (n_features + 1,)
    indices: np.ndarray  # int32, local row numbers, ascending within a feature
    data: np.ndarray  # float32 document weights
    maxw: np.ndarray  # float32, (n_features,) largest weight per feature (an upper bound for pruning)

    @property
    def n_features(self) -> int:
        return self.indptr.size - 1

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.data.nbytes + self.maxw.nbytes

    @classmethod
    def from_rows(cls, rows: sp.csr_matrix, start: int) -> Segment:
        """Transpose row vectors (documents × features) into a segment."""
        csc = sp.csc_matrix(rows, dtype=np.float32)  # rows hold no duplicate columns: no summing
        indptr = csc.indptr.astype(np.int64, copy=False)
        return cls(
            start,
            rows.shape[0],
            indptr,
            csc.indices.astype(np.int32, copy=False),
            csc.data,
            _maxw(indptr, csc.data),
        )

    def merged(self, other: Segment) -> Segment:
        """One segment holding this one's rows followed by ``other``'s (which must follow on)."""
        if other.start != self.start + self.n:
            raise ValueError("segments to merge must be adjacent")
        n_features = max(self.n_features, other.n_features)
        a, b = (
            sp.csr_matrix((s.data, s.indices, _pad(s.indptr, n_features)), shape=(n_features, s.n))
            for s in (self, other)
        )
        both = sp.hstack([a, b], format="csr")
        indptr = both.indptr.astype(np.int64, copy=False)
        return Segment(
            self.start,
            self.n + other.n,
            indptr,
            both.indices.astype(np.int32, copy=False),
            both.data,
            _maxw(indptr, both.data),
        )

    def postings(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start and end offsets of the postings of ``cols`` (columns this segment lacks are empty)."""
        inside = cols < self.n_features
        safe = np.where(inside, cols, 0)
        starts = np.where(inside, self.indptr[safe], 0)
        ends = np.where(inside, self.indptr[safe + 1], 0)
        return starts, ends

    def lookup(self, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Contribution matrix (features × ``rows``) found by binary search in each posting."""
        out = np.zeros((starts.size, rows.size))
        if starts.size and rows.size:
            weights = np.ascontiguousarray(weights, dtype=np.float64)
            _lookup(self.indices, self.data, starts, ends, weights, rows.astype(np.int64), out)
        return out


class SegmentFiller:
    """Builds the :class:`Segment` that :meth:`Segment.from_rows` would give, without the row
    matrix: rows arrive in blocks, in order, and each is written straight into its postings.

    Parameters
    ----------
    start : the segment's first row (global).
    n : the segment's number of rows.
    column_counts : how many of the segment's rows hold each feature; fixes the postings' places,
        so the arrays are allocated once and a block can be freed as soon as it is written.
    """

    def __init__(self, start: int, n: int, column_counts: np.ndarray) -> None:
        self.start, self.n = start, n
        self.indptr = np.zeros(column_counts.size + 1, dtype=np.int64)
        np.cumsum(column_counts, out=self.indptr[1:])
        # np.empty: pages are only touched as postings are written, not all up front.
        self.indices = np.empty(int(self.indptr[-1]), dtype=np.int32)
        self.data = np.empty(int(self.indptr[-1]), dtype=np.float32)
        self._next = self.indptr[:-1].copy()

    def add(
        self,
        indptr: np.ndarray,
        indices: np.ndarray,
        data: np.ndarray,
        local: np.ndarray,
        columns: tuple[int, int] | None = None,
    ) -> None:
        """Write the rows of a CSR block (documents × features) whose ``local`` row number is >= 0.

        Rows must arrive in ascending local row number (within a block and across blocks), and a
        row must hold no column twice.  With ``columns=(lo, hi)`` only the entries of columns
        ``lo .. hi - 1`` are written: a caller may pass all blocks once per band of columns, so
        that one band of the postings is written at a time.
        """
        lo, hi = (0, self.indptr.size - 1) if columns is None else columns
        if local.size and local.max() >= self.n:
            raise ValueError("row outside the segment")
        # The kernel checks the columns as it reads them: a fit passes every block once per band,
        # and a separate min/max pass over each block per band cost seconds at a million rows.
        status = _fill(
            indptr.astype(np.int64, copy=False),
            indices,
            np.asarray(data, dtype=np.float32),
            local.astype(np.int64, copy=False),
            lo,
            hi,
            self.indptr,
            self._next,
            self.indices,
            self.data,
        )
        if status == _FILL_BAD_COLUMN:
            raise ValueError("column outside the segment's features")
        if status == _FILL_OVERFLOW:
            raise RuntimeError("more rows hold a feature than its column count says")

    def segment(self) -> Segment:
        """The finished segment; every row counted in ``column_counts`` must have been added."""
        if not np.array_equal(self._next, self.indptr[1:]):
            raise RuntimeError("segment filled with other rows than its column counts describe")
        return Segment(self.start, self.n, self.indptr, self.indices, self.data, _maxw(self.indptr, self.data))


def _pad(indptr: np.ndarray, n_features: int) -> np.ndarray:
    extra = n_features + 1 - indptr.size
    return np.concatenate([indptr, np.full(extra, indptr[-1], dtype=indptr.dtype)]) if extra else indptr


def _maxw(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    out = np.zeros(indptr.size - 1, dtype=np.float32)
    nonempty = np.flatnonzero(np.diff(indptr))
    if nonempty.size:
        out[nonempty] = np.maximum.reduceat(data, indptr[nonempty])
    return out


def search(
    seg: Segment,
    cols: np.ndarray,
    weights: np.ndarray,
    k: int,
    ok: np.ndarray,
    theta: float = 0.0,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``k`` local rows of ``seg`` for a query, best first, ties by row.

    Parameters
    ----------
    cols, weights : the query's feature columns (ascending) and weights.
    ok : boolean mask over the segment's rows that may be returned (alive, not excluded).
    theta : a score some ``k`` rows elsewhere already reach; rows below it are not needed.
    threads : split a segment of several scan blocks into this many row ranges scanned at once
        (the kernel releases the GIL); scores do not depend on it.

    Returns
    -------
    rows, scores : at most ``k`` local rows with positive canonical scores.
    """
    starts, ends = seg.postings(cols)
    used = ends > starts
    if not used.any() or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    starts, ends = starts[used], ends[used]
    weights = np.ascontiguousarray(weights[used], dtype=np.float64)
    parts = min(threads, -(-seg.n // SCAN_BLOCK))
    bounds = [seg.n * i // parts for i in range(parts + 1)]

    def scan(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        heap_s, heap_r = np.zeros(k), np.zeros(k, dtype=np.int64)
        acc = np.zeros(min(SCAN_BLOCK, hi - lo))
        size = _blocked_scan(
            seg.indices, seg.data, starts, ends, weights, ok, lo, hi, SCAN_BLOCK, theta, acc, heap_s, heap_r
        )
        return heap_r[:size], heap_s[:size]

    # The calling thread scans the first range itself; only the others wait for a pool thread.
    ranges = list(zip(bounds[1:-1], bounds[2:], strict=True))
    others = [_pool(parts - 1).submit(scan, lo, hi) for lo, hi in ranges]
    found = [scan(bounds[0], bounds[1])] + [future.result() for future in others]
    rows = np.concatenate([r for r, _ in found])
    scores = np.concatenate([s for _, s in found])
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]


_pools: dict[tuple[int, int], ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(threads: int) -> ThreadPoolExecutor:
    """A pool of ``threads`` scan threads for this process (a forked child makes its own)."""
    key = (os.getpid(), threads)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ThreadPoolExecutor(threads, thread_name_prefix="matchmaker-scan")
        return pool


# -- compiled kernels ----------------------------------------------------------------------------
# They read a segment's arrays in place and write only arrays the caller allocated for this call,
# so queries run in several threads at once, without the GIL.


_FILL_OK, _FILL_OVERFLOW, _FILL_BAD_COLUMN = 0, 1, 2


@njit(cache=True, nogil=True)
def _fill(indptr, indices, data, local, lo, hi, seg_indptr, nxt, out_indices, out_data):  # pragma: no cover
    """Append the entries of columns ``lo .. hi - 1`` of each row ``r`` with ``local[r] >= 0`` to
    their columns' postings as row ``local[r]``.  Returns ``_FILL_OK``, or stops at ``_FILL_OVERFLOW``
    (a posting would outgrow its place) or ``_FILL_BAD_COLUMN`` (a column the segment lacks)."""
    n_features = seg_indptr.size - 1
    for r in range(local.size):
        row = local[r]
        if row < 0:
            continue
        for p in range(indptr[r], indptr[r + 1]):
            col = indices[p]
            if col < 0 or col >= n_features:
                return _FILL_BAD_COLUMN
            if col < lo or col >= hi:
                continue
            q = nxt[col]
            if q >= seg_indptr[col + 1]:
                return _FILL_OVERFLOW
            out_indices[q] = row
            out_data[q] = data[p]
            nxt[col] = q + 1
    return _FILL_OK


@njit(cache=True, nogil=True)
def drop_columns(indptr, indices, data, lo, hi):  # pragma: no cover - compiled
    """Remove the entries of columns ``lo .. hi - 1`` from a CSR block in place (``indptr`` is
    updated, rows keep their entries' order); returns the entries left."""
    out = 0
    start = indptr[0]
    for r in range(indptr.size - 1):
        end = indptr[r + 1]
        for p in range(start, end):
            col = indices[p]
            if col < lo or col >= hi:
                indices[out] = col
                data[out] = data[p]
                out += 1
        start = end
        indptr[r + 1] = out
    return out


@njit(cache=True, nogil=True)
def _worse(score_a, row_a, score_b, row_b):  # pragma: no cover - compiled
    """True when (score_a, row_a) ranks below (score_b, row_b): lower score, or a later row on a tie."""
    return score_a < score_b or (score_a == score_b and row_a > row_b)


@njit(cache=True, nogil=True)
def _push(heap_s, heap_r, size, score, row):  # pragma: no cover - compiled
    """Keep the best ``len(heap_s)`` (score, row) pairs; the worst kept one sits at index 0."""
    if size < heap_s.size:
        i = size
        while i > 0:
            parent = (i - 1) // 2
            if _worse(heap_s[parent], heap_r[parent], score, row):
                break
            heap_s[i], heap_r[i] = heap_s[parent], heap_r[parent]
            i = parent
        heap_s[i], heap_r[i] = score, row
        return size + 1
    if not _worse(heap_s[0], heap_r[0], score, row):
        return size
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _worse(heap_s[child + 1], heap_r[child + 1], heap_s[child], heap_r[child]):
            child += 1
        if _worse(score, row, heap_s[child], heap_r[child]):
            break
        heap_s[i], heap_r[i] = heap_s[child], heap_r[child]
        i = child
    heap_s[i], heap_r[i] = score, row
    return size


@njit(cache=True, nogil=True)
def _lower(indices, start, end, row):  # pragma: no cover - compiled
    """First position in the ascending ``indices[start:end]`` holding ``row`` or more (``end`` if none)."""
    lo, hi = start, end
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < row:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _find(indices, start, end, row):  # pragma: no cover - compiled
    """Position of ``row`` in the ascending posting ``indices[start:end]``, or -1."""
    p = _lower(indices, start, end, row)
    return p if p < end and indices[p] == row else -1


@njit(cache=True, nogil=True)
def _lookup(indices, data, starts, ends, weights, rows, out):  # pragma: no cover - compiled
    for t in range(starts.size):
        for j in range(rows.size):
            p = _find(indices, starts[t], ends[t], rows[j])
            if p >= 0:
                out[t, j] = weights[t] * data[p]


@njit(cache=True, nogil=True)
def _blocked_scan(  # pragma: no cover - compiled
    indices, data, starts, ends, weights, ok, row_lo, row_hi, block, floor, acc, heap_s, heap_r
):
    """Top k (k = ``heap_s.size``) rows in ``row_lo .. row_hi - 1`` scoring above zero and at least
    ``floor``; returns how many.

    Within a block every feature's postings are added in feature order: each row's sum is the
    canonical score.  ``acc`` holds ``min(block, row_hi - row_lo)`` zeros on entry and on return.
    """
    pos = starts.copy()
    if row_lo > 0:
        for t in range(starts.size):
            pos[t] = _lower(indices, starts[t], ends[t], row_lo)
    size = 0
    for lo in range(row_lo, row_hi, block):
        hi = min(lo + block, row_hi)
        for t in range(starts.size):
            # The block's part of this posting, found by binary search: a plain counted loop
            # compiles to tighter code than one that tests each row against the block's end.
            p, w = pos[t], weights[t]
            end = _lower(indices, p, ends[t], hi) if hi < ok.size else ends[t]
            for q in range(p, end):
                acc[indices[q] - lo] += w * data[q]
            pos[t] = end
        for r in range(hi - lo):
            score = acc[r]
            if score != 0.0:
                acc[r] = 0.0
                if score > 0 and score >= floor and ok[lo + r]:
                    size = _push(heap_s, heap_r, size, score, lo + r)
    return size
