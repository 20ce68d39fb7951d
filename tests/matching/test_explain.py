"""Explanations: shares, order, fields, and the words each side used (both languages if bridged)."""

from __future__ import annotations

import json

import pytest

from matchmaker.matching import MatchingEngine, Record

KEYS = {"feature", "query_terms", "match_terms", "field", "share", "bridged"}


def _fit(*records: Record) -> MatchingEngine:
    filler = [
        Record("result", f"filler-{i}", {"title": t}) for i, t in enumerate(["robot arm", "solar cell"])
    ]
    return MatchingEngine().fit([*records, *filler])


@pytest.mark.parametrize(
    "query",
    ["graphene battery electrode coating", "石墨烯 电池", "desalination water membrane graphene"],
)
def test_shares_are_ordered_sum_to_at_most_one_and_serialise(query):
    engine = _fit(
        Record(
            "result", "a", {"title": "Graphene battery", "summary": "electrode coating for water membranes"}
        ),
        Record("result", "b", {"title": "石墨烯电池", "details": "desalination membrane"}),
    )
    found = engine.rank(query, "result", explain_top=4)
    assert found
    for suggestion in found:
        shares = [e["share"] for e in suggestion.explanation]
        assert 0 < len(shares) <= 4 and all(set(e) == KEYS for e in suggestion.explanation)
        assert shares == sorted(shares, reverse=True)
        assert 0 < sum(shares) <= 1
        json.dumps(suggestion.explanation)  # stored by the service as JSON


@pytest.mark.parametrize("field", ["title", "keywords", "summary", "details"])
def test_field_is_the_candidates_field_holding_the_feature(field):
    fields = {
        "title": "solar panel",
        "keywords": "inverter",
        "summary": "roof mounting",
        "details": "warranty",
    }
    fields[field] += " perovskite"
    engine = _fit(Record("result", "x", fields))
    suggestion = engine.rank("perovskite", "result")[0]
    (entry,) = suggestion.explanation
    assert entry["field"] == field and entry["match_terms"] == ["perovskite"]
    assert entry["share"] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [("graphene", "石墨烯"), ("battery", "电池"), ("battery", "電池")],
)
@pytest.mark.parametrize("direction", ["english query", "chinese query"])
def test_cross_language_match_shows_both_words(english, chinese, direction):
    query, candidate = (english, chinese) if direction == "english query" else (chinese, english)
    engine = _fit(Record("result", "c", {"title": f"{candidate} research"}))
    (suggestion,) = [s for s in engine.rank(query, "result") if s.id == "c"]
    bridged = [e for e in suggestion.explanation if e["bridged"]]
    assert bridged, suggestion.explanation
    assert query in bridged[0]["query_terms"] and candidate in bridged[0]["match_terms"]


def test_same_word_on_both_sides_is_one_unbridged_line():
    engine = _fit(Record("result", "g", {"title": "Graphene sheets"}))
    (suggestion,) = engine.rank("graphene", "result")
    assert [e["bridged"] for e in suggestion.explanation] == [False]
    assert suggestion.explanation[0]["query_terms"] == ["graphene"]
    assert suggestion.explanation[0]["match_terms"] == ["Graphene"]  # the candidate's own spelling


@pytest.mark.parametrize("top", [0, 1, 2])
def test_explain_top_bounds_the_length(top):
    engine = _fit(Record("result", "m", {"title": "graphene battery electrode coating membrane"}))
    (suggestion,) = engine.rank("graphene battery electrode coating membrane", "result", explain_top=top)
    assert len(suggestion.explanation) == top


def test_explain_one_record_equals_the_ranked_explanation():
    engine = _fit(
        Record("result", "a", {"title": "Graphene battery", "summary": "electrode coating"}),
        Record("result", "b", {"title": "石墨烯电池"}),
    )
    for suggestion in engine.rank("graphene battery 电池", "result", explain_top=3):
        assert engine.explain("graphene battery 电池", "result", suggestion.id, top=3) == suggestion.explanation
    assert engine.explain("graphene", "result", "no-such-id") == []
