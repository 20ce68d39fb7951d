"""Engine benchmark on a synthetic corpus; the last printed line is one JSON object.

    .venv/bin/python benchmarks/engine.py --docs 100000

Builds N result postings plus ``--needs`` need postings (seeded, see ``synthetic.py``), then
measures: build time and peak memory, top-20 latency for new postings (with and without
explanations), adding one posting, all needs × all results (top 10 each) and the same product
by ``sparse_dot_topn`` on our own weighted vectors, index size; and the same build and query
figures for ``bm25s`` on the same corpus, in a child process started after our engine is freed,
so that each peak-memory figure is its own.  bm25s gets the same kind of tokens as our engine
(English stems without stop-words, Han unigrams and bigrams) from a fast regex tokenizer, so
both read comparable postings.

The postings are synthesised once into a JSON-lines file (``--corpus-dir``, reused by later runs
with the same seed and sizes) before anything is timed: building an index means reading postings
that exist, as the service reads them from its database, not inventing them (synthesis costs
~0.5 ms of CPU per posting, a third of the build's time when it was interleaved).
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import multiprocessing as mp
import os
import re
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import SyntheticCorpus  # noqa: E402
from matchmaker.matching import MatchingEngine, Record  # noqa: E402

NEW = 10_000_000  # numbers of postings generated for queries and adds, past the indexed ones


def _rss_gb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux


def _tree_usage(root: int) -> dict[int, tuple[int, float]]:
    """pid → (resident bytes, CPU seconds so far) for ``root`` and all its descendants.

    The fit's forkserver workers are grandchildren, which ``RUSAGE_CHILDREN`` never counts.
    """
    parent_of, usage = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            parent_of[pid] = int(fields[1])
            usage[pid] = (int(fields[21]) * resource.getpagesize(), (int(fields[11]) + int(fields[12])) / tick)
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    mine = {}
    for pid, value in usage.items():
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parent_of:
            ancestor = parent_of[ancestor]
        if ancestor == root:
            mine[pid] = value
    return mine


class TreePeak:
    """Samples this process and its descendants every ``every`` seconds.

    ``gb`` is the highest summed RSS seen; ``cpu_seconds`` the CPU time they used while sampled
    (each process's last sample: a worker's final quarter second may be missed).
    """

    def __init__(self, every: float = 0.25) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._cpu_start: dict[int, float] = {}
        self._cpu: dict[int, float] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        usage = _tree_usage(os.getpid())
        self.peak = max(self.peak, sum(rss for rss, _ in usage.values()))
        for pid, (_, cpu) in usage.items():
            self._cpu[pid] = cpu

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __enter__(self) -> TreePeak:
        self._cpu_start = {pid: cpu for pid, (_, cpu) in _tree_usage(os.getpid()).items()}
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def cpu_seconds(self) -> float:
        return round(sum(cpu - self._cpu_start.get(pid, 0.0) for pid, cpu in self._cpu.items()), 1)

    @property
    def gb(self) -> float:
        return round(self.peak / 1024**3, 2)


def _records(corpus: SyntheticCorpus, kind: str, start: int, stop: int):
    return (Record(kind, rid, fields) for rid, fields in corpus.records(kind, start, stop))


def _write_part(seed: int, kind: str, start: int, stop: int, path: str) -> None:
    corpus = SyntheticCorpus(seed)
    with open(path, "w", encoding="utf-8") as out:
        for rid, fields in corpus.records(kind, start, stop):
            out.write(json.dumps([kind, rid, fields], ensure_ascii=False) + "\n")


def corpus_file(args) -> Path:
    """The indexed postings (results, then needs) as JSON lines, synthesised now if not kept from before."""
    folder = Path(args.corpus_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"seed{args.seed}-results{args.docs}-needs{args.needs}.jsonl"
    if path.exists():
        return path
    _log(f"synthesising {args.docs} + {args.needs} postings into {path}")
    tasks = [("result", lo, min(lo + 50_000, args.docs)) for lo in range(0, args.docs, 50_000)]
    tasks += [("need", 0, args.needs)] if args.needs else []
    parts = [f"{path}.part{i}" for i in range(len(tasks))]
    with mp.get_context("fork").Pool(max(args.jobs, 1)) as pool:
        pool.starmap(_write_part, [(args.seed, *task, part) for task, part in zip(tasks, parts, strict=True)])
    with open(f"{path}.tmp", "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                while block := src.read(1 << 24):
                    out.write(block)
            os.remove(part)
    os.replace(f"{path}.tmp", path)
    return path


def _file_records(path: Path, kind: str | None = None):
    """Records read back from :func:`corpus_file` (only ``kind``'s, if given)."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record_kind, rid, fields = json.loads(line)
            if kind is None or record_kind == kind:
                yield Record(record_kind, rid, fields)


def _percentiles(ms: list[float]) -> tuple[float, float]:
    return round(float(np.percentile(ms, 50)), 2), round(float(np.percentile(ms, 95)), 2)


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _progress(records, every: int = 100_000):
    for i, record in enumerate(records):
        if i % every == 0:
            _log(f"fit: {i} records sent")
        yield record


def _build(args, corpus: SyntheticCorpus, out: dict) -> MatchingEngine:
    records = _progress(_file_records(corpus_file(args)))
    t = time.perf_counter()
    with TreePeak() as peak:
        engine = MatchingEngine(n_jobs=args.jobs).fit(records)
    out["build_seconds"] = round(time.perf_counter() - t, 1)
    # CPU seconds of the parent and the workers: what the build costs on a machine nobody shares.
    out["build_cpu_seconds"] = peak.cpu_seconds
    out["peak_rss_gb_parent"] = round(_rss_gb(), 2)
    # Sampled sum over this process and the fit's workers (a peak shorter than 0.25 s may be missed,
    # so the parent's own exact peak is a floor).
    out["peak_rss_gb"] = max(peak.gb, out["peak_rss_gb_parent"])
    return engine


def bench_ours(args, corpus: SyntheticCorpus) -> dict:
    out: dict = {"docs": args.docs}
    if args.load:  # query figures for an index built (and measured) by an earlier run
        t = time.perf_counter()
        engine = MatchingEngine.load(args.load)
        out["load_seconds"] = round(time.perf_counter() - t, 1)
    else:
        engine = _build(args, corpus, out)
    _log("index ready; timing queries")
    index = engine.indexes_["result"]
    out["index_bytes"] = sum(seg.nbytes for ix in engine.indexes_.values() for seg in ix.segments)
    out["text_bytes"] = sum(len(b) for ix in engine.indexes_.values() for b in ix.blobs)
    out["features"] = len(engine.vocabulary_)
    out["postings"] = sum(seg.indices.size for seg in index.segments)
    queries = list(_records(corpus, "need", NEW, NEW + args.queries))
    for explain_top, key in ((5, "query"), (0, "query_noexplain")):
        wall, cpu = [], []
        for query in queries:
            t, c = time.perf_counter(), time.process_time()
            engine.rank(query, "result", top_n=20, explain_top=explain_top)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        out[f"{key}_p50_ms"], out[f"{key}_p95_ms"] = _percentiles(wall)
        # CPU time of this process: what the figure would be on an idle machine (shared here).
        out[f"{key}_cpu_p50_ms"], out[f"{key}_cpu_p95_ms"] = _percentiles(cpu)
    adds, first = [], NEW
    while ("result", f"result-{first}") in engine:  # a loaded index may hold earlier runs' adds
        first += args.adds
    for record in _records(corpus, "result", first, first + args.adds):
        t = time.perf_counter()
        engine.add([record])
        adds.append((time.perf_counter() - t) * 1000)
    out["add_one_ms"], out["add_one_p95_ms"] = _percentiles(adds)
    out["add_one_max_ms"] = round(max(adds), 1)
    if args.pairs:
        _log("all pairs")
        out.update(_all_pairs(args, corpus, engine))
    if args.save:
        path = Path(args.save)
        t = time.perf_counter()
        engine.save(path)
        out["save_seconds"] = round(time.perf_counter() - t, 1)
        out["file_bytes"] = path.stat().st_size
        t = time.perf_counter()
        MatchingEngine.load(path)
        out["load_seconds"] = round(time.perf_counter() - t, 1)
    return out


def _all_pairs(args, corpus: SyntheticCorpus, engine: MatchingEngine) -> dict:
    """All needs × all results, top 10 each; extrapolated from a tenth if that alone is too slow.

    Then, unless ``--no-sdt``, the same product by sparse_dot_topn on the same vectors.
    """
    needs = list(_file_records(corpus_file(args), "need"))
    first = max(len(needs) // 10, 1)
    t, c = time.perf_counter(), _cpu_with_children()
    ours = engine.rank_many(needs[:first], "result", top_n=10, n_jobs=args.jobs)
    elapsed = time.perf_counter() - t
    if elapsed * len(needs) / first > args.pairs_budget:
        scale = len(needs) / first
        out = {
            "all_pairs_seconds": round(elapsed * scale, 1),
            "all_pairs_cpu_seconds": round((_cpu_with_children() - c) * scale, 1),
            "all_pairs_extrapolated_from": first,
        }
    else:
        ours += engine.rank_many(needs[first:], "result", top_n=10, n_jobs=args.jobs)
        out = {
            "all_pairs_seconds": round(time.perf_counter() - t, 1),
            # This process and the pool's workers (reaped when the pool closes): on a shared
            # machine the wall time depends on the neighbours, the CPU time much less.
            "all_pairs_cpu_seconds": round(_cpu_with_children() - c, 1),
            "all_pairs_needs": len(needs),
        }
    if args.sdt:
        _log("all pairs by sparse_dot_topn")
        sdt = out["all_pairs_sdt"] = _all_pairs_sdt(engine, needs, ours, args.jobs)
        out["all_pairs_ratio_vs_sdt"] = round(out["all_pairs_seconds"] / sdt["seconds"], 3)
        out["all_pairs_cpu_ratio_vs_sdt"] = round(out["all_pairs_cpu_seconds"] / sdt["cpu_seconds"], 3)
        # Ours analyses the needs' texts inside its timing; here theirs is charged the same work.
        with_queries = sdt["cpu_seconds"] + sdt["prepare_queries_cpu_seconds"]
        out["all_pairs_cpu_ratio_vs_sdt_with_queries"] = round(out["all_pairs_cpu_seconds"] / with_queries, 3)
    return out


def _cpu_with_children() -> float:
    """CPU seconds used so far by this process and its children that have been waited for."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _all_pairs_sdt(engine: MatchingEngine, needs: list[Record], ours: list, threads: int) -> dict:
    """sparse_dot_topn's top 10 for every need over the result index, and how it agrees with ``ours``
    (our rankings of the first ``len(ours)`` needs).

    Its inputs are our own weighted vectors, so the two compute the same product: A holds the
    needs' query vectors as :meth:`MatchingEngine.rank` builds them from the same records, B the
    result index as it stands.  Both are float32 (sparse_dot_topn wants one dtype, and a float64
    copy of B would be ~3 GB more at a million results), so scores agree to float32 rounding and
    near-ties at the tenth place may swap.
    """
    from sparse_dot_topn import sp_matmul_topn, zip_sp_matmul_topn

    t, c = time.perf_counter(), time.process_time()
    a = _query_matrix(engine, needs)
    prepare_a, prepare_a_cpu = time.perf_counter() - t, time.process_time() - c
    parts = _index_blocks(engine, "result")
    prepare = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()  # its threads are this process's
    # threshold=0 keeps positive scores only, as rank does; sort=True returns them best first, as
    # rank does (a 10-element sort per row, nothing next to the product).
    found = [sp_matmul_topn(a, b, top_n=10, threshold=0.0, sort=True, n_threads=threads) for b in parts]
    # The index's blocks hold consecutive rows: sparse_dot_topn's own merge of column blocks.
    top = found[0] if len(found) == 1 else zip_sp_matmul_topn(10, found)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    del parts, found
    gc.collect()
    ids = engine.indexes_["result"].ids
    same, diff, relative = 0, 0.0, 0.0
    for i, suggestions in enumerate(ours):
        row = slice(top.indptr[i], top.indptr[i + 1])
        theirs = dict(zip((ids[c] for c in top.indices[row]), top.data[row].tolist(), strict=True))
        same += theirs.keys() == {s.id for s in suggestions}
        # Scores compared rank by rank: a tie swapped at equal scores is no difference.
        mine = sorted((s.score for s in suggestions), reverse=True)
        other = sorted(theirs.values(), reverse=True)
        if len(mine) == len(other) and mine:
            gaps = np.abs(np.subtract(mine, other))
            diff = max(diff, float(gaps.max()))
            relative = max(relative, float((gaps / np.abs(mine)).max()))  # scores are positive
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "prepare_seconds": round(prepare, 1),
        # Analysing the needs' texts into query vectors: work our all_pairs_seconds includes.
        "prepare_queries_seconds": round(prepare_a, 1),
        "prepare_queries_cpu_seconds": round(prepare_a_cpu, 1),
        "needs": len(needs),
        "compared": len(ours),
        "same_top10": round(same / max(len(ours), 1), 4),
        "max_score_diff": diff,
        "max_relative_score_diff": relative,  # float32 rounding is ~1e-7 per operation
        "threads": threads,
    }


def _query_matrix(engine: MatchingEngine, records: list[Record]):
    """The records' query vectors as rank builds them, as one CSR matrix (records × features)."""
    import scipy.sparse as sp

    vectors = [engine._query_vector(engine._query_features(record)) for record in records]
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    np.cumsum([cols.size for cols, _ in vectors], out=indptr[1:])
    cols = np.concatenate([c for c, _ in vectors]).astype(np.int32)
    weights = np.concatenate([w for _, w in vectors]).astype(np.float32)
    return sp.csr_matrix((weights, cols, indptr), shape=(len(records), len(engine.vocabulary_)))


def _index_blocks(engine: MatchingEngine, kind: str) -> list:
    """A kind's index as CSR matrices (features × rows), one per segment and one for the side
    buffer, in row order.  A segment is already feature-major: its matrix shares its arrays.
    """
    import scipy.sparse as sp

    index = engine.indexes_[kind]
    if not index.alive.all():
        raise RuntimeError("the sparse_dot_topn baseline cannot skip removed rows; benchmark an index without any")
    n_features = len(engine.vocabulary_)
    blocks = []
    for seg in sorted(index.segments, key=lambda s: s.start):
        # Features added after the segment was built have no postings in it: empty rows.
        indptr = np.concatenate([seg.indptr, np.full(n_features - seg.n_features, seg.indptr[-1])])
        blocks.append(sp.csr_matrix((seg.data, seg.indices, indptr), shape=(n_features, seg.n), copy=False))
    if index.side:
        rows = sp.vstack([sp.csr_matrix(r, shape=(1, n_features)) for r in index.side], format="csr")
        blocks.append(sp.csr_matrix(rows.T, dtype=np.float32))
    if sum(b.shape[1] for b in blocks) != len(index.ids):
        raise RuntimeError("the index's segments and side buffer do not cover its rows")
    return blocks


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[^\W\d_\u3400-\u4dbf\u4e00-\u9fff]+")


def simple_tokens(fields: dict[str, str]) -> list[str]:
    """English stems without stop-words and Han unigrams + bigrams (like our features)."""
    stem, stop = _simple_tools()
    tokens, words = [], []
    for run in _HAN.findall(" ".join(fields.values()).lower()):
        if "\u3400" <= run[0] <= "\u9fff":
            tokens.extend(run)
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        elif run not in stop and len(run) > 1:
            words.append(run)
    return tokens + stem(words)


@functools.cache
def _simple_tools():
    """(stemWords, stop-words), made once: building a Stemmer per posting cost more than tokenizing it."""
    import Stemmer
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return Stemmer.Stemmer("english").stemWords, ENGLISH_STOP_WORDS


def bench_bm25s(args, conn) -> None:
    """Child process: bm25s build and query figures on the same corpus, sent back on ``conn``.

    Documents are handed over as token ids (one int32 array each): lists of token strings for a
    million postings would not fit in memory.
    """
    import bm25s

    corpus = SyntheticCorpus(args.seed)
    vocab: dict[str, int] = {}
    t = time.perf_counter()
    ids = [
        np.array([vocab.setdefault(tok, len(vocab)) for tok in simple_tokens(r.fields)], dtype=np.int32)
        for r in _file_records(corpus_file(args), "result")
    ]
    tokenize_seconds = time.perf_counter() - t
    t = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index((ids, vocab), show_progress=False)
    build = time.perf_counter() - t
    del ids
    gc.collect()
    ms, cpu = [], []
    for _, fields in corpus.records("need", NEW, NEW + args.queries):
        t, c = time.perf_counter(), time.process_time()
        query = [[vocab[tok] for tok in simple_tokens(fields) if tok in vocab]]
        retriever.retrieve(query, k=20, show_progress=False, n_threads=1)
        ms.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    p50, p95 = _percentiles(ms)
    cpu50, cpu95 = _percentiles(cpu)
    conn.send(
        {
            "build_seconds": round(build, 1),
            "tokenize_seconds": round(tokenize_seconds, 1),
            "peak_rss_gb": round(_rss_gb(), 2),
            "query_p50_ms": p50,
            "query_p95_ms": p95,
            "query_cpu_p50_ms": cpu50,
            "query_cpu_p95_ms": cpu95,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000, help="result postings indexed")
    parser.add_argument("--needs", type=int, default=10_000, help="need postings indexed (all-pairs queries)")
    parser.add_argument("--queries", type=int, default=200, help="new postings timed as queries")
    parser.add_argument("--adds", type=int, default=50, help="postings added one at a time")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the build and all-pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-pairs", dest="pairs", action="store_false", help="skip all needs × results")
    parser.add_argument("--no-bm25s", dest="bm25s", action="store_false", help="skip the bm25s baseline")
    parser.add_argument(
        "--no-sdt", dest="sdt", action="store_false", help="skip the sparse_dot_topn baseline for all-pairs"
    )
    parser.add_argument("--save", help="also time save/load to this path")
    parser.add_argument("--load", help="skip the build: load an index saved by --save (same --docs)")
    parser.add_argument(
        "--corpus-dir",
        default=str(Path(tempfile.gettempdir()) / "matchmaker-bench"),
        help="where the synthesised postings are kept between runs",
    )
    parser.add_argument(
        "--pairs-budget", type=float, default=1200, help="seconds; beyond this all-pairs is extrapolated"
    )
    args = parser.parse_args()
    if not args.load or args.pairs or args.bm25s:
        corpus_file(args)  # synthesised before any timing starts
    out = bench_ours(args, SyntheticCorpus(args.seed))
    print(json.dumps(out), flush=True)  # partial figures survive a baseline that runs out of memory
    gc.collect()
    if args.bm25s:
        receive, send = mp.get_context("fork").Pipe(duplex=False)
        child = mp.get_context("fork").Process(target=bench_bm25s, args=(args, send))
        child.start()
        out["bm25s"] = receive.recv()
        child.join()
        out["query_p95_ratio_vs_bm25s"] = round(out["query_p95_ms"] / out["bm25s"]["query_p95_ms"], 3)
        out["query_noexplain_p95_ratio_vs_bm25s"] = round(
            out["query_noexplain_p95_ms"] / out["bm25s"]["query_p95_ms"], 3
        )
        out["query_noexplain_cpu_p95_ratio_vs_bm25s"] = round(
            out["query_noexplain_cpu_p95_ms"] / out["bm25s"]["query_cpu_p95_ms"], 3
        )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
