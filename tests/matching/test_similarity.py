"""`MatchingEngine.self_score`: the ceiling that turns raw scores into comparable similarities."""

from __future__ import annotations

import pytest

from matchmaker.matching import MatchingEngine, Record

CORPUS = [
    Record("result", "a", {"title": "Graphene battery", "summary": "A graphene battery that charges fast."}),
    Record("result", "b", {"title": "Solar cell", "summary": "Perovskite tandem solar cell."}),
    Record("result", "c", {"title": "Fall detection radar", "summary": "Millimetre-wave radar for elderly homes."}),
]


@pytest.fixture(scope="module")
def engine():
    return MatchingEngine().fit(CORPUS)


def test_a_copy_of_a_document_scores_its_self_score(engine):
    query = Record("need", 1, dict(CORPUS[0].fields))
    best = engine.rank(query, kind="result")[0]
    assert best.id == "a"
    assert best.score == pytest.approx(engine.self_score(query), rel=1e-6)


@pytest.mark.parametrize("short,long", [("graphene battery", "graphene battery fast charging phones tablets"),
                                        ("solar", "solar cell perovskite tandem efficiency")])
def test_longer_queries_have_higher_ceilings_so_raw_scores_are_not_comparable(engine, short, long):
    assert engine.self_score(long) > engine.self_score(short) > 0


def test_unknown_words_have_no_ceiling(engine):
    assert engine.self_score("zzzz qqqq") == 0.0


def test_score_gives_exactly_what_rank_gives_and_skips_unknown_ids(engine):
    query = Record("need", 1, {"title": "graphene battery for solar storage"})
    ranked = {s.id: s.score for s in engine.rank(query, kind="result", top_n=10)}
    scored = engine.score(query, "result", ["a", "b", "c", "missing"])
    assert set(scored) == {"a", "b", "c"}
    for record_id, value in ranked.items():
        assert scored[record_id] == pytest.approx(value, rel=1e-5)
    assert scored["c"] == 0.0 and "c" not in ranked  # no shared feature: zero, and rank leaves it out


def test_similarities_and_explain_many_agree_with_the_one_at_a_time_calls(engine):
    query = Record("need", 2, {"title": "graphene battery", "summary": "fast charging graphene cells"})
    ceiling = engine.self_score(query)
    scores = engine.score(query, "result", ["a", "b", "missing"])
    shares = engine.similarities(query, "result", ["a", "b", "missing"])
    assert set(shares) == {"a", "b"}
    for record_id, share in shares.items():
        assert share == pytest.approx(min(1.0, scores[record_id] / ceiling), rel=1e-5)
    assert engine.explain_many(query, "result", ["a", "missing"]) == [engine.explain(query, "result", "a"), []]


def _needs_engine():
    needs = [Record("need", 1, {"title": "graphene battery", "summary": "fast charging graphene cells"}),
             Record("need", 2, {"title": "太陽能電池", "summary": "Solar cells for rooftops"}),
             Record("need", 3, {"title": "radar", "summary": "unrelated wording entirely"})]
    return MatchingEngine().fit(CORPUS + needs), needs


def test_reverse_similarities_score_each_record_as_the_query_against_the_target():
    engine, needs = _needs_engine()
    for target in CORPUS:
        found = engine.reverse_similarities("result", target.id, "need", [1, 2, 3, "missing"])
        assert set(found) == {1, 2, 3}
        for need in needs:
            expected = engine.similarities(need, "result", [target.id])[target.id]
            assert found[need.id] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert engine.reverse_similarities("result", "a", "need", [1])[1] > 0  # not all zero
    assert engine.reverse_similarities("result", "missing", "need", [1, 2]) == {1: 0.0, 2: 0.0}


def test_reverse_similarities_follow_an_updated_record_and_a_refit():
    engine, needs = _needs_engine()
    before = engine.reverse_similarities("result", "a", "need", [1])[1]
    changed = Record("need", 1, {"title": "solar cell", "summary": "perovskite tandem"})
    engine.update([changed])
    after = engine.reverse_similarities("result", "a", "need", [1])[1]
    assert after == pytest.approx(engine.similarities(changed, "result", ["a"])["a"], rel=1e-9, abs=1e-12)
    assert after < before
    engine.fit([CORPUS[0], Record("need", 9, {"title": "graphene"}), Record("need", 1, changed.fields)])
    refit = engine.reverse_similarities("result", "a", "need", [1, 9])
    graphene = Record("need", 9, {"title": "graphene"})
    assert refit[9] == pytest.approx(engine.similarities(graphene, "result", ["a"])["a"], rel=1e-9, abs=1e-12)
    assert refit[1] == pytest.approx(engine.similarities(changed, "result", ["a"])["a"], rel=1e-9, abs=1e-12)


def test_pair_similarities_are_the_same_whichever_record_of_the_pair_asks():
    engine, needs = _needs_engine()
    results = ["a", "b", "c"]
    from_results = {r: engine.pair_similarities("result", r, "need", [1, 2, 3]) for r in results}
    for need in needs:
        from_need = engine.pair_similarities("need", need.id, "result", results + ["missing"])
        assert set(from_need) == set(results)
        for r in results:
            assert from_need[r] == pytest.approx(from_results[r][need.id], rel=1e-6, abs=1e-9)
    # the better of the two directions, each over the asking record's own ceiling
    forward = engine.similarities(needs[1], "result", ["b"])["b"]
    backward = engine.similarities(CORPUS[1], "need", [2])[2]
    assert forward != pytest.approx(backward)
    assert from_results["b"][2] == pytest.approx(max(forward, backward), rel=1e-6)
    assert engine.pair_similarities("need", 1, "result", ["a"])["a"] > engine.pair_similarities(
        "need", 1, "result", ["b"])["b"]
    assert engine.pair_similarities("need", "missing", "result", ["a"]) == {"a": 0.0}
