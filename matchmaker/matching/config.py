"""The product's one default engine configuration.

One configuration serves every language and every kind of posting; there are deliberately no
per-dataset or per-language switches.  :meth:`EngineConfig.weight` is how a field's analyzed
features become the raw weighted counts that :class:`~matchmaker.matching.weighting.TermWeighting`
fits on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .glossary import CONCEPT_PREFIX

# Short, dense fields say what a posting is about; long descriptions repeat and digress.
DEFAULT_FIELD_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("title", 3.0),
    ("keywords", 3.0),
    ("summary", 1.0),
    ("description", 1.0),
    ("text", 1.0),
    ("details", 1.0),
)


@dataclass(frozen=True)
class EngineConfig:
    """Parameters of the matching engine (immutable; compare and persist by value).

    Attributes
    ----------
    field_weights : (field name, multiplier) pairs; a field not listed gets ``default_field_weight``.
    default_field_weight : multiplier of unlisted fields and of free-text queries.
    cjk_ngrams : (min, max) Han character n-gram lengths.
    word_bigrams : also index adjacent English stem pairs.
    glossary : add bilingual concept features (English ↔ Chinese bridging).
    concept_weight : multiplier of one concept occurrence relative to a plain term.  Chinese words
        add concepts beside their n-grams at this weight; an English word that is a concept emits
        it ``1 / concept_weight`` times instead of its stem, so it keeps a plain term's weight.
    k1, b : BM25-style saturation and length normalisation of document term weights.
    feedback_docs : free-text queries get one round of pseudo-relevance feedback from this many
        top-ranked records (0 turns it off); postings ranked against postings never do (see
        :mod:`~matchmaker.matching.feedback`).
    feedback_terms, feedback_strength, feedback_temperature : the feedback centroid's heaviest
        columns kept, its length relative to the query's, and how fast a record's say falls with
        its score (a share of the best score).
    """

    field_weights: tuple[tuple[str, float], ...] = DEFAULT_FIELD_WEIGHTS
    default_field_weight: float = 1.0
    cjk_ngrams: tuple[int, int] = (1, 2)
    word_bigrams: bool = False
    glossary: bool = True
    concept_weight: float = 0.25
    k1: float = 1.6
    b: float = 0.75
    feedback_docs: int = 5
    feedback_terms: int = 50
    feedback_strength: float = 0.4
    feedback_temperature: float = 0.05

    def field_weight(self, field: str) -> float:
        """Multiplier of a field's counts (unknown fields get ``default_field_weight``)."""
        return dict(self.field_weights).get(field, self.default_field_weight)

    def weight(self, field: str, feature: str) -> float:
        """Raw count contributed by one occurrence of ``feature`` in ``field``."""
        w = self.field_weight(field)
        return w * self.concept_weight if feature.startswith(CONCEPT_PREFIX) else w

    def analyzer_options(self) -> dict:
        """Keyword arguments for :func:`~matchmaker.matching.text.analyze` under this config."""
        return {
            "ngrams": self.cjk_ngrams,
            "word_bigrams": self.word_bigrams,
            "concepts": self.glossary and self.concept_weight > 0,
            "word_concept_repeat": max(1, round(1 / self.concept_weight)) if self.concept_weight > 0 else 1,
        }

    def count_features(self, fields: Mapping[str, str]) -> dict[str, float]:
        """Weighted feature counts of one record's fields (the row the engine indexes)."""
        from .text import analyze  # imported here so that config stays importable on its own

        options = self.analyzer_options()
        counts: dict[str, float] = {}
        for field, value in fields.items():
            if not value:
                continue
            fw = self.field_weight(field)
            for feature in analyze(value, **options):
                w = fw * self.concept_weight if feature.startswith(CONCEPT_PREFIX) else fw
                counts[feature] = counts.get(feature, 0.0) + w
        return counts
