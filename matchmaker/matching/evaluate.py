"""Measure the default engine on a BEIR-layout dataset.

Usage::

    python -m matchmaker.matching.evaluate DATASET_DIR --split dev

Reads ``corpus.jsonl`` (indexes ``title`` and ``text`` only), ``queries.jsonl`` and
``qrels/SPLIT.tsv``; ranks every judged query with ``MatchingEngine()`` defaults through its public
API and prints, as its last line, one JSON object with ``ndcg@10``, ``recall@100``, ``mrr@10``,
``queries`` and ``seconds``.  Exits with status 2 and the reason on a malformed dataset.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CORPUS_KIND = "result"


class DatasetError(ValueError):
    """The dataset folder does not follow the BEIR layout."""


@dataclass(frozen=True)
class Dataset:
    """A loaded BEIR dataset: documents, the judged queries and their graded judgements."""

    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise DatasetError(f"missing file: {path}")
    rows = []
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "_id" not in row:
                raise DatasetError(f"{path}:{number}: expected an object with an _id")
            rows.append(row)
    return rows


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    if not path.is_file():
        raise DatasetError(f"missing file: {path}")
    qrels: dict[str, dict[str, int]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        cols = line.split("\t")
        if number == 1 and cols[0].strip() == "query-id":
            continue
        if not line.strip():
            continue
        if len(cols) != 3:
            raise DatasetError(f"{path}:{number}: expected query-id, corpus-id, score")
        try:
            score = int(cols[2])
        except ValueError:
            raise DatasetError(f"{path}:{number}: score {cols[2]!r} is not an integer") from None
        if score > 0:
            qrels.setdefault(cols[0], {})[cols[1]] = score
    return qrels


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def load_dataset(folder: str | Path, split: str) -> Dataset:
    """Read a BEIR folder; raise :class:`DatasetError` naming the first problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"not a directory: {folder}")
    corpus = {
        str(r["_id"]): {"title": _text(r.get("title")), "text": _text(r.get("text"))}
        for r in _read_jsonl(folder / "corpus.jsonl")
    }
    queries = {str(r["_id"]): _text(r.get("text")) for r in _read_jsonl(folder / "queries.jsonl")}
    qrels = _read_qrels(folder / "qrels" / f"{split}.tsv")
    if not corpus:
        raise DatasetError(f"{folder}: the corpus is empty")
    judged = {q: rel for q, rel in qrels.items() if q in queries}
    if not judged:
        raise DatasetError(f"{folder}: no query of {split}.tsv is in queries.jsonl")
    return Dataset(corpus=corpus, queries={q: queries[q] for q in judged}, qrels=judged)


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gain 2^rel − 1 and a log2 discount."""
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top k."""
    return len(set(ranked[:k]) & relevant.keys()) / len(relevant) if relevant else 0.0


def mrr_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top k, else 0."""
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if d in relevant), 0.0)


def score_runs(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict:
    """Average the three metrics over the judged queries (a query with no run scores 0)."""
    n = len(qrels)
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for qid, relevant in qrels.items():
        ranked = runs.get(qid, ())
        totals["ndcg@10"] += ndcg_at(ranked, relevant)
        totals["recall@100"] += recall_at(ranked, relevant)
        totals["mrr@10"] += mrr_at(ranked, relevant)
    return {name: round(value / n, 4) if n else 0.0 for name, value in totals.items()} | {"queries": n}


def rank_dataset(data: Dataset, top_n: int = 100) -> dict[str, list[str]]:
    """Rank every judged query against the corpus with the engine's defaults."""
    from .engine import MatchingEngine, Record

    records = [
        Record(kind=CORPUS_KIND, id=doc_id, fields={"title": doc["title"], "summary": doc["text"]})
        for doc_id, doc in data.corpus.items()
    ]
    engine = MatchingEngine().fit(records)
    return {
        qid: [s.id for s in engine.rank(text, CORPUS_KIND, top_n=top_n, explain_top=0)]
        for qid, text in data.queries.items()
    }


def evaluate(folder: str | Path, split: str = "dev") -> dict:
    """Load, rank and score one dataset; returns the metrics plus ``seconds``."""
    start = time.perf_counter()
    data = load_dataset(folder, split)
    metrics = score_runs(rank_dataset(data), data.qrels)
    return metrics | {"seconds": round(time.perf_counter() - start, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matchmaker.matching.evaluate", description="Measure the default engine."
    )
    parser.add_argument("dataset_dir", help="folder with corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv")
    parser.add_argument("--split", default="dev", help="qrels file name without .tsv (default: dev)")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.dataset_dir, args.split)
    except DatasetError as exc:
        print(f"error: malformed dataset: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"dataset": str(args.dataset_dir), "split": args.split} | result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
