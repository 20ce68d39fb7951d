"""The indexed records of one kind: caller ids, tombstones, stored fields, segments, side buffer.

Rows are numbered in the order records arrive and never reused.  Removing a record only clears
its ``alive`` flag (its postings stay until the next fit).  Records added after fit go to a small
side buffer scored by a direct scan; when the buffer is full it becomes a segment, and a segment
that grows to a quarter of its older neighbour's size is merged into it, so there are few
segments and the big one is rarely rewritten (appending rows to one big matrix would copy it on
every add).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import scipy.sparse as sp

from .index import Segment, search

SIDE_MAX = 256  # rows scanned directly before they become a segment
MERGE_RATIO = 4  # merge a segment into the older one once it is 1/MERGE_RATIO of its size


class KindIndex:
    """Every record of one kind, with exact top-k search over them."""

    def __init__(self) -> None:
        self.ids: list[Hashable] = []  # row → caller id (removed rows keep their slot)
        self.rows: dict[Hashable, int] = {}  # caller id → live row
        self.alive = np.zeros(0, dtype=bool)
        self.blobs: list[bytes] = []  # encoded fields per row, for explanations
        self.segments: list[Segment] = []
        self.side: list[sp.csr_matrix] = []  # one 1×F row each, rows segments' end .. len(ids)-1
        self._side_cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def side_start(self) -> int:
        return self.segments[-1].start + self.segments[-1].n if self.segments else 0

    def _new_rows(self, ids: list[Hashable], blobs: list[bytes]) -> int:
        self.remove(ids)
        first = len(self.ids)
        self.ids.extend(ids)
        for offset, record_id in enumerate(ids):
            self.rows[record_id] = first + offset
        self.alive = np.concatenate([self.alive, np.ones(len(ids), dtype=bool)])
        self.blobs.extend(blobs)
        return first

    def extend_bulk(self, ids: list[Hashable], vectors: sp.csr_matrix, blobs: list[bytes]) -> None:
        """Add many rows at once as one segment built from their row vectors."""
        self.extend_segment(ids, Segment.from_rows(vectors, len(self.ids)), blobs)

    def extend_segment(self, ids: list[Hashable], segment: Segment, blobs: list[bytes]) -> None:
        """Add many rows at once as ``segment``, already built for them (fit fills it directly)."""
        self._flush_side()
        first = self._new_rows(ids, blobs)
        if segment.start != first or segment.n != len(ids):
            raise ValueError("the segment must hold exactly the new rows")
        if segment.n:
            self.segments.append(segment)
            self._merge_tail()

    def extend(self, ids: list[Hashable], vectors: sp.csr_matrix, blobs: list[bytes]) -> None:
        """Add rows through the side buffer (an id already present is replaced)."""
        self._new_rows(ids, blobs)
        vectors = sp.csr_matrix(vectors, dtype=np.float32)
        vectors.sort_indices()  # the side scan sums in column order, like the segments
        self.side.extend(vectors[i] for i in range(vectors.shape[0]))
        if len(self.side) >= SIDE_MAX:
            self._flush_side()
        self._side_cache = None

    def remove(self, ids: Iterable[Hashable]) -> int:
        """Forget the records with these ids; unknown ids are ignored.  Returns how many went."""
        gone = [self.rows.pop(i) for i in ids if i in self.rows]
        self.alive[gone] = False
        return len(gone)

    def _flush_side(self) -> None:
        if not self.side:
            return
        width = max(row.shape[1] for row in self.side)
        rows = sp.vstack([sp.csr_matrix(r, shape=(1, width)) for r in self.side], format="csr")
        self.segments.append(Segment.from_rows(rows, self.side_start))
        self.side, self._side_cache = [], None
        self._merge_tail()

    def _merge_tail(self) -> None:
        segs = self.segments
        while len(segs) >= 2 and segs[-1].n * MERGE_RATIO >= segs[-2].n:
            last = segs.pop()
            segs[-1] = segs[-1].merged(last)

    def _side_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Side buffer as (row of each entry, column, weight), rows in order, columns ascending."""
        if self._side_cache is None:
            cols = [r.indices for r in self.side]
            row_of = np.repeat(np.arange(len(self.side)), [c.size for c in cols])
            self._side_cache = (
                row_of,
                np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32),
                np.concatenate([r.data for r in self.side]) if cols else np.zeros(0, dtype=np.float32),
            )
        return self._side_cache

    def prepare(self) -> None:
        """Build lazy caches now, so that concurrent readers only read."""
        self._side_arrays()

    def search(
        self, cols: np.ndarray, weights: np.ndarray, k: int, exclude: np.ndarray, threads: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top ``k`` (rows, canonical scores) over all live rows not in ``exclude``, a big
        segment scanned by up to ``threads`` threads."""
        ok = self.alive.copy()
        ok[exclude] = False
        found_rows, found_scores = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
        theta = 0.0
        for seg in sorted(self.segments, key=lambda s: -s.n):  # big first: its θ prunes the rest
            rows, scores = search(seg, cols, weights, k, ok[seg.start : seg.start + seg.n], theta, threads)
            found_rows.append(rows + seg.start)
            found_scores.append(scores)
            theta = _kth(np.concatenate(found_scores), k, theta)
        rows, scores = self._search_side(cols, weights, ok)
        found_rows.append(rows)
        found_scores.append(scores)
        rows, scores = np.concatenate(found_rows), np.concatenate(found_scores)
        order = np.lexsort((rows, -scores))[:k]
        return rows[order], scores[order]

    def _search_side(self, cols, weights, ok) -> tuple[np.ndarray, np.ndarray]:
        row_of, side_cols, side_w = self._side_arrays()
        if side_cols.size == 0 or cols.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        pos = np.minimum(np.searchsorted(cols, side_cols), cols.size - 1)
        hit = cols[pos] == side_cols
        contrib = weights[pos[hit]] * side_w[hit].astype(np.float64)
        scores = np.bincount(row_of[hit], weights=contrib, minlength=len(self.side))
        rows = np.arange(len(self.side)) + self.side_start
        keep = (scores > 0) & ok[rows]
        return rows[keep], scores[keep]

    def contributions(self, cols: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per-feature contributions (features × ``rows``) to the scores of ``rows``."""
        out = np.zeros((cols.size, rows.size))
        for seg in self.segments:
            inside = (rows >= seg.start) & (rows < seg.start + seg.n)
            if inside.any():
                starts, ends = seg.postings(cols)
                out[:, inside] = seg.lookup(starts, ends, weights, rows[inside] - seg.start)
        for j in np.flatnonzero(rows >= self.side_start):
            row = self.side[rows[j] - self.side_start]
            pos = np.minimum(np.searchsorted(cols, row.indices), max(cols.size - 1, 0))
            hit = cols[pos] == row.indices if cols.size else np.zeros(0, dtype=bool)
            out[pos[hit], j] = weights[pos[hit]] * row.data[hit].astype(np.float64)
        return out


def _kth(scores: np.ndarray, k: int, floor: float) -> float:
    if scores.size < k:
        return floor
    return max(floor, float(np.partition(scores, scores.size - k)[scores.size - k]))
