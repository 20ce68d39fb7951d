"""The product's own task, measured through the service path: the stored suggestions a reviewer sees.

    .venv/bin/python benchmarks/suggestions.py [--data benchmarks/data/gba_dev.json] [--database-url URL]
    .venv/bin/python benchmarks/suggestions.py --sweep    # the cut-off's trade-off, as a Markdown table

Reads a labelled set (format: benchmarks/data/README.md; results, needs and graded qrels of every need over the whole
corpus). Creates the app with its normal matching settings on a scratch database (a temporary SQLite file
unless `--database-url` is given), ensures the universities, makes one researcher per university used and
one company with an enterprise user per need's `company`, then posts and publishes every posting through
the JSON API (test client, Bearer tokens), in a seeded interleaved order as a live site receives them:
each publish computes and stores suggestions exactly as in production. A need's deadline is today (HK)
plus `deadline_days`.

It then reads the stored matches back through the API as a reviewer does (`GET /api/v1/matches?need_id=…`
and `?result_id=…`, open suggestions, best first: `Match.score` descending, then `Match.id`, the order of
the review queue and of the API) and scores that order from each side. Matches with postings outside the
labelled set (demo data in the same database, an earlier run) are ignored; they still compete for the
`MATCH_TOP_N` places, so figures compare between runs only on an empty database (or with `--reset`).

Beside it, on the same texts (each posting's `text_fields()` as the service indexes them): the engine
alone (`MatchingEngine().fit(...).rank(...)`, no service rules), a plain scikit-learn `TfidfVectorizer()`
and the BM25 reference of `benchmarks/quality.py` (k1 = 0.9, b = 0.4).

Metrics (gain 2^rel − 1, log2 discount, ideal from the qrels; averages over the postings with at least
one relevant partner; "relevant" is grade ≥ 1):
  ndcg10_needs / ndcg10_results   nDCG@10 from each need / each result
  p5                              precision@5 from each need
  stored_precision                share of the stored pairs that are relevant
  recall3_g2                      share of the grade-2 pairs found in their need's top 3
  recall3_g2_crosslang            the same over grade-2 pairs whose need and result differ in `lang`
  empty_needs_noise               mean suggestions stored for a need with no relevant result
  stored_per_need                 mean suggestions stored per need
Progress goes to stderr; one JSON object is the last line on stdout.

`--sweep` publishes with both floors of the cut-off at 0 (MATCH_MIN_SCORE, MATCH_RELATIVE_FLOOR; still
at most MATCH_TOP_N per publish), then cuts the stored lists at each (floor, relative floor) and prints
stored_precision, recall_g2 (grade-2 pairs stored at all), recall3_g2, ndcg10_needs, empty_needs_noise
and stored_per_need, marking the point the defaults follow (see `chosen`), and that point as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))  # quality.py's BM25 reference, when imported from a test

from matchmaker.matching.evaluate import Dataset, ndcg_at  # noqa: E402

DEFAULT_DATA = ROOT / "benchmarks" / "data" / "gba_dev.json"
PASSWORD = "benchmark-password"  # noqa: S105  (accounts of a scratch database)
RESULT_FIELDS = ("title", "summary", "details", "keywords", "sector", "trl", "ip_status", "cooperation_modes")
NEED_FIELDS = ("title", "description", "keywords", "sector", "min_trl", "cooperation_modes", "budget_max",
               "currency", "region")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---- metrics ----------------------------------------------------------------------------------------------

def invert(qrels: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """need → {result: grade} turned into result → {need: grade}."""
    out: dict[str, dict[str, int]] = {}
    for need, graded in qrels.items():
        for result, grade in graded.items():
            out.setdefault(result, {})[need] = grade
    return out


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def ndcg10(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> float:
    """Mean nDCG@10 over the queries with at least one relevant document."""
    return _mean([ndcg_at(runs.get(q, ()), rel) for q, rel in qrels.items() if any(g > 0 for g in rel.values())])


def precision_at(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]], k: int = 5) -> float:
    return _mean([sum(1 for d in list(runs.get(q, ()))[:k] if rel.get(d, 0) >= 1) / k
                  for q, rel in qrels.items() if any(g > 0 for g in rel.values())])


def recall3_g2(need_runs: Mapping[str, Sequence[str]], data: dict, crosslang: bool = False) -> float:
    """Share of the grade-2 (need, result) pairs whose result is in the need's top 3."""
    lang = {p["id"]: p["lang"] for p in data["results"] + data["needs"]}
    pairs = [(n, r) for n, graded in data["qrels"].items() for r, g in graded.items()
             if g == 2 and (not crosslang or lang[n] != lang[r])]
    found = sum(1 for n, r in pairs if r in list(need_runs.get(n, ()))[:3])
    return round(found / len(pairs), 4) if pairs else 0.0


def ranking_metrics(need_runs: Mapping[str, Sequence[str]], result_runs: Mapping[str, Sequence[str]],
                    data: dict) -> dict:
    qrels = data["qrels"]
    return {"ndcg10_needs": ndcg10(need_runs, qrels), "ndcg10_results": ndcg10(result_runs, invert(qrels)),
            "p5": precision_at(need_runs, qrels), "recall3_g2": recall3_g2(need_runs, data),
            "recall3_g2_crosslang": recall3_g2(need_runs, data, crosslang=True)}


def stored_metrics(need_runs: Mapping[str, Sequence[str]], data: dict) -> dict:
    """What the stored lists cost a reviewer: their length, their share of relevant pairs, the noise."""
    qrels = data["qrels"]
    grades = [qrels.get(n, {}).get(r, 0) for n, ranked in need_runs.items() for r in ranked]
    empty = [n["id"] for n in data["needs"] if not any(g > 0 for g in qrels.get(n["id"], {}).values())]
    return {"stored_precision": round(sum(1 for g in grades if g >= 1) / len(grades), 4) if grades else 0.0,
            "empty_needs_noise": _mean([len(need_runs.get(n, ())) for n in empty]),
            "stored_per_need": _mean([len(need_runs.get(n["id"], ())) for n in data["needs"]]),
            "stored_pairs": len(grades)}


# ---- the service path -------------------------------------------------------------------------------------

def publish_order(data: dict, order: str, seed: int) -> list[tuple[str, dict]]:
    postings = [("result", r) for r in data["results"]] + [("need", n) for n in data["needs"]]
    if order == "results-first":
        return postings
    if order == "needs-first":
        return [p for p in postings if p[0] == "need"] + [p for p in postings if p[0] == "result"]
    random.Random(seed).shuffle(postings)
    return postings


def _body(kind: str, posting: dict, today) -> dict:
    names = RESULT_FIELDS if kind == "result" else NEED_FIELDS
    body = {name: posting[name] for name in names if name in posting}
    if kind == "need" and posting.get("deadline_days") is not None:
        body["deadline"] = (today + timedelta(days=posting["deadline_days"])).isoformat()
    return body


def make_accounts(data: dict, tag: str) -> tuple[dict, dict, str]:
    """Bearer tokens: one researcher per university used, one enterprise user per company, one reviewer."""
    import sqlalchemy as sa

    from matchmaker.extensions import db
    from matchmaker.models import Organisation
    from matchmaker.services import accounts, tokens
    from matchmaker.services.seed import ensure_universities

    ensure_universities()
    db.session.commit()
    researchers, companies = {}, {}
    for short_name in sorted({r["university"] for r in data["results"]}):
        university = db.session.scalar(sa.select(Organisation).where(Organisation.short_name == short_name))
        if university is None:
            raise SystemExit(f"unknown university {short_name!r} in the data")
        user = accounts.create_user(f"bench-{tag}-{short_name.lower()}@bench.test", PASSWORD,
                                    f"Researcher {short_name}", "researcher", university)
        db.session.commit()
        researchers[short_name] = tokens.issue(user, "benchmark")[1]
    for number, need in enumerate(data["needs"]):
        if need["company"] in companies:
            continue
        company = accounts.find_or_create_company(need["company"], need["region"])
        user = accounts.create_user(f"bench-{tag}-company{number}@bench.test", PASSWORD, need["company"],
                                    "enterprise", company)
        db.session.commit()
        companies[need["company"]] = tokens.issue(user, "benchmark")[1]
    reviewer = accounts.create_user(f"bench-{tag}-reviewer@bench.test", PASSWORD, "Reviewer", "reviewer")
    db.session.commit()
    return researchers, companies, tokens.issue(reviewer, "benchmark")[1]


def _call(client, method: str, url: str, token: str, body: dict | None = None) -> dict:
    response = client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.get_data(as_text=True)[:500]}")
    return response.get_json()


def post_and_publish(client, data: dict, order: str, seed: int, tokens: tuple[dict, dict, str], today) -> dict:
    """Create each posting as a draft and publish it through the API; returns {(kind, data id): db id}."""
    researchers, companies, _reviewer = tokens
    ids, duplicates = {}, 0
    ordered = publish_order(data, order, seed)
    started = time.perf_counter()
    for done, (kind, posting) in enumerate(ordered, start=1):
        token = researchers[posting["university"]] if kind == "result" else companies[posting["company"]]
        path = "results" if kind == "result" else "needs"
        created = _call(client, "POST", f"/api/v1/{path}", token, _body(kind, posting, today))
        url = f"/api/v1/{path}/{created['id']}/publish"
        response = client.post(url, json={}, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 409:  # a near copy of the organisation's own posting: confirm, as a user would
            duplicates += 1
            _call(client, "POST", url, token, {"confirm_duplicate": True})
        elif response.status_code >= 400:
            raise RuntimeError(f"POST {url}: {response.status_code} {response.get_data(as_text=True)[:500]}")
        ids[(kind, posting["id"])] = created["id"]
        if done % 20 == 0 or done == len(ordered):
            say(f"  published {done}/{len(ordered)} ({time.perf_counter() - started:.1f} s)")
    if duplicates:
        say(f"  {duplicates} publish(es) confirmed past the near-duplicate check")
    return ids


def stored_lists(client, token: str, side: str, db_ids: Mapping[str, int], partners: Mapping[int, str]) -> dict:
    """For each posting of `side`, its open suggestions as the API lists them (best first): (data id, stored
    score, stored rank) of each partner; partners outside the labelled set are dropped."""
    other = "result_id" if side == "need_id" else "need_id"
    out = {}
    for data_id, db_id in db_ids.items():
        ranked, page = [], 1
        while True:
            body = _call(client, "GET", f"/api/v1/matches?{side}={db_id}&state=suggested&per_page=100&page={page}",
                         token)
            ranked += [(partners[item[other]], item["score"], item["rank"]) for item in body["items"]
                       if item[other] in partners]
            if page >= body["pages"]:
                break
            page += 1
        out[data_id] = ranked
    return out


def show_lists(need_stored: Mapping[str, list], data: dict, top: int = 10) -> None:
    """Each need's stored suggestions as a reviewer sees them, with the grade the qrels give them."""
    lang = {p["id"]: p["lang"] for p in data["results"] + data["needs"]}
    for need, stored in need_stored.items():
        graded = data["qrels"].get(need, {})
        wanted = ", ".join(f"{r}={g}" for r, g in sorted(graded.items())) or "none"
        say(f"{need} [{lang[need]}] stores {len(stored)}; relevant: {wanted}")
        for position, (result, score, rank) in enumerate(stored[:top], start=1):
            say(f"  {position:2}. {score:6.3f} #{rank:<2} g{graded.get(result, 0)} {result} [{lang[result]}]")


# ---- the references on the same texts ---------------------------------------------------------------------

def engine_runs(records_by_kind: dict) -> tuple[dict, dict]:
    """The matching engine alone: fitted on the labelled postings, each ranking the whole other side."""
    from matchmaker.matching import MatchingEngine

    records = records_by_kind["result"] + records_by_kind["need"]
    engine = MatchingEngine().fit(records)
    runs = {}
    for kind, other in (("need", "result"), ("result", "need")):
        size = len(records_by_kind[other])
        runs[kind] = {r.id: [s.id for s in engine.rank(r, kind=other, top_n=size, explain_top=0)]
                      for r in records_by_kind[kind]}
    return runs["need"], runs["result"]


def _text(record) -> str:
    return " ".join(value for value in record.fields.values() if value)


def tfidf_runs(records_by_kind: dict) -> tuple[dict, dict]:
    """A plain `TfidfVectorizer()` fitted on the side searched, cosine similarity, zero scores left out."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    runs = {}
    for kind, other in (("need", "result"), ("result", "need")):
        corpus, queries = records_by_kind[other], records_by_kind[kind]
        vectorizer = TfidfVectorizer()
        matrix = vectorizer.fit_transform([_text(r) for r in corpus])
        scores = (vectorizer.transform([_text(q) for q in queries]) @ matrix.T).toarray()
        runs[kind] = {q.id: [corpus[j].id for j in row.argsort()[::-1] if row[j] > 0]
                      for q, row in zip(queries, scores, strict=True)}
    return runs["need"], runs["result"]


def bm25_reference_runs(records_by_kind: dict, qrels: dict) -> tuple[dict, dict]:
    """The BM25 reference of benchmarks/quality.py, from each side."""
    from quality import bm25_runs

    runs = {}
    for kind, other, judged in (("need", "result", qrels), ("result", "need", invert(qrels))):
        corpus = {r.id: {"title": r.fields.get("title", ""),
                         "text": " ".join(v for k, v in r.fields.items() if k != "title" and v)}
                  for r in records_by_kind[other]}
        queries = {q.id: _text(q) for q in records_by_kind[kind]}
        runs[kind] = bm25_runs(Dataset(corpus=corpus, queries=queries, qrels=judged), top_n=len(corpus))
    return runs["need"], runs["result"]


# ---- the run ----------------------------------------------------------------------------------------------

def load_data(path: Path) -> dict:
    if not path.is_file():
        raise SystemExit(f"no labelled set at {path} (try --data benchmarks/data/gba_sample.json)")
    data = json.loads(path.read_text(encoding="utf-8"))
    known = {p["id"] for p in data["results"]} | {p["id"] for p in data["needs"]}
    for need, graded in data["qrels"].items():
        unknown = ({need} | set(graded)) - known
        if unknown:
            raise SystemExit(f"{path}: qrels name unknown postings: {sorted(unknown)}")
    for need in data["needs"]:
        data["qrels"].setdefault(need["id"], {})
    return data


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def measure(data_path: Path, database_url: str | None = None, *, order: str = "shuffled", seed: int = 15,
            reset: bool = False, verbose: bool = False, settings: Mapping | None = None,
            lists: dict | None = None) -> dict:
    """Run the whole benchmark; returns the figures.

    `settings` override the app's (the sweep stores every candidate with both floors at 0); `lists`, if
    given, receives the stored lists of each side, {"need": {id: [(partner, score, rank)]}, "result": …}.
    """
    started = time.perf_counter()
    data = load_data(data_path)
    scratch = tempfile.mkdtemp(prefix="bench-suggestions-")
    url = database_url or f"sqlite:///{os.path.join(scratch, 'bench.db')}"
    say(f"{len(data['results'])} results, {len(data['needs'])} needs from {data_path}")

    import matchmaker.matching  # noqa: F401  (loaded before the app, as a serving process has it)
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import EnterpriseNeed, ResearchResult
    from matchmaker.models.base import today_hk
    from matchmaker.services import index

    # The normal matching settings (MATCH_TOP_N, MATCH_MIN_SCORE); the per-account posting limit is off
    # because one benchmark account posts more than 20 postings an hour.
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False,
                     MATCHMAKER_INDEX_PATH=os.path.join(scratch, "index"), **(settings or {}))
    tag = f"{int(time.time())}-{os.getpid()}"
    with app.app_context():
        if reset:
            db.drop_all()
        db.create_all()
        dialect = db.engine.dialect.name
        others = sum(db.session.query(model).count() for model in (ResearchResult, EnterpriseNeed))
        say(f"database {dialect}: {others} posting(s) already there (not scored)")
        account_tokens = make_accounts(data, tag)
        settings = {name: app.config[name] for name in ("MATCH_TOP_N", "MATCH_MIN_SCORE", "MATCH_RELATIVE_FLOOR")}
    client = app.test_client()
    publish_started = time.perf_counter()
    ids = post_and_publish(client, data, order, seed, account_tokens, today_hk())
    publish_seconds = time.perf_counter() - publish_started
    needs = {data_id: db_id for (kind, data_id), db_id in ids.items() if kind == "need"}
    results = {data_id: db_id for (kind, data_id), db_id in ids.items() if kind == "result"}
    reviewer = account_tokens[2]
    need_stored = stored_lists(client, reviewer, "need_id", needs, {v: k for k, v in results.items()})
    result_stored = stored_lists(client, reviewer, "result_id", results, {v: k for k, v in needs.items()})
    need_runs = {n: [r for r, _score, _rank in stored] for n, stored in need_stored.items()}
    result_runs = {r: [n for n, _score, _rank in stored] for r, stored in result_stored.items()}
    say("stored suggestions read back")
    if lists is not None:
        lists.update(need=need_stored, result=result_stored)
    if verbose:
        show_lists(need_stored, data)

    with app.app_context():
        by_db_id = {("result", v): k for k, v in results.items()} | {("need", v): k for k, v in needs.items()}
        records_by_kind: dict[str, list] = {"result": [], "need": []}
        for model in (ResearchResult, EnterpriseNeed):
            for posting in db.session.query(model).filter(model.id.in_([ids[(model.KIND, p["id"])] for p in
                                                                       data[model.KIND + "s"]])):
                record = index.record_for(posting)
                records_by_kind[model.KIND].append(type(record)(record.kind, by_db_id[(model.KIND, posting.id)],
                                                                record.fields))
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(scratch, ignore_errors=True)
    for kind in records_by_kind:
        records_by_kind[kind].sort(key=lambda r: r.id)

    figures = ranking_metrics(need_runs, result_runs, data) | stored_metrics(need_runs, data)
    say("engine alone …")
    figures["engine_alone"] = ranking_metrics(*engine_runs(records_by_kind), data)
    say("plain TF-IDF and BM25 …")
    figures["tfidf_plain"] = ranking_metrics(*tfidf_runs(records_by_kind), data)
    figures["bm25"] = ranking_metrics(*bm25_reference_runs(records_by_kind, data["qrels"]), data)
    return figures | {
        "n_results": len(data["results"]), "n_needs": len(data["needs"]),
        "n_relevant_pairs": sum(1 for g in data["qrels"].values() for v in g.values() if v >= 1),
        "data": str(data_path), "database": dialect, "publish_order": order, "seed": seed, **settings,
        "commit": _commit(), "publish_s": round(publish_seconds, 1),
        "wall_s": round(time.perf_counter() - started, 1)}


# ---- the cut-off's trade-off --------------------------------------------------------------------------------

FLOORS = (0.0, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.10, 0.12)
RELATIVE_FLOORS = (0.0, 0.3, 0.5, 0.6, 0.7)
RANKING_TOLERANCE = 0.01  # what the cut-off may cost the ranking (nDCG@10, recall3_g2) at the chosen point


def cut(lists: dict, floor: float, relative_floor: float) -> dict:
    """Each need's stored list as the cut-off (floor, relative floor) would have left it.

    A pair stays if it reaches the floor and `relative_floor` × the best stored score of its need or of
    its result: the service applies the relative floor on the side being published, and a pair is
    stored when either side keeps it.
    """
    best_of_result: dict[str, float] = {r: max((score for _n, score, _rank in stored), default=0.0)
                                        for r, stored in lists["result"].items()}
    out = {}
    for need, stored in lists["need"].items():
        best = max((score for _r, score, _rank in stored), default=0.0)
        out[need] = [r for r, score, _rank in stored if score >= floor and
                     (score >= relative_floor * best or score >= relative_floor * best_of_result.get(r, 0.0))]
    return out


def recall_g2(need_runs: Mapping[str, Sequence[str]], data: dict) -> float:
    """Share of the grade-2 pairs stored at all (anywhere in their need's list)."""
    pairs = [(n, r) for n, graded in data["qrels"].items() for r, g in graded.items() if g == 2]
    return round(sum(1 for n, r in pairs if r in need_runs.get(n, ())) / len(pairs), 4) if pairs else 0.0


def sweep(data_path: Path, database_url: str | None, order: str, seed: int, reset: bool) -> list[dict]:
    """Store every candidate (both floors 0, at most MATCH_TOP_N per publish), then cut the stored lists
    at each (floor, relative floor) and measure what a reviewer would get."""
    lists: dict = {}
    data = load_data(data_path)
    measure(data_path, database_url, order=order, seed=seed, reset=reset,
            settings={"MATCH_MIN_SCORE": 0.0, "MATCH_RELATIVE_FLOOR": 0.0}, lists=lists)
    rows = []
    for relative_floor in RELATIVE_FLOORS:
        for floor in FLOORS:
            runs = cut(lists, floor, relative_floor)
            stored = stored_metrics(runs, data)
            rows.append({"floor": floor, "relative_floor": relative_floor,
                         "stored_precision": stored["stored_precision"], "recall_g2": recall_g2(runs, data),
                         "recall3_g2": recall3_g2(runs, data), "ndcg10_needs": ndcg10(runs, data["qrels"]),
                         "empty_needs_noise": stored["empty_needs_noise"],
                         "stored_per_need": stored["stored_per_need"]})
    return rows


def chosen(rows: Sequence[dict]) -> dict:
    """The point the defaults follow: the strictest cut-off that costs the ranking almost nothing.

    The cut-off is meant to drop what a reviewer would not have reached or wanted, never to reorder
    or hide the top of a list: among the points whose nDCG@10 and recall3_g2 stay within
    RANKING_TOLERANCE of the uncut lists, the one storing the fewest suggestions per need (ties: the
    lower floors). Not the point that maximises any one figure of this set.
    """
    uncut = next(r for r in rows if r["floor"] == 0.0 and r["relative_floor"] == 0.0)
    fine = [r for r in rows if r["ndcg10_needs"] >= uncut["ndcg10_needs"] - RANKING_TOLERANCE
            and r["recall3_g2"] >= uncut["recall3_g2"] - RANKING_TOLERANCE]
    return min(fine, key=lambda r: (r["stored_per_need"], r["floor"], r["relative_floor"]))


def print_sweep(rows: Sequence[dict]) -> None:
    columns = ("floor", "relative_floor", "stored_precision", "recall_g2", "recall3_g2", "ndcg10_needs",
               "empty_needs_noise", "stored_per_need")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    pick = chosen(rows)
    for row in rows:
        mark = " ←" if row is pick else ""
        print("| " + " | ".join(f"{row[c]:g}" for c in columns) + f" |{mark}")
    print(json.dumps({"chosen": pick, "rule": "strictest cut-off within "
                      f"{RANKING_TOLERANCE} of the uncut nDCG@10 and recall3_g2"}))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="labelled set (format: benchmarks/data/README.md)")
    parser.add_argument("--database-url", default=None,
                        help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/h_bench (default: a temporary "
                             "SQLite file); its tables are created if missing")
    parser.add_argument("--reset", action="store_true", help="drop every table of --database-url first")
    parser.add_argument("--order", choices=["shuffled", "results-first", "needs-first"], default="shuffled",
                        help="the order postings are published in (default: results and needs interleaved)")
    parser.add_argument("--seed", type=int, default=15, help="seed of the shuffled order")
    parser.add_argument("--verbose", action="store_true", help="show each need's stored top 10 on stderr")
    parser.add_argument("--sweep", action="store_true",
                        help="store every candidate, then print the cut-off's trade-off per (floor, relative floor)")
    args = parser.parse_args(argv)
    if args.sweep:
        print_sweep(sweep(args.data, args.database_url, args.order, args.seed, args.reset))
        return 0
    figures = measure(args.data, args.database_url, order=args.order, seed=args.seed, reset=args.reset,
                      verbose=args.verbose)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
