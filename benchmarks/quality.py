"""Ranking quality of the default engine on every evaluation set, beside a BM25 reference.

Usage::

    .venv/bin/python benchmarks/quality.py [--eval-dir DIR] [--split dev] [--only scifact ...]

For each dataset: our nDCG@10, Recall@100 and MRR@10 (``MatchingEngine()`` defaults, exactly as
``python -m matchmaker.matching.evaluate`` ranks), the same figures for ``bm25s`` computed in this
run (k1 = 0.9, b = 0.4, over English Snowball stems without stop-words plus Chinese character
unigrams and bigrams, Traditional folded to Simplified: the ranker a user would otherwise reach
for), and the nDCG@10 the issue requires.  Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaker.matching.evaluate import load_dataset, rank_dataset, score_runs  # noqa: E402
from matchmaker.matching.text import normalize, stem_words  # noqa: E402

# dataset folder → the nDCG@10 the acceptance table requires
TARGETS = {
    "scifact": 0.72,
    "cranfield": 0.40,
    "csl/kw2paper": 0.99,
    "csl/kw2paper_zh-hk": 0.99,
    "csl/kw2paper_xscript": 0.99,
    "csl/title2abstract": 0.98,
    "csl_kw2abstract_large": 0.975,
    "wmt_biomed_zh_en/sent_en2zh": 0.60,
    "wmt_biomed_zh_en/sent_zh2en": 0.60,
}

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKENS = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)")


def reference_tokens(text: str, stop: frozenset[str]) -> list[str]:
    """English stems (stop-words removed) and Han character unigrams + bigrams, after folding."""
    out: list[str] = []
    words: list[str] = []
    for han, latin in _TOKENS.findall(normalize(text)):
        if latin:
            if latin not in stop:
                words.append(latin)
        else:
            out.extend(han)
            out.extend(han[i : i + 2] for i in range(len(han) - 1))
    return out + stem_words(words)


def bm25_runs(data, top_n: int = 100) -> dict[str, list[str]]:
    """Rankings of the reference BM25 (bm25s) for every judged query."""
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN

    stop = frozenset(STOPWORDS_EN)
    ids = list(data.corpus)
    docs = [reference_tokens(f"{d['title']} {d['text']}", stop) for d in data.corpus.values()]
    retriever = bm25s.BM25(k1=0.9, b=0.4)
    retriever.index([d or [""] for d in docs], show_progress=False)
    qids = list(data.queries)
    queries = [reference_tokens(data.queries[q], stop) or [""] for q in qids]
    found, scores = retriever.retrieve(queries, k=min(top_n, len(ids)), show_progress=False)
    return {
        q: [ids[j] for j, s in zip(found[i], scores[i], strict=True) if s > 0] for i, q in enumerate(qids)
    }


def measure(folder: Path, split: str) -> dict:
    """Our figures and the reference's on one dataset."""
    data = load_dataset(folder, split)
    start = time.perf_counter()
    ours = score_runs(rank_dataset(data), data.qrels) | {"seconds": round(time.perf_counter() - start, 1)}
    return {"ours": ours, "bm25": score_runs(bm25_runs(data), data.qrels)}


def print_table(results: dict) -> None:
    head = f"{'dataset':30} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} | {'BM25 nDCG':>9} {'R@100':>7}"
    print(head + f" {'MRR@10':>7} | {'target':>6} {'met':>4} {'sec':>6}")
    for name, r in results.items():
        o, b = r["ours"], r["bm25"]
        met = "yes" if o["ndcg@10"] >= r["target"] else "NO"
        print(
            f"{name:30} {o['ndcg@10']:8.4f} {o['recall@100']:7.4f} {o['mrr@10']:7.4f} | "
            f"{b['ndcg@10']:9.4f} {b['recall@100']:7.4f} {b['mrr@10']:7.4f} | "
            f"{r['target']:6.3f} {met:>4} {o['seconds']:6.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("/work/shared/data/eval"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--only", nargs="*", default=list(TARGETS), help="dataset folders to run")
    args = parser.parse_args()
    results = {}
    for name in args.only:
        results[name] = measure(args.eval_dir / name, args.split) | {"target": TARGETS.get(name, 0.0)}
    print_table(results)
    print(json.dumps({"split": args.split, "datasets": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
