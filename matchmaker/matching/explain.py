"""Explanations: which features made a score, in the words each posting actually used.

An explanation is a plain JSON-serialisable list, best first::

    [{"feature": "≈graphen", "query_terms": ["graphene"], "match_terms": ["石墨烯"],
      "field": "title", "share": 0.41, "bridged": true}, ...]

``share`` is the feature's part of the score (shares sum to at most 1); ``field`` is the field of
the *matched* posting the feature came from (the one where it weighs most); ``bridged`` marks a
glossary concept that joined different words (e.g. English and Chinese).  Features whose words are
the same on both sides (a stem and its concept, say) are shown once, with their shares added.

The candidate's words are found by analysing its stored fields again: only the ``top_n``
suggestions pay that cost, and the index keeps no per-posting surface table.  That analysis looks
for the few features shown (``analyze_with_surface(..., only=...)``) rather than listing all of
them, and gives exactly the words the full analysis would.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .config import EngineConfig
from .glossary import CONCEPT_PREFIX
from .text import analyze_with_surface, normalize

MAX_TERMS = 3  # surface words shown per side of a feature
# Texts whose analysis is remembered (a posting is analysed by rank, self_score and explain in one
# publish; a popular candidate is explained for many postings). ~100 KB each at the demo's lengths.
FEATURES_CACHE = 256


@dataclass
class QueryFeatures:
    """A posting's weighted feature counts, and per feature its words and strongest field."""

    counts: dict[str, float]
    surfaces: dict[str, dict[str, float]]  # feature → surface word → weight
    fields: dict[str, tuple[str, float]]  # feature → (field, weight there)
    # feature → (terms, their normalised forms), filled by shown_terms: a query is explained against
    # each of its suggestions.  Threads may fill it at once: both write the same value.
    _shown: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def of(cls, config: EngineConfig, fields: Mapping[str, str], only: frozenset[str] | None = None) -> QueryFeatures:
        """Analyse ``fields`` once, keeping what both the query vector and explanations need.

        ``only`` keeps just those features: an explained candidate needs the words of a handful of
        its hundreds, and tallying all of them cost as much as analysing the text.
        """
        options = config.analyzer_options()
        out = cls({}, {}, {})
        for name, text in fields.items():
            if not text:
                continue
            per_field: dict[str, float] = {}
            plain, concept = config.weight(name, ""), config.weight(name, CONCEPT_PREFIX)
            # Each distinct pair once, in first-seen order; its weight still added once per occurrence,
            # so that every sum is the very float an occurrence-by-occurrence tally gives.
            for (feature, surface), times in Counter(analyze_with_surface(text, **options, only=only)).items():
                w = concept if feature.startswith(CONCEPT_PREFIX) else plain
                per_field[feature] = _added(per_field.get(feature, 0.0), w, times)
                words = out.surfaces.setdefault(feature, {})
                words[surface] = _added(words.get(surface, 0.0), w, times)
            for feature, w in per_field.items():
                out.counts[feature] = out.counts.get(feature, 0.0) + w
                if w > out.fields.get(feature, ("", 0.0))[1]:
                    out.fields[feature] = (name, w)
        return out

    @classmethod
    def cached(cls, config: EngineConfig, fields: Mapping[str, str]) -> QueryFeatures:
        """:meth:`of`, remembered for the last ``FEATURES_CACHE`` texts (treat the result as read-only)."""
        return _cached_features(config, tuple(fields.items()))

    def terms(self, feature: str) -> list[str]:
        words = self.surfaces.get(feature, {})
        if len(words) < 2:  # most features of a candidate have one word: nothing to sort
            return list(words)
        return sorted(words, key=lambda w: -words[w])[:MAX_TERMS]

    def shown_terms(self, feature: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """:meth:`terms` as a tuple, and the normalised forms of those of a concept (worked out once)."""
        found = self._shown.get(feature)
        if found is None:
            terms = tuple(self.terms(feature))
            words = frozenset(map(normalized_term, terms)) if feature.startswith(CONCEPT_PREFIX) else frozenset()
            found = self._shown[feature] = (terms, words)
        return found


def normalized_term(term: str) -> str:
    """``normalize(term)``; for printable ASCII (most words) that is just lowercasing, done directly."""
    return term.lower() if term.isascii() and term.isprintable() else normalize(term)


def _added(total: float, weight: float, times: int) -> float:
    """``total`` plus ``weight`` added ``times`` times, one addition after another."""
    for _ in range(times):
        total += weight
    return total


@lru_cache(maxsize=FEATURES_CACHE)
def _cached_features(config: EngineConfig, items: tuple[tuple[str, str], ...]) -> QueryFeatures:
    return QueryFeatures.of(config, dict(items))


def explain(
    config: EngineConfig,
    query: QueryFeatures,
    names: list[str],
    contributions: np.ndarray,
    candidate_fields: Mapping[str, str],
    top: int,
) -> list[dict]:
    """The ``top`` largest contributions to one candidate's score, as JSON-ready dicts."""
    total = float(contributions.sum())
    if total <= 0:
        return []
    order = np.argsort(-contributions, kind="stable")[: 3 * top]
    shown = [
        (names[i], value) for i, value in zip(order.tolist(), contributions[order].tolist(), strict=True) if value > 0
    ]
    candidate = QueryFeatures.of(config, candidate_fields, only=frozenset(feature for feature, _ in shown))
    entries: dict[tuple, dict] = {}
    for feature, value in shown:
        query_terms, query_words = query.shown_terms(feature)
        match_terms = candidate.terms(feature)
        key = (query_terms, tuple(match_terms))
        share = value / total
        # A concept that joined postings which share none of its words (after normalisation).
        bridged = feature.startswith(CONCEPT_PREFIX) and query_words.isdisjoint(map(normalized_term, match_terms))
        if key in entries:  # same words on both sides: one line, shares added
            entries[key]["share"] += share
            entries[key]["bridged"] |= bridged
            continue
        entries[key] = {
            "feature": feature,
            "query_terms": list(query_terms),
            "match_terms": match_terms,
            "field": candidate.fields.get(feature, (None, 0.0))[0],
            "share": share,
            "bridged": bridged,
        }
    best = sorted(entries.values(), key=lambda e: -e["share"])[:top]
    for entry in best:  # rounded down, so that the shown shares never add up to more than 1
        entry["share"] = math.floor(entry["share"] * 10_000) / 10_000
    return best
