"""benchmarks/suggestions.py: the product benchmark runs the service path end to end on the sample set."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "suggestions.py"
SAMPLE = ROOT / "benchmarks" / "data" / "gba_sample.json"
RANKING = ("ndcg10_needs", "ndcg10_results", "p5", "recall3_g2", "recall3_g2_crosslang")
SHARES = RANKING + ("stored_precision",)


def _script():
    spec = importlib.util.spec_from_file_location("bench_suggestions", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sample_run_stores_suggestions_and_reports_every_figure(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--data", str(SAMPLE)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))

    assert figures["n_results"] == len(sample["results"]) and figures["n_needs"] == len(sample["needs"])
    assert figures["stored_per_need"] > 0, "publishing stored no suggestion"
    assert figures["stored_per_need"] <= figures["n_results"]
    assert figures["stored_pairs"] == round(figures["stored_per_need"] * figures["n_needs"])
    assert 0 <= figures["empty_needs_noise"] <= figures["n_results"]
    for name in SHARES:
        assert 0 <= figures[name] <= 1, name
    for reference in ("engine_alone", "tfidf_plain", "bm25"):
        for name in RANKING:
            assert 0 <= figures[reference][name] <= 1, (reference, name)
    # Something relevant is found at all: the sample is easy enough that a working path is far from zero.
    assert figures["ndcg10_needs"] > 0 and figures["engine_alone"]["ndcg10_needs"] > 0
    assert len(figures["commit"]) == 40 and figures["wall_s"] > 0 and figures["database"] == "sqlite"


def test_the_metrics_reward_the_ideal_order_and_count_pairs_once():
    bench = _script()
    data = {"results": [{"id": "r1", "lang": "en"}, {"id": "r2", "lang": "zh-HK"}, {"id": "r3", "lang": "en"}],
            "needs": [{"id": "n1", "lang": "zh-CN"}, {"id": "n2", "lang": "en"}],
            "qrels": {"n1": {"r2": 2, "r1": 1}, "n2": {}}}
    ideal = bench.ranking_metrics({"n1": ["r2", "r1", "r3"]}, {"r1": ["n1"], "r2": ["n1"]}, data)
    assert ideal["ndcg10_needs"] == ideal["ndcg10_results"] == 1.0
    assert ideal["recall3_g2"] == ideal["recall3_g2_crosslang"] == 1.0
    assert ideal["p5"] == 0.4

    worse = bench.ranking_metrics({"n1": ["r3", "r1", "r2"]}, {}, data)
    assert worse["ndcg10_needs"] < 1.0 and worse["ndcg10_results"] == 0.0

    stored = bench.stored_metrics({"n1": ["r2", "r3"], "n2": ["r1", "r3", "r2"]}, data)
    assert stored == {"stored_precision": 0.2, "empty_needs_noise": 3.0, "stored_per_need": 2.5,
                      "stored_pairs": 5}


def test_the_sweep_cuts_from_both_sides_and_picks_the_strictest_point_that_keeps_the_ranking():
    bench = _script()
    lists = {"need": {"n1": [("r1", 0.40, 1), ("r2", 0.10, 2), ("r3", 0.03, 3)], "n2": [("r2", 0.08, 1)]},
             "result": {"r1": [("n1", 0.40, 1)], "r2": [("n1", 0.10, 1), ("n2", 0.08, 2)], "r3": [("n1", 0.03, 1)]}}
    assert bench.cut(lists, 0.0, 0.0) == {"n1": ["r1", "r2", "r3"], "n2": ["r2"]}
    assert bench.cut(lists, 0.05, 0.0) == {"n1": ["r1", "r2"], "n2": ["r2"]}
    # r2 is far behind n1's best, but n1 is r2's own best: kept; r3 falls to the floor only
    assert bench.cut(lists, 0.0, 0.6) == {"n1": ["r1", "r2", "r3"], "n2": ["r2"]}
    assert bench.cut(lists, 0.05, 0.6) == {"n1": ["r1", "r2"], "n2": ["r2"]}

    def row(floor, relative, ndcg, recall3, per_need):
        return {"floor": floor, "relative_floor": relative, "ndcg10_needs": ndcg, "recall3_g2": recall3,
                "stored_per_need": per_need}
    rows = [row(0.0, 0.0, 0.60, 0.50, 40), row(0.05, 0.0, 0.595, 0.50, 20), row(0.1, 0.0, 0.50, 0.40, 3),
            row(0.05, 0.6, 0.591, 0.50, 10)]
    assert bench.chosen(rows) == rows[3]  # fewest stored among those within 0.01 of the uncut ranking
