"""Pseudo-relevance feedback: free-text queries borrow the vocabulary of their best matches."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.matching import EngineConfig, MatchingEngine, Record
from matchmaker.matching.feedback import expand

RESULTS = [
    Record("result", "graphene-anode", {"title": "Graphene anodes", "summary": "Fast-charging lithium cells."}),
    Record("result", "silicon-anode", {"title": "Silicon anodes", "summary": "Fast-charging lithium cells, more."}),
    Record("result", "membrane", {"title": "Desalination membrane", "summary": "Low-energy water treatment."}),
    Record("result", "robot", {"title": "Warehouse robot arm", "summary": "Grippers for parcels."}),
]
OPTIONS = {"terms": 50, "strength": 0.4, "temperature": 0.05}


def _ids(suggestions) -> list:
    return [s.id for s in suggestions]


def test_a_free_text_query_finds_a_record_through_its_best_match():
    engine = MatchingEngine().fit(RESULTS)
    found = _ids(engine.rank("graphene", "result"))
    assert found[:2] == ["graphene-anode", "silicon-anode"]  # shares no word with the query
    assert "membrane" not in found and "robot" not in found


def test_without_feedback_only_the_literal_match_is_found():
    engine = MatchingEngine(EngineConfig(feedback_docs=0)).fit(RESULTS)
    assert _ids(engine.rank("graphene", "result")) == ["graphene-anode"]


def test_a_posting_query_is_matched_on_its_own_words_only():
    engine = MatchingEngine().fit(RESULTS)
    need = Record("need", "n1", {"title": "graphene"})
    assert _ids(engine.rank(need, "result")) == ["graphene-anode"]


def test_feedback_keeps_top_n_exclusion_and_explanations():
    engine = MatchingEngine().fit(RESULTS)
    assert _ids(engine.rank("graphene", "result", top_n=1)) == ["graphene-anode"]
    assert "silicon-anode" not in _ids(engine.rank("graphene", "result", exclude=["silicon-anode"]))
    literal, borrowed = engine.rank("graphene", "result")[:2]
    assert literal.explanation == engine.explain("graphene", "result", "graphene-anode")
    assert [e["query_terms"] for e in literal.explanation] == [["graphene"]]
    assert borrowed.explanation == []  # none of the query's own words is in it


def test_expand_adds_the_centroid_and_keeps_the_query():
    cols, weights = np.array([1, 4]), np.array([1.0, 2.0])
    docs = [(np.array([4, 7, 9]), np.array([3.0, 1.0, 0.5]))]
    new_cols, new_weights = expand(cols, weights, docs, np.array([5.0]), **OPTIONS)
    assert new_cols.tolist() == [1, 4, 7, 9]
    assert new_weights[0] == 1.0 and new_weights[1] > 2.0
    added = new_weights - np.array([1.0, 2.0, 0.0, 0.0])
    assert np.linalg.norm(added) == pytest.approx(0.4 * np.linalg.norm(weights))


def test_expand_keeps_only_the_heaviest_terms_and_listens_to_the_top_document():
    cols, weights = np.array([0]), np.array([1.0])
    best = (np.array([1, 2, 3]), np.array([5.0, 4.0, 0.1]))
    far = (np.array([8]), np.array([9.0]))  # scores half the best: its say is ~e^-10
    new_cols, _ = expand(cols, weights, [best, far], np.array([2.0, 1.0]), **(OPTIONS | {"terms": 2}))
    assert new_cols.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("docs", "scores", "options"),
    [
        ([], np.zeros(0), OPTIONS),
        ([(np.array([2]), np.array([1.0]))], np.array([0.0]), OPTIONS),
        ([(np.array([2]), np.array([1.0]))], np.array([1.0]), OPTIONS | {"strength": 0.0}),
        ([(np.array([2]), np.array([0.0]))], np.array([1.0]), OPTIONS),
    ],
    ids=["no documents", "zero score", "strength 0", "empty centroid"],
)
def test_expand_leaves_the_query_alone_when_there_is_nothing_to_learn(docs, scores, options):
    cols, weights = np.array([1]), np.array([1.0])
    new_cols, new_weights = expand(cols, weights, docs, scores, **options)
    assert new_cols.tolist() == [1] and new_weights.tolist() == [1.0]
