"""Pseudo-relevance feedback for free-text queries (one Rocchio round).

A few words typed into a search box rarely use all the vocabulary of the posting that answers
them; the best-ranked postings usually do.  One round of feedback adds the characteristic terms of
the top few postings to the query, each posting weighted by how close its score is to the best
one, and the engine ranks again.  A posting ranked against the other side does not need it: it
brings its whole description, and its matches must be explainable from its own words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def expand(
    cols: np.ndarray,
    weights: np.ndarray,
    documents: Sequence[tuple[np.ndarray, np.ndarray]],
    scores: np.ndarray,
    *,
    terms: int,
    strength: float,
    temperature: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The query ``(cols, weights)`` plus the weighted centroid of the top ``documents``.

    Parameters
    ----------
    cols, weights : the query vector (ascending columns).
    documents : ``(columns, weights)`` of the best-ranked documents, best first.
    scores : their first-round scores, best first.
    terms : keep only this many of the centroid's heaviest columns.
    strength : the centroid's length relative to the query's (0 turns feedback off).
    temperature : how fast a document's say falls with its score, as a share of the best score
        (its weight is ``exp((score - best) / (temperature * best))``): small values listen to the
        top document almost alone, so a lone relevant posting is not drowned by its neighbours.

    Returns the expanded vector, columns ascending.  Without documents, or with a zero query or
    centroid, the query comes back unchanged.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not documents or strength <= 0 or scores.size == 0 or scores[0] <= 0 or not np.any(weights):
        return cols, weights
    say = np.exp((scores - scores[0]) / (temperature * scores[0]))
    say /= say.sum()
    doc_cols = np.concatenate([c for c, _ in documents])
    doc_weights = np.concatenate([w * (s / max(_norm(w), 1e-12)) for (_, w), s in zip(documents, say, strict=True)])
    centroid_cols, inverse = np.unique(doc_cols, return_inverse=True)
    centroid = np.bincount(inverse, weights=doc_weights)
    if centroid.size > terms:
        keep = np.sort(np.argpartition(-centroid, terms)[:terms])
        centroid_cols, centroid = centroid_cols[keep], centroid[keep]
    length = _norm(centroid)
    if length <= 0:
        return cols, weights
    centroid *= strength * _norm(weights) / length
    merged = np.union1d(cols, centroid_cols)
    out = np.zeros(merged.size)
    out[np.searchsorted(merged, cols)] += weights
    out[np.searchsorted(merged, centroid_cols)] += centroid
    return merged, out


def _norm(values: np.ndarray) -> float:
    return float(np.sqrt(np.dot(values, values)))
