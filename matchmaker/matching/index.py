"""Term-first (inverted) segments and exact top-k search over them.

A :class:`Segment` holds the document vectors of a contiguous range of rows transposed: for each
feature, the rows containing it (ascending) and their weights.  A query reads only its own
features' postings.

Scores are exact and *canonical*: ``score(d) = Σ q_t · w_dt`` summed in float64 in ascending
feature-column order.  The full scan and the pruned path below return the same top-k with the
same scores, so results do not depend on corpus size or on which path ran.

Pruning (MaxScore, vectorised): every feature has an upper bound ``q_t · max_d w_dt``.  Once some
``k`` documents are known to score at least ``θ``, the cheapest-bound features whose bounds sum
below ``θ`` cannot lift a document that has none of the other features into the top ``k``;
only the other features' postings are read in full, and the candidates are finished feature by
feature, dropping those that can no longer reach ``θ``.  All of this relies on non-negative
weights (true of BM25); a segment or query with a negative weight is always scanned in full.
The commonest features, which hold most postings, have low idf and so low bounds: they are the
ones skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

FULL_SCAN_POSTINGS = 200_000  # below this many postings a plain scan is as fast as pruning
PROBE_POSTINGS = 50_000  # postings read to find a first threshold θ
# Prune only when it skips at least this share of the postings, and this many postings per skipped
# feature (each costs a few numpy calls to finish the candidates; a scan costs ~2 ns a posting).
MIN_SKIPPED = 0.5
SKIP_PER_FEATURE = 20_000
DENSE_FACTOR = 8  # read a skipped posting whole when it is under this many times the candidates
SLACK = 1e-9  # relative float tolerance in bound comparisons: prune only when clearly safe


@dataclass
class Segment:
    """Transposed document vectors of rows ``start .. start + n - 1``."""

    start: int
    n: int
    indptr: np.ndarray  # int64, (n_features + 1,)
    indices: np.ndarray  # int32, local row numbers, ascending within a feature
    data: np.ndarray  # float32 document weights
    maxw: np.ndarray  # float32, (n_features,) largest weight per feature
    nonneg: bool = field(init=False)  # pruning bounds hold only for non-negative weights

    def __post_init__(self) -> None:
        self.nonneg = bool(self.data.size == 0 or self.data.min() >= 0)

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

    def gather(self, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Concatenated postings of several features: rows and ``weight · w`` contributions."""
        spans = list(zip(starts.tolist(), ends.tolist(), strict=True))
        if not spans:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        # Slices copied back to back (memcpy speed) rather than one fancy-index gather.
        rows = np.concatenate([self.indices[s:e] for s, e in spans])
        data = np.concatenate([self.data[s:e] for s, e in spans])
        return rows, np.repeat(weights, ends - starts) * data

    def lookup(self, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Contribution matrix (features × ``rows``) found by binary search in each posting."""
        out = np.zeros((starts.size, rows.size))
        for i, (s, e, w) in enumerate(zip(starts.tolist(), ends.tolist(), weights.tolist(), strict=True)):
            docs = self.indices[s:e]
            pos = np.searchsorted(docs, rows)
            hit = pos < docs.size
            hit[hit] = docs[pos[hit]] == rows[hit]
            out[i, hit] = w * self.data[s + pos[hit]].astype(np.float64)
        return out


def _pad(indptr: np.ndarray, n_features: int) -> np.ndarray:
    extra = n_features + 1 - indptr.size
    return np.concatenate([indptr, np.full(extra, indptr[-1], dtype=indptr.dtype)]) if extra else indptr


def _maxw(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    out = np.zeros(indptr.size - 1, dtype=np.float32)
    nonempty = np.flatnonzero(np.diff(indptr))
    if nonempty.size:
        out[nonempty] = np.maximum.reduceat(data, indptr[nonempty])
    return out


def canonical(contributions: np.ndarray) -> np.ndarray:
    """Scores from a features × rows contribution matrix, summed in feature order."""
    score = np.zeros(contributions.shape[1])
    for row in contributions:
        score += row
    return score


def search(
    seg: Segment, cols: np.ndarray, weights: np.ndarray, k: int, ok: np.ndarray, theta: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``k`` local rows of ``seg`` for a query, best first, ties by row.

    Parameters
    ----------
    cols, weights : the query's feature columns (ascending) and weights.
    ok : boolean mask over the segment's rows that may be returned (alive, not excluded).
    theta : a score some ``k`` rows elsewhere already reach; rows below it are not needed.

    Returns
    -------
    rows, scores : at most ``k`` local rows with positive canonical scores.
    """
    starts, ends = seg.postings(cols)
    used = ends > starts
    starts, ends, weights = starts[used], ends[used], weights[used]
    if starts.size == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    total = int((ends - starts).sum())
    # Pruning pays only when postings are long (a big segment): not worth even probing otherwise.
    worth = total > max(FULL_SCAN_POSTINGS, MIN_SKIPPED * SKIP_PER_FEATURE * starts.size)
    if worth and seg.nonneg and weights.min() >= 0:
        bounds = weights * seg.maxw[cols[used]].astype(np.float64)
        theta = max(theta, _probe(seg, starts, ends, weights, bounds, k, ok))
        found = _pruned(seg, starts, ends, weights, bounds, k, ok, theta, total)
        if found is not None:
            return found
    rows, contrib = seg.gather(starts, ends, weights)
    scores = np.bincount(rows, weights=contrib, minlength=seg.n)  # adds in feature order
    return _top(np.flatnonzero((scores > 0) & ok), scores, k)


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` of ``rows`` by ``scores`` (indexed by row), ties broken by row number."""
    if rows.size > k:
        kth = np.partition(scores[rows], rows.size - k)[rows.size - k]
        rows = rows[scores[rows] >= kth]
    order = np.lexsort((rows, -scores[rows]))[:k]
    return rows[order], scores[rows[order]]


def _kth(values: np.ndarray, k: int) -> float:
    """k-th largest value, 0 when there are fewer than ``k``."""
    if values.size < k:
        return 0.0
    return float(np.partition(values, values.size - k)[values.size - k])


def _probe(seg: Segment, starts, ends, weights, bounds, k: int, ok: np.ndarray) -> float:
    """A first θ from the highest-bound features alone.

    Weights are non-negative, so a partial score never exceeds the full one: the k-th best
    partial score is a score that at least ``k`` rows reach.
    """
    order = np.argsort(-bounds, kind="stable")
    budget = np.cumsum((ends - starts)[order]) <= PROBE_POSTINGS
    budget[0] = True
    take = np.sort(order[budget])
    rows, contrib = seg.gather(starts[take], ends[take], weights[take])
    partial = np.bincount(rows, weights=contrib, minlength=seg.n)
    return _kth(partial[ok & (partial > 0)], k) * (1 - SLACK)


def _pruned(seg: Segment, starts, ends, weights, bounds, k: int, ok: np.ndarray, theta: float, total: int):
    """Top ``k`` reading in full only the postings that can lift a row above ``theta``.

    Returns None when too few postings could be skipped for pruning to beat a plain scan.
    """
    order = np.argsort(bounds, kind="stable")
    skip = np.zeros(starts.size, dtype=bool)
    skip[order[np.cumsum(bounds[order]) * (1 + SLACK) < theta]] = True
    if int((ends - starts)[skip].sum()) < max(MIN_SKIPPED * total, SKIP_PER_FEATURE * int(skip.sum())):
        return None
    rows, contrib = seg.gather(starts[~skip], ends[~skip], weights[~skip])
    partial = np.bincount(rows, weights=contrib, minlength=seg.n)
    live = ok & (partial > 0)
    theta = max(theta, _kth(partial[live], k) * (1 - SLACK))
    rest = float(bounds[skip].sum()) * (1 + SLACK)
    cand = np.flatnonzero(live & (partial + rest >= theta))
    cand, full = _complete(seg, starts[skip], ends[skip], weights[skip], bounds[skip], cand, partial[cand], theta)
    if cand.size > k:  # near-ties of the k-th score are settled on canonical scores below
        kth = _kth(full, k)
        cand = cand[full >= kth - abs(kth) * 1e-6]
    scores = np.zeros(seg.n)
    scores[cand] = canonical(seg.lookup(starts, ends, weights, cand))
    return _top(cand[scores[cand] > 0], scores, k)


def _complete(seg: Segment, starts, ends, weights, bounds, cand: np.ndarray, partial: np.ndarray, theta: float):
    """Add the skipped features to the candidates' partial scores, biggest bound first.

    After each feature the bound of what is left shrinks, and candidates that can no longer
    reach ``theta`` are dropped, so later features are looked up for few rows.  A posting short
    compared with the candidate list is read whole through a scratch array; a long one is
    binary-searched.
    """
    remaining = float(bounds.sum())
    scratch = None
    for i in np.argsort(-bounds, kind="stable").tolist():
        if cand.size == 0:
            break
        s, e = int(starts[i]), int(ends[i])
        docs = seg.indices[s:e]
        if e - s <= DENSE_FACTOR * cand.size:
            if scratch is None:
                scratch = np.zeros(seg.n, dtype=np.float32)
            scratch[docs] = seg.data[s:e]
            values = scratch[cand].astype(np.float64)
            scratch[docs] = 0
        else:
            pos = np.minimum(np.searchsorted(docs, cand), e - s - 1)
            values = np.where(docs[pos] == cand, seg.data[s + pos], 0).astype(np.float64)
        partial = partial + weights[i] * values
        remaining -= bounds[i]
        keep = partial + max(remaining, 0.0) * (1 + SLACK) >= theta
        if not keep.all():
            cand, partial = cand[keep], partial[keep]
    return cand, partial
