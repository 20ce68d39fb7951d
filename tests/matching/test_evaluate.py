"""The evaluation CLI on tiny BEIR folders written here, with metrics worked out by hand."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from matchmaker.matching.evaluate import main

CORPUS = [
    {"_id": "d1", "title": "Graphene battery", "text": "A graphene anode for fast charging."},
    {"_id": "d2", "title": "Solar cell", "text": "Perovskite tandem photovoltaics."},
    {"_id": "d3", "title": "Fall detection", "text": "Millimetre-wave radar in elderly homes."},
]
QUERIES = [
    {"_id": "q1", "text": "graphene anode"},  # finds d1 only; judged d1 (1) and d3 (2)
    {"_id": "q2", "text": "perovskite photovoltaics"},  # finds d2 only; judged d2 (1)
    {"_id": "q3", "text": "radar"},  # finds d3 only; judged d2 (1): a miss
    {"_id": "q4", "text": "graphene"},  # not judged: must not count
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t2\nq2\td2\t1\nq3\td2\t1\nq3\td1\t0\n"


def write_beir(folder, corpus=CORPUS, queries=QUERIES, qrels=QRELS, split="test"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in corpus) + "\n", "utf-8")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(r) for r in queries) + "\n", "utf-8")
    (folder / "qrels").mkdir(exist_ok=True)
    (folder / "qrels" / f"{split}.tsv").write_text(qrels, "utf-8")
    return folder


def test_metrics_match_a_hand_computation(tmp_path, capsys):
    assert main([str(write_beir(tmp_path / "tiny")), "--split", "test"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # q1: d1 (gain 1) at rank 1; ideal order d3 (gain 3), d1 (gain 1).  q2 perfect.  q3 nothing.
    ndcg_q1 = 1.0 / (3.0 + 1.0 / math.log2(3))
    assert result["ndcg@10"] == pytest.approx((ndcg_q1 + 1.0 + 0.0) / 3, abs=1e-4)
    assert result["recall@100"] == pytest.approx((0.5 + 1.0 + 0.0) / 3, abs=1e-4)
    assert result["mrr@10"] == pytest.approx((1.0 + 1.0 + 0.0) / 3, abs=1e-4)
    assert result["queries"] == 3
    assert result["seconds"] >= 0


def test_the_split_names_the_qrels_file(tmp_path, capsys):
    folder = write_beir(tmp_path / "tiny", qrels="query-id\tcorpus-id\tscore\nq2\td2\t1\n", split="dev")
    assert main([str(folder), "--split", "dev"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["queries"] == 1 and result["ndcg@10"] == 1.0


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda f: (f / "queries.jsonl").unlink(), "queries.jsonl"),
        (lambda f: (f / "qrels" / "test.tsv").unlink(), "test.tsv"),
        (lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1"}\nnot json\n', "utf-8"), "not JSON"),
        (lambda f: (f / "corpus.jsonl").write_text('["no", "id"]\n', "utf-8"), "_id"),
        (lambda f: (f / "qrels" / "test.tsv").write_text("q1\td1\tmany\n", "utf-8"), "not an integer"),
        (lambda f: (f / "qrels" / "test.tsv").write_text("q1 d1 1\n", "utf-8"), "query-id"),
        (lambda f: (f / "qrels" / "test.tsv").write_text("qX\td1\t1\n", "utf-8"), "no query"),
        (lambda f: (f / "corpus.jsonl").write_text("", "utf-8"), "empty"),
    ],
)
def test_a_malformed_folder_exits_non_zero_with_the_reason(tmp_path, capsys, damage, message):
    folder = write_beir(tmp_path / "bad")
    damage(folder)
    assert main([str(folder), "--split", "test"]) == 2
    err = capsys.readouterr().err
    assert "malformed dataset" in err and message in err


def test_the_module_runs_as_a_command(tmp_path):
    missing = tmp_path / "nowhere"
    proc = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "matchmaker.matching.evaluate", str(missing), "--split", "dev"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "not a directory" in proc.stderr and proc.stdout == ""
