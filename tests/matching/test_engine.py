"""MatchingEngine behaviour: ranking, exclusion, incremental updates, exactness of the index."""

from __future__ import annotations

import random

import numpy as np
import pytest
import scipy.sparse as sp

from matchmaker.matching import EngineConfig, MatchingEngine, NotFittedError, Record, collection, index

RESULTS = [
    Record("result", "r-graphene", {"title": "Graphene battery electrodes", "summary": "Fast charging cells."}),
    Record("result", "r-membrane", {"title": "Desalination membrane", "summary": "Low energy water treatment."}),
    Record("result", 7, {"title": "石墨烯 涂层", "summary": "石墨烯防腐涂层技术，用于船舶。"}),
    Record("result", "r-robot", {"title": "Warehouse robot arm", "keywords": "robotics, gripper"}),
]
NEEDS = [
    Record("need", "n-battery", {"title": "Need graphene for battery cells", "details": "electrodes"}),
    Record("need", "n-water", {"title": "Water treatment membrane supplier"}),
]


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine().fit(RESULTS + NEEDS)


def _ids(suggestions) -> list:
    return [s.id for s in suggestions]


def test_rank_returns_callers_ids_best_first_without_zero_scores(engine):
    found = engine.rank(NEEDS[0], "result")
    assert found[0].id == "r-graphene"
    assert set(_ids(found)) <= {r.id for r in RESULTS}
    assert "r-robot" not in _ids(found)  # shares no word with the need: score 0 is dropped
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_free_text_query_and_top_n(engine):
    assert _ids(engine.rank("desalination membrane", "result", top_n=1)) == ["r-membrane"]
    assert engine.rank("desalination membrane", "result", top_n=0) == []


@pytest.mark.parametrize("query", ["", "the of and", "zzzqqq unseenword"])
def test_query_without_known_features_gives_nothing(engine, query):
    assert engine.rank(query, "result") == []


def test_empty_kind_gives_empty_list():
    engine = MatchingEngine().fit(NEEDS)
    assert engine.rank("graphene", "result") == []
    engine.remove("need", [n.id for n in NEEDS])
    assert engine.rank("water", "need") == []


@pytest.mark.parametrize("call", ["rank", "add", "remove", "save", "drift"])
def test_unfitted_use_raises(call, tmp_path):
    engine = MatchingEngine()
    actions = {
        "rank": lambda: engine.rank("graphene", "result"),
        "add": lambda: engine.add(RESULTS[:1]),
        "remove": lambda: engine.remove("result", ["r-graphene"]),
        "save": lambda: engine.save(tmp_path / "index.npz"),
        "drift": lambda: engine.drift,
    }
    with pytest.raises(NotFittedError):
        actions[call]()


def test_exclude_skips_ids_and_a_record_never_matches_itself(engine):
    assert "r-graphene" not in _ids(engine.rank(NEEDS[0], "result", exclude=["r-graphene"]))
    duplicates = engine.rank(RESULTS[0], "result")
    assert "r-graphene" not in _ids(duplicates)
    twin = Record("result", "twin", dict(RESULTS[0].fields))
    engine.add([twin])
    assert _ids(engine.rank(RESULTS[0], "result"))[0] == "twin"


def test_duplicate_ids_are_refused(engine):
    with pytest.raises(ValueError, match="duplicate"):
        MatchingEngine().fit([RESULTS[0], RESULTS[0]])
    with pytest.raises(ValueError, match="already indexed"):
        engine.add([RESULTS[0]])


def test_add_update_remove_change_later_rankings(engine):
    engine.add([Record("result", "r-new", {"title": "Water treatment membrane plant"})])
    assert _ids(engine.rank(NEEDS[1], "result"))[0] == "r-new"
    engine.update([Record("result", "r-new", {"title": "Robot gripper"})])
    assert "r-new" not in _ids(engine.rank(NEEDS[1], "result"))
    assert engine.remove("result", ["r-membrane", "no-such-id"]) == 1
    assert "r-membrane" not in _ids(engine.rank(NEEDS[1], "result"))
    assert ("result", "r-membrane") not in engine and ("result", "r-new") in engine
    assert engine.drift == pytest.approx(3 / len(RESULTS + NEEDS))


@pytest.mark.parametrize("changed", range(len(RESULTS)))
def test_incremental_changes_score_like_a_fresh_fit(engine, changed):
    record = RESULTS[changed]
    engine.remove("result", [record.id])
    engine.add([record])  # same records as fitted, so the weighting statistics are unchanged
    engine.update([RESULTS[(changed + 1) % len(RESULTS)]])
    fresh = MatchingEngine().fit(RESULTS + NEEDS)
    for query in [*NEEDS, "石墨烯 graphene membrane"]:
        got = {s.id: s.score for s in engine.rank(query, "result", explain_top=0)}
        want = {s.id: s.score for s in fresh.rank(query, "result", explain_top=0)}
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-6)


# -- exactness against a brute-force oracle ----------------------------------------------------

WORDS = [f"w{chr(97 + i)}{chr(97 + j)}" for i in range(6) for j in range(6)] + list("电池石墨烯涂层水膜")


def _random_records(kind: str, n: int, seed: int) -> list[Record]:
    rng = random.Random(seed)
    # Zipf-like: early words are common, late ones rare, so bounds and pruning have work to do.
    weights = [1 / (i + 1) for i in range(len(WORDS))]
    return [
        Record(
            kind,
            f"{kind}{i}",
            {
                "title": " ".join(rng.choices(WORDS, weights, k=rng.randint(1, 4))),
                "details": " ".join(rng.choices(WORDS, weights, k=rng.randint(0, 30))),
            },
        )
        for i in range(n)
    ]


def _brute_force(engine: MatchingEngine, records: list[Record], query: Record, top_n: int) -> list[tuple]:
    """Scores computed without the index: counts → fitted weighting → dense dot products."""
    config, vocab = engine.config, engine.vocabulary_.index

    def row(fields):
        counts = config.count_features(fields)
        cols = [vocab[f] for f in counts if f in vocab]
        data = [counts[f] for f in counts if f in vocab]
        return sp.csr_matrix((data, cols, [0, len(cols)]), shape=(1, len(vocab)))

    docs = engine.weighting_.transform(sp.vstack([row(r.fields) for r in records]))
    q = engine.weighting_.transform(row(query.fields), query=True)
    scores = np.asarray((docs @ q.T).todense()).ravel()
    ranked = sorted(((s, i) for i, s in enumerate(scores) if s > 0), key=lambda p: (-p[0], p[1]))
    return [(records[i].id, s) for s, i in ranked[:top_n]]


@pytest.fixture(params=["one block", "many blocks"])
def search_path(request, monkeypatch):
    if request.param == "many blocks":  # scan a few rows at a time, so block edges are crossed
        monkeypatch.setattr(index, "SCAN_BLOCK", 7)
    return request.param


@pytest.mark.parametrize("top_n", [1, 5, 40])
def test_ranking_equals_brute_force(search_path, top_n):
    results = _random_records("result", 150, seed=1)
    engine = MatchingEngine().fit(results)
    for query in _random_records("need", 12, seed=2):
        got = [(s.id, s.score) for s in engine.rank(query, "result", top_n, explain_top=0)]
        want = _brute_force(engine, results, query, top_n)
        assert [g[0] for g in got] == [w[0] for w in want]
        assert [g[1] for g in got] == pytest.approx([w[1] for w in want], rel=1e-6)


def test_scan_threads_split_rows_without_changing_results(monkeypatch):
    monkeypatch.setattr(index, "SCAN_BLOCK", 7)  # 150 rows: 22 blocks to share between threads
    results = _random_records("result", 150, seed=1)
    engines = [MatchingEngine(search_threads=n).fit(results) for n in (1, 2, 3)]
    for n, query in enumerate(_random_records("need", 12, seed=2)):
        exclude = [r.id for r in results[n % 5 :: 17]]
        rankings = [e.rank(query, "result", 15, exclude, explain_top=0) for e in engines]
        assert rankings[0] and rankings[1] == rankings[0] and rankings[2] == rankings[0]
        assert not {s.id for s in rankings[0]} & set(exclude)
        assert [(s.id, s.score) for s in rankings[0]] == [
            (i, pytest.approx(v, rel=1e-6)) for i, v in _brute_force(engines[0], results, query, 40)
            if i not in exclude
        ][:15]


def test_side_buffer_segments_and_merges_stay_exact(search_path, monkeypatch):
    monkeypatch.setattr(collection, "SIDE_MAX", 7)  # many flushes and merges with few records
    results = _random_records("result", 90, seed=3)
    engine = MatchingEngine().fit(results[:20])
    for record in results[20:]:
        engine.add([record])
    engine.remove("result", [r.id for r in results[::9]])
    assert len(engine.indexes_["result"].segments) > 1
    alive = [r for i, r in enumerate(results) if i % 9]
    for query in _random_records("need", 8, seed=4):
        got = [s.id for s in engine.rank(query, "result", 10, explain_top=0)]
        assert got == [w[0] for w in _brute_force(engine, alive, query, 10)]


def test_parallel_fit_and_bulk_ranking_match_serial():
    records = _random_records("result", 1200, seed=5)
    queries = _random_records("need", 220, seed=6)
    serial = MatchingEngine().fit(records)
    parallel = MatchingEngine(n_jobs=2).fit(records)
    assert parallel.vocabulary_.features == serial.vocabulary_.features
    assert parallel.rank_many(queries, "result", 5, n_jobs=2) == serial.rank_many(queries, "result", 5)


def test_other_config_is_used():
    title_only = EngineConfig(field_weights=(("title", 5.0),), default_field_weight=0.0)
    engine = MatchingEngine(title_only).fit(RESULTS)
    assert engine.rank("energy water treatment", "result") == []  # only in summaries, weight 0
