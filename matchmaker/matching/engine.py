"""The matching engine: fit on postings of both kinds, rank one kind for a record or free text.

Usage::

    engine = MatchingEngine().fit(records)          # Record(kind, id, fields)
    engine.rank(need_record, kind="result")         # [Suggestion(id, score, explanation), ...]
    engine.add([new_result]); engine.remove("result", [old_id])
    engine.save(path); engine = MatchingEngine.load(path)

Scores are BM25-family dot products (see :mod:`.weighting`), exact at every index size.
Thread safety: :meth:`rank` only reads and may run in many threads at once; ``fit``, ``add``,
``update``, ``remove`` and ``save`` need exclusive access (hold a write lock around them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike

import numpy as np
import scipy.sparse as sp

from . import build
from .collection import KindIndex
from .config import EngineConfig
from .explain import QueryFeatures, explain
from .features import Vocabulary, count_blocks, count_records, decode_fields
from .feedback import expand
from .index import Segment
from .weighting import TermWeighting

ENGINE_VERSION = "1.0"
REFIT_DRIFT = 0.2  # share of records added or removed since fit beyond which a refit is due
FREE_TEXT_FIELD = "text"
DEFAULT_CONFIG = EngineConfig()  # frozen, so one shared instance is safe as a default
ROW_QUERY_CACHE = 8192  # analysed rows kept for reverse_similarities and feedback (a few KB each)


@dataclass(frozen=True)
class Record:
    """One posting: its kind (``"result"`` or ``"need"``), the caller's id, and its text fields."""

    kind: str
    id: Hashable
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    """A ranked candidate: the caller's id, its score, and a JSON-serialisable explanation."""

    id: Hashable
    score: float
    explanation: list[dict]


class NotFittedError(RuntimeError):
    """The engine was used before :meth:`MatchingEngine.fit` or :meth:`MatchingEngine.load`."""


class MatchingEngine:
    """Ranks postings of one kind against a posting (or free text), with explanations.

    Parameters
    ----------
    config : the engine configuration (the product default unless a test needs another).
    n_jobs : worker processes used to analyse text in :meth:`fit` (1 = in this process).
    search_threads : threads one :meth:`rank` may scan a large index with (a kind of more than
        131,072 rows, one scan block; smaller ones are scanned in the calling thread).  Scores and
        rankings do not depend on it.

    Attributes
    ----------
    vocabulary_ : feature strings ↔ columns.
    weighting_ : the fitted :class:`TermWeighting`.
    indexes_ : dict kind → :class:`KindIndex`.
    n_fitted_ : records seen by the last fit; ``n_changed_`` records added/removed since.
    """

    def __init__(self, config: EngineConfig = DEFAULT_CONFIG, *, n_jobs: int = 1, search_threads: int = 2) -> None:
        self.config = config
        self.n_jobs = n_jobs
        self.search_threads = search_threads
        # Row → (columns, raw counts, self-score) of an indexed record analysed as a query.  Rows are
        # never reused (an updated record gets a new row), so an entry never goes stale; fit clears it.
        self._row_queries: OrderedDict[tuple[str, int], tuple] = OrderedDict()
        self._row_queries_lock = threading.Lock()

    # -- fitting and updating ------------------------------------------------------------

    def fit(self, records: Iterable[Record]) -> MatchingEngine:
        """Learn the vocabulary and weighting from ``records`` and index them all.

        ``records`` may be a stream: the raw counts are kept as row blocks, and :mod:`.build` turns
        them into the index without the counts and the index ever both existing in full.
        """
        config = self.config
        self.vocabulary_ = Vocabulary()
        with self._row_queries_lock:
            self._row_queries.clear()
        kinds: list[str] = []
        ids: list[Hashable] = []
        blobs: list[bytes] = []
        blocks = list(count_blocks(config, _split(records, kinds, ids), self.vocabulary_, blobs, n_jobs=self.n_jobs))
        _check_unique(kinds, ids)
        n_cols = len(self.vocabulary_)
        names = list(dict.fromkeys(kinds))
        code_of = {kind: code for code, kind in enumerate(names)}
        kind_codes = np.fromiter((code_of[k] for k in kinds), dtype=np.int32, count=len(kinds))
        column_counts, lengths = build.statistics(blocks, kind_codes, len(names), n_cols)
        self.weighting_ = TermWeighting(k1=config.k1, b=config.b).fit_statistics(
            len(ids), column_counts.sum(axis=0), lengths
        )
        segments = build.segments(blocks, kind_codes, column_counts, self.weighting_)
        self.indexes_ = {}
        for code, (kind, segment) in enumerate(zip(names, segments, strict=True)):
            rows = np.flatnonzero(kind_codes == code)
            self.indexes_[kind] = _kind_index([ids[r] for r in rows], segment, [blobs[r] for r in rows])
        self.n_fitted_, self.n_changed_ = len(ids), 0
        return self

    def add(self, records: Iterable[Record]) -> MatchingEngine:
        """Index new records with the fitted statistics (no refit).  Existing ids are refused."""
        records = list(records)
        self._check_fitted()
        known = [r for r in records if r.kind in self.indexes_ and r.id in self.indexes_[r.kind].rows]
        if known:
            raise ValueError(f"already indexed: {known[0].kind} {known[0].id!r}; use update()")
        return self.update(records)

    def update(self, records: Iterable[Record]) -> MatchingEngine:
        """Replace records with the same kind and id (or add them), with the fitted statistics."""
        records = list(records)
        self._check_fitted()
        _check_unique([r.kind for r in records], [r.id for r in records])
        if not records:
            return self
        counts, blobs = count_records(self.config, (r.fields for r in records), self.vocabulary_)
        vectors = sp.csr_matrix(self.weighting_.transform(counts), dtype=np.float32)
        for kind in dict.fromkeys(r.kind for r in records):
            rows = [i for i, r in enumerate(records) if r.kind == kind]
            index = self.indexes_.setdefault(kind, KindIndex())
            index.extend([records[i].id for i in rows], vectors[rows], [blobs[i] for i in rows])
            index.prepare()
        for i, record in enumerate(records):  # counted anyway: reverse_similarities need not analyse them again
            row = counts[i]
            row.sort_indices()
            self._remember_row((record.kind, self.indexes_[record.kind].rows[record.id]), row)
        self.n_changed_ += len(records)
        return self

    def remove(self, kind: str, ids: Iterable[Hashable]) -> int:
        """Remove records of ``kind`` by id; unknown ids are ignored.  Returns how many were removed."""
        self._check_fitted()
        index = self.indexes_.get(kind)
        removed = index.remove(list(ids)) if index is not None else 0
        self.n_changed_ += removed
        return removed

    @property
    def drift(self) -> float:
        """Records added, replaced or removed since fit, as a share of the records fitted."""
        self._check_fitted()
        return self.n_changed_ / max(self.n_fitted_, 1)

    @property
    def needs_refit(self) -> bool:
        """True once the weighting statistics are stale enough that a fresh fit is due."""
        return self.drift > REFIT_DRIFT

    def __len__(self) -> int:
        self._check_fitted()
        return sum(len(index) for index in self.indexes_.values())

    def __contains__(self, key: tuple[str, Hashable]) -> bool:
        kind, record_id = key
        return hasattr(self, "indexes_") and kind in self.indexes_ and record_id in self.indexes_[kind].rows

    # -- ranking -----------------------------------------------------------------------

    def rank(
        self,
        query: Record | str,
        kind: str,
        top_n: int = 20,
        exclude: Iterable[Hashable] = (),
        *,
        explain_top: int = 5,
    ) -> list[Suggestion]:
        """Records of ``kind`` best matching ``query``, best first, keyed by the caller's ids.

        A query record of the same kind never matches itself.  Records scoring zero are left out;
        an empty index gives ``[]``.  ``explain_top=0`` skips explanations (faster).  Free text gets
        one round of pseudo-relevance feedback (:mod:`.feedback`); explanations stay in its own words,
        so a record found only through feedback has none.
        """
        self._check_fitted()
        index = self.indexes_.get(kind)
        if index is None or len(index) == 0 or top_n <= 0:
            return []
        features = self._query_features(query)
        cols, weights = self._query_vector(features)
        excluded = self._excluded(index, query, kind, exclude)
        feedback_docs = self.config.feedback_docs if isinstance(query, str) else 0
        threads = self.search_threads
        rows, scores = index.search(cols, weights, max(top_n, feedback_docs), excluded, threads)
        if feedback_docs and rows.size:
            expanded = self._with_feedback(kind, index, cols, weights, rows[:feedback_docs], scores)
            rows, scores = index.search(*expanded, top_n, excluded, threads)
        rows, scores = rows[:top_n], scores[:top_n]
        # In the query's own words, as explain() gives them: terms borrowed by feedback explain nothing
        # to the person who typed the query.
        explanations = self._explain(index, features, cols, weights, rows, explain_top)
        return [Suggestion(index.ids[r], float(s), e) for r, s, e in zip(rows, scores, explanations, strict=True)]

    def _with_feedback(self, kind, index, cols, weights, rows, scores) -> tuple[np.ndarray, np.ndarray]:
        """The query expanded by the weighted centroid of the document vectors of ``rows`` (best first)."""
        documents = []
        for row in rows.tolist():
            doc_cols, raw, _self = self._row_query(kind, index, row)
            vector = self.weighting_.transform(
                sp.csr_matrix((raw, doc_cols, [0, doc_cols.size]), shape=(1, len(self.vocabulary_)))
            )
            documents.append((vector.indices.astype(np.int64), vector.data))
        config = self.config
        return expand(
            cols,
            weights,
            documents,
            scores[: rows.size],
            terms=config.feedback_terms,
            strength=config.feedback_strength,
            temperature=config.feedback_temperature,
        )

    def explain(self, query: Record | str, kind: str, record_id: Hashable, top: int = 5) -> list[dict]:
        """The explanation :meth:`rank` would give for one indexed record (``[]`` if unknown).

        Lets a caller rank with ``explain_top=0`` and pay for explanations only of the
        suggestions it keeps.
        """
        self._check_fitted()
        index = self.indexes_.get(kind)
        if index is None or record_id not in index.rows:
            return []
        features = self._query_features(query)
        cols, weights = self._query_vector(features)
        rows = np.array([index.rows[record_id]], dtype=np.int64)
        return self._explain(index, features, cols, weights, rows, top)[0]

    def _explain(self, index, features, cols, weights, rows, top: int) -> list[list[dict]]:
        if top <= 0 or rows.size == 0:
            return [[] for _ in rows]
        contrib = index.contributions(cols, weights, rows)
        names = [self.vocabulary_.features[c] for c in cols]
        return [
            explain(self.config, features, names, contrib[:, j], decode_fields(index.blobs[r]), top)
            for j, r in enumerate(rows)
        ]

    def rank_many(
        self,
        queries: Iterable[Record | str],
        kind: str,
        top_n: int = 10,
        *,
        explain_top: int = 0,
        n_jobs: int = 1,
    ) -> list[list[Suggestion]]:
        """:meth:`rank` for each query, in order; explanations off by default (bulk rematching).

        With ``n_jobs > 1`` the work is spread over forked processes (see :mod:`.bulk`).
        """
        from .bulk import rank_many

        self._check_fitted()
        return rank_many(self, list(queries), kind, top_n, explain_top, n_jobs)

    def score(self, query: Record | str, kind: str, ids: Iterable[Hashable]) -> dict[Hashable, float]:
        """The scores :meth:`rank` would give the records ``ids`` of ``kind`` (unknown ids are left out).

        For scoring a known pair in the other direction without ranking the whole index.
        """
        self._check_fitted()
        index = self.indexes_.get(kind)
        known = [i for i in ids if index is not None and i in index.rows]
        if not known:
            return {}
        cols, weights = self._query_vector(self._query_features(query))
        if cols.size == 0:
            return dict.fromkeys(known, 0.0)
        rows = np.array([index.rows[i] for i in known], dtype=np.int64)
        totals = index.contributions(cols, weights, rows).sum(axis=0)
        return {i: float(total) for i, total in zip(known, totals, strict=True)}

    def similarities(self, query: Record | str, kind: str, ids: Iterable[Hashable]) -> dict[Hashable, float]:
        """:meth:`score` over :meth:`self_score` (capped at 1) for ``ids``, analysing ``query`` once."""
        self._check_fitted()
        features = self._query_features(query)
        cols, counts = self._query_counts(features)
        ceiling = self._self_score_of(counts)
        index = self.indexes_.get(kind)
        known = [i for i in ids if index is not None and i in index.rows]
        if not known or ceiling <= 0:
            return dict.fromkeys(known, 0.0)
        vec = self.weighting_.transform(counts, query=True)
        vec.sort_indices()
        rows = np.array([index.rows[i] for i in known], dtype=np.int64)
        totals = index.contributions(vec.indices.astype(np.int64), vec.data.astype(np.float64), rows).sum(axis=0)
        return {i: min(1.0, float(total) / ceiling) for i, total in zip(known, totals, strict=True)}

    def reverse_similarities(
        self, target_kind: str, target_id: Hashable, kind: str, ids: Iterable[Hashable]
    ) -> dict[Hashable, float]:
        """:meth:`similarities` the other way round: each indexed record ``ids`` of ``kind`` as the query,
        scoring the indexed record ``target_id`` of ``target_kind`` (capped at 1).

        Gives ``similarities(record_i, target_kind, [target_id])`` for each ``i`` without analysing
        their texts on every call: the target's stored document vector is read from the index, and
        each row's analysed counts and self-score are kept in a bounded cache.  Unknown ids are left
        out; an unknown target scores 0.  Safe to call from several threads.
        """
        self._check_fitted()
        index = self.indexes_.get(kind)
        known = [i for i in ids if index is not None and i in index.rows]
        target = self.indexes_.get(target_kind)
        if not known or target is None or target_id not in target.rows:
            return dict.fromkeys(known, 0.0)
        target_row = target.rows[target_id]
        target_cols = self._row_query(target_kind, target, target_row)[0]
        if target_cols.size == 0:
            return dict.fromkeys(known, 0.0)
        stored = target.contributions(target_cols, np.ones(target_cols.size), np.array([target_row]))[:, 0]
        queries = [self._row_query(kind, index, index.rows[i]) for i in known]
        counts = sp.csr_matrix(
            (
                np.concatenate([q[1] for q in queries]),
                np.concatenate([q[0] for q in queries]),
                np.concatenate([[0], np.cumsum([q[0].size for q in queries])]),
            ),
            shape=(len(queries), len(self.vocabulary_)),
        )
        vectors = self.weighting_.transform(counts, query=True)
        row_of = np.repeat(np.arange(len(queries)), np.diff(vectors.indptr))
        pos = np.minimum(np.searchsorted(target_cols, vectors.indices), target_cols.size - 1)
        hit = target_cols[pos] == vectors.indices
        totals = np.bincount(row_of[hit], weights=vectors.data[hit] * stored[pos[hit]], minlength=len(queries))
        return {
            i: min(1.0, float(total) / q[2]) if q[2] > 0 else 0.0
            for i, total, q in zip(known, totals, queries, strict=True)
        }

    def pair_similarities(
        self, kind: str, record_id: Hashable, other_kind: str, ids: Iterable[Hashable]
    ) -> dict[Hashable, float]:
        """One similarity per pair of indexed records, the same whichever record of the pair is named first.

        The better of the two directions, each the querying record's score over its own self-score
        (capped at 1).  The better rather than the mean: a Chinese text's ceiling counts character
        n-grams that an English partner can only meet through glossary concepts, so one direction can
        undersell a true cross-language pair that the other direction sees plainly.  Unknown ids are
        left out; an unknown ``record_id`` scores 0.
        """
        self._check_fitted()
        backward = self.reverse_similarities(kind, record_id, other_kind, ids)
        index, other = self.indexes_.get(kind), self.indexes_.get(other_kind)
        if not backward or index is None or other is None or record_id not in index.rows:
            return backward
        cols, raw, ceiling = self._row_query(kind, index, index.rows[record_id])
        if cols.size == 0 or ceiling <= 0:
            return backward
        vec = self.weighting_.transform(sp.csr_matrix((raw, cols, [0, cols.size]), shape=(1, len(self.vocabulary_))),
                                        query=True)
        vec.sort_indices()
        known = list(backward)
        rows = np.array([other.rows[i] for i in known], dtype=np.int64)
        totals = other.contributions(vec.indices.astype(np.int64), vec.data.astype(np.float64), rows).sum(axis=0)
        return {i: max(min(1.0, float(total) / ceiling), backward[i]) for i, total in zip(known, totals, strict=True)}

    def _row_query(self, kind: str, index: KindIndex, row: int) -> tuple[np.ndarray, np.ndarray, float]:
        """(columns, raw counts, self-score) of an indexed row analysed as a query, cached."""
        key = (kind, row)
        with self._row_queries_lock:
            found = self._row_queries.get(key)
            if found is not None:
                self._row_queries.move_to_end(key)
                return found
        _cols, counts = self._query_counts(self._query_features(Record(kind, row, decode_fields(index.blobs[row]))))
        return self._remember_row(key, counts)

    def _remember_row(self, key: tuple[str, int], counts: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, float]:
        """Cache a row's raw counts (1 × features, columns ascending) with its self-score."""
        found = (counts.indices.astype(np.int64), counts.data.astype(np.float64), self._self_score_of(counts))
        with self._row_queries_lock:
            self._row_queries[key] = found
            while len(self._row_queries) > ROW_QUERY_CACHE:
                self._row_queries.popitem(last=False)
        return found

    def explain_many(self, query: Record | str, kind: str, ids: Iterable[Hashable], top: int = 5) -> list[list[dict]]:
        """:meth:`explain` for several records, analysing ``query`` once (unknown ids get ``[]``)."""
        self._check_fitted()
        ids = list(ids)
        index = self.indexes_.get(kind)
        known = [i for i in ids if index is not None and i in index.rows]
        if not known:
            return [[] for _ in ids]
        features = self._query_features(query)
        cols, weights = self._query_vector(features)
        rows = np.array([index.rows[i] for i in known], dtype=np.int64)
        found = dict(zip(known, self._explain(index, features, cols, weights, rows, top), strict=True))
        return [found.get(i, []) for i in ids]

    def self_score(self, query: Record | str) -> float:
        """The score ``query`` would get against a copy of itself indexed now.

        Dividing a suggestion's score by it gives a similarity near [0, 1] that is comparable across
        queries of different lengths and languages (raw BM25-family scores grow with the query).
        """
        self._check_fitted()
        _cols, counts = self._query_counts(self._query_features(query))
        return self._self_score_of(counts)

    def _self_score_of(self, counts: sp.csr_matrix) -> float:
        if counts.nnz == 0:
            return 0.0
        as_query = self.weighting_.transform(counts, query=True)
        as_document = self.weighting_.transform(counts)
        return float(as_query.multiply(as_document).sum())

    def _query_features(self, query: Record | str) -> QueryFeatures:
        fields = query.fields if isinstance(query, Record) else {FREE_TEXT_FIELD: query}
        return QueryFeatures.cached(self.config, fields)

    def _query_counts(self, features: QueryFeatures) -> tuple[np.ndarray, sp.csr_matrix]:
        """The query's raw counts over the known vocabulary (unknown features score nothing anyway)."""
        known = sorted((c, w) for f, w in features.counts.items() if (c := self.vocabulary_.index.get(f)) is not None)
        cols = np.array([c for c, _ in known], dtype=np.int64)
        counts = sp.csr_matrix(([w for _, w in known], cols, [0, len(known)]), shape=(1, len(self.vocabulary_)))
        return cols, counts

    def _query_vector(self, features: QueryFeatures) -> tuple[np.ndarray, np.ndarray]:
        cols, counts = self._query_counts(features)
        if cols.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        vec = self.weighting_.transform(counts, query=True)
        vec.sort_indices()
        return vec.indices.astype(np.int64), vec.data.astype(np.float64)

    @staticmethod
    def _excluded(index: KindIndex, query: Record | str, kind: str, exclude: Iterable[Hashable]) -> np.ndarray:
        ids = list(exclude)
        if isinstance(query, Record) and query.kind == kind:
            ids.append(query.id)
        return np.array([index.rows[i] for i in ids if i in index.rows], dtype=np.int64)

    # -- persistence -----------------------------------------------------------------------

    def save(self, path: str | PathLike) -> None:
        """Write the fitted engine to ``path`` atomically (a crash leaves the old file intact)."""
        from .store import save

        self._check_fitted()
        save(self, path)

    @classmethod
    def load(cls, path: str | PathLike) -> MatchingEngine:
        """Read an engine written by :meth:`save`; refuses files of another format version."""
        from .store import load

        return load(path)

    def _check_fitted(self) -> None:
        if not hasattr(self, "indexes_"):
            raise NotFittedError("MatchingEngine is not fitted yet: call fit() or MatchingEngine.load() first")


def _split(records: Iterable[Record], kinds: list[str], ids: list[Hashable]) -> Iterator[Mapping[str, str]]:
    """Yield each record's fields, noting its kind and id on the way (records may be a stream)."""
    for record in records:
        kinds.append(record.kind)
        ids.append(record.id)
        yield record.fields


def _check_unique(kinds: list[str], ids: list[Hashable]) -> None:
    seen: set[tuple[str, Hashable]] = set()
    for key in zip(kinds, ids, strict=True):
        if key in seen:
            raise ValueError(f"duplicate record: {key[0]} {key[1]!r}")
        seen.add(key)


def _kind_index(ids: list[Hashable], segment: Segment, blobs: list[bytes]) -> KindIndex:
    """A kind's index holding ``segment`` (its rows ``ids``, in order) as its only segment."""
    index = KindIndex()
    index.extend_segment(ids, segment, blobs)
    return index
