"""Load without loss: gunicorn on PostgreSQL under reads, reviewer decisions and new postings at once.

    python benchmarks/load.py [--seconds 60] [--rate 300] [--threads 16] [--workers 4] [--warmup 10]

Prepares a scratch database (`matchmaker_load`: migrations, `flask demo load`, load accounts with API
tokens), starts gunicorn, warms every worker up with reads (the first requests of a worker load the
index and the glossary), then drives for `--seconds` a mix of requests: 70% reads (HTML lists with
English, Traditional and Simplified Chinese searches, detail pages and match pages as a signed-in
reviewer, `GET /api/v1/matches/<id>`), 20% reviewer decisions (`POST /api/v1/matches/<id>/decision`, each
suggestion decided once, partitioned among the threads) and 10% new postings (`POST /api/v1/results` or
`/needs`, then `/publish`, a unique marker in the title). `--rate` paces the requests (0: as fast as the
threads go). Afterwards it counts in the database that every posting sent exists once and every
decision answered 2xx has exactly one event. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

import psycopg
from load_harness import Client, CpuMeter, Fixture, Server, drop_database, percentile, prepare, say

QUERIES = ["solar", "battery", "sensor", "drug delivery", "robot", "water treatment", "5G",
           "太陽能", "電池", "感測器", "機械人", "半導體", "太阳能", "电池", "传感器", "机器人", "污水处理"]
RESULT_FIELDS = ("summary", "details", "keywords", "sector", "trl", "ip_status", "patent_numbers",
                 "jurisdictions", "cooperation_modes", "inventors", "contact_email")
NEED_FIELDS = ("description", "keywords", "sector", "budget_min", "budget_max", "currency", "min_trl",
               "cooperation_modes", "region", "confidential")
POSTINGS_PER_ACCOUNT = 19  # the API allows 20 new postings an hour per account
READ_CLASSES = ("html_list", "html_detail", "html_match", "api_match", "api_match_list")


def posting_body(kind: str, item: dict, marker: str) -> bytes:
    """A demo posting's text under a new, unique title (the marker first)."""
    fields = RESULT_FIELDS if kind == "result" else NEED_FIELDS
    body = {name: item[name] for name in fields if name in item}
    body["title"] = f"{marker} {item['title']}"[:200]
    return json.dumps(body, ensure_ascii=False).encode()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.bodies_5xx: list[bytes] = []

    def add(self, cls: str, started: float, status: int, body: bytes = b"") -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latency[cls].append(elapsed)
            self.status[cls][status] += 1
            if status >= 500 and len(self.bodies_5xx) < 5:
                self.bodies_5xx.append(body[:300])


class Driver:
    """The shared state of the load threads: accounts handed out, what was sent and answered."""

    def __init__(self, fixture: Fixture, port: int, threads: int):
        self.fx, self.port, self.threads = fixture, port, threads
        self.stats = Stats()
        self.poster_slot = iter(range(10**9))  # next() on a range iterator is atomic under the GIL
        self.run_id = f"LOAD{random.randrange(16**6):06x}"
        self.sent_postings: dict[str, tuple[str, int, int]] = {}  # marker → (kind, create, publish)
        self.decided: dict[int, str] = {}  # match id → approve|reject, answered 2xx
        self.matches = list(fixture.suggested)
        self.queues = [[m for m in fixture.suggested if m % threads == t] for t in range(threads)]
        self.measure = True
        self.write_ok = True
        self.deadline = 0.0

    def call(self, client: Client, cls: str, method: str, path: str, **kw) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            status, body = client.request(method, path, **kw)
        except OSError:
            status, body = 0, b""
        if self.measure:
            self.stats.add(cls, started, status, body)
        return status, body

    def read(self, client: Client, rng: random.Random, token: str) -> None:
        pick = rng.random()
        kind = rng.choice(("results", "needs"))
        if pick < 0.4:
            query = rng.choice(QUERIES + [""])
            self.call(client, "html_list", "GET", f"/{kind}/?q={urllib.parse.quote(query)}"
                      f"&page={rng.choice((1, 1, 2))}", session=rng.random() < 0.5)
        elif pick < 0.7:
            ids = self.fx.results if kind == "results" else self.fx.needs
            self.call(client, "html_detail", "GET", f"/{kind}/{rng.choice(ids)}", session=True)
        elif pick < 0.85:
            self.call(client, "html_match", "GET", f"/matches/{rng.choice(self.matches)}", session=True)
        else:
            self.call(client, "api_match", "GET", f"/api/v1/matches/{rng.choice(self.matches)}", token=token)

    def decide(self, client: Client, rng: random.Random, thread: int, token: str) -> None:
        queue = self.queues[thread]
        if not queue:
            self._refill(client, rng, thread, token)
            if not queue:
                return self.read(client, rng, token)
        match_id = queue.pop()
        status, body = self.call(client, "api_match", "GET", f"/api/v1/matches/{match_id}", token=token)
        if status != 200 or json.loads(body)["state"] != "suggested":
            return None
        decision = rng.choice(("approve", "reject"))
        payload = {"decision": decision, "version": json.loads(body)["version"], "note": "load"}
        if decision == "reject":
            payload["reason"] = "off_topic"
        status, _ = self.call(client, "decision", "POST", f"/api/v1/matches/{match_id}/decision",
                              body=json.dumps(payload).encode(), token=token)
        if 200 <= status < 300:
            self.decided[match_id] = decision
        return None

    def _refill(self, client: Client, rng: random.Random, thread: int, token: str) -> None:
        status, body = self.call(client, "api_match_list", "GET", "/api/v1/matches?state=suggested&"
                                 f"per_page=100&page={rng.randint(1, 3)}", token=token)
        if status == 200:
            ids = [item["id"] for item in json.loads(body)["items"]]
            self.matches.extend(ids)
            self.queues[thread].extend(i for i in ids if i % self.threads == thread and i not in self.decided)

    def post(self, client: Client, rng: random.Random) -> None:
        slot = next(self.poster_slot)
        kind = "result" if slot % 2 == 0 else "need"
        tokens = self.fx.posters[kind]
        account = slot // 2 // POSTINGS_PER_ACCOUNT
        if account >= len(tokens):
            self.write_ok = False  # out of accounts: more would meet the 20-an-hour limit
            return
        marker = f"{self.run_id}-{slot:06d}"
        item = rng.choice(self.fx.demo["results" if kind == "result" else "needs"])
        path = "/api/v1/results" if kind == "result" else "/api/v1/needs"
        created, body = self.call(client, "post_create", "POST", path,
                                  body=posting_body(kind, item, marker), token=tokens[account])
        published = 0
        if created == 201:
            posting_id = json.loads(body)["id"]
            published, _ = self.call(client, "post_publish", "POST", f"{path}/{posting_id}/publish",
                                     token=tokens[account])
            (self.fx.results if kind == "result" else self.fx.needs).append(posting_id)
        self.sent_postings[marker] = (kind, created, published)

    def worker(self, thread: int, op_interval: float, reads_only: bool) -> None:
        rng = random.Random(thread * 7919 + int(self.deadline))
        client = Client(self.port)
        email, _ = self.fx.reviewers[thread % len(self.fx.reviewers)]
        client.login(email)
        mine = [token for _, token in self.fx.reviewers[thread::self.threads]]
        due = time.monotonic() + rng.random() * op_interval
        while time.monotonic() < self.deadline:  # a deadline others may move (pg_restart.py)
            if op_interval:
                time.sleep(max(0.0, due - time.monotonic()))
                due += op_interval
            token = rng.choice(mine)
            # Per operation: read 50, decision 20 (plus its read), posting 5 (create + publish):
            # of the requests, 70% reads, 20% decisions, 10% posting writes.
            pick = rng.random() * 75
            if reads_only or pick < 50:
                self.read(client, rng, token)
            elif pick < 70:
                self.decide(client, rng, thread, token)
            else:
                self.post(client, rng)
        client.close()

    def run(self, seconds: float, rate: float, reads_only: bool = False) -> float:
        op_interval = self.threads / (rate * 0.75) if rate else 0.0
        self.deadline = time.monotonic() + seconds
        started = time.perf_counter()
        workers = [threading.Thread(target=self.worker, args=(t, op_interval, reads_only))
                   for t in range(self.threads)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        return time.perf_counter() - started


def check_writes(dsn: str, driver: Driver) -> dict:
    """Count in the database what the generator sent against what it was told."""
    with psycopg.connect(dsn) as conn:
        found = Counter(title.split(" ", 1)[0] for (title,) in conn.execute(
            "SELECT title FROM research_results WHERE title LIKE %(p)s UNION ALL "
            "SELECT title FROM enterprise_needs WHERE title LIKE %(p)s", {"p": driver.run_id + "-%"}))
        events = dict(conn.execute(
            "SELECT match_id, count(*) FROM match_events WHERE action IN ('approve', 'reject') "
            "AND match_id = ANY(%s) GROUP BY match_id", (list(driver.decided),)).fetchall())
    acknowledged = [m for m, (_, created, _) in driver.sent_postings.items() if created == 201]
    refused = [m for m, (_, created, _) in driver.sent_postings.items() if created != 201]
    return {
        "postings_sent": len(driver.sent_postings), "postings_acknowledged": len(acknowledged),
        "postings_published": sum(1 for _, _, p in driver.sent_postings.values() if p == 200),
        "postings_lost": sum(1 for m in acknowledged if found[m] == 0),
        "postings_duplicated": sum(1 for m in found if found[m] > 1),
        "postings_stored_though_refused": sum(1 for m in refused if found[m]),
        "stored_though_refused_statuses": sorted(driver.sent_postings[m][1] for m in refused if found[m]),
        "decisions_acknowledged": len(driver.decided),
        "decisions_lost": sum(1 for m in driver.decided if events.get(m, 0) == 0),
        "decisions_duplicated": sum(1 for m in driver.decided if events.get(m, 0) > 1),
    }


def summarise(stats: Stats, elapsed: float) -> dict:
    endpoints = {cls: {"n": len(values), "p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99),
                       "max_ms": round(max(values), 1)} for cls, values in sorted(stats.latency.items())}
    reads = [v for cls in READ_CLASSES for v in stats.latency.get(cls, [])]
    writes = [v for cls in ("decision", "post_create", "post_publish") for v in stats.latency.get(cls, [])]
    statuses = Counter()
    for counter in stats.status.values():
        statuses.update(counter)
    total = sum(statuses.values())
    errors = {str(code): n for code, n in sorted(statuses.items()) if code == 0 or code >= 400}
    return {"requests": total, "rps": round(total / elapsed, 1), "endpoints": endpoints,
            "reads": {"p50_ms": percentile(reads, 0.5), "p99_ms": percentile(reads, 0.99)},
            "writes": {"p50_ms": percentile(writes, 0.5), "p99_ms": percentile(writes, 0.99)},
            "status_5xx": sum(n for code, n in statuses.items() if code >= 500),
            "errors_by_status": errors, "sample_5xx_bodies": [b.decode(errors="replace") for b in stats.bodies_5xx]}


def cpu_report(used: dict[str, float], requests: int, elapsed: float) -> dict:
    """CPU per request and cores busy, per group: what bounds the rate on a machine with few cores."""
    return {"cpu_ms_per_request": {group: round(1000 * cpu / max(requests, 1), 2) for group, cpu in used.items()},
            "cpu_cores_busy": {group: round(cpu / elapsed, 2) for group, cpu in used.items()}}


def profile(pid: int, seconds: float, output: str) -> subprocess.Popen:
    """Sample the gunicorn master's workers with py-spy (a dev requirement) while the load runs."""
    py_spy = str(Path(sys.executable).parent / "py-spy")
    # --gil: only threads holding the GIL, i.e. Python's own CPU, not time spent waiting for the database.
    return subprocess.Popen([py_spy, "record", "--gil", "--subprocesses", "--pid", str(pid), "--duration",
                             str(int(seconds)), "--format", "raw", "--output", output, "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=300, help="requests per second to aim at; 0: unpaced")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of reads before measuring")
    parser.add_argument("--gunicorn", default="", metavar="ARGS",
                        help="more gunicorn arguments over gunicorn.conf.py, e.g. '--worker-class sync'")
    parser.add_argument("--database", default="matchmaker_load")
    parser.add_argument("--redis-db", type=int, default=15)  # CI takes 11, 12, … (.ci/run)
    parser.add_argument("--profile", metavar="FILE", help="py-spy samples of every worker while measuring "
                        "(collapsed stacks, `py-spy record -f raw`)")
    args = parser.parse_args()
    expected_posts = args.seconds * (args.rate or 600) * 0.05 * 1.5
    posters = max(4, int(expected_posts / 2 / POSTINGS_PER_ACCOUNT) + 2)
    say(f"Preparing {args.database} ({posters} posters per kind, {4 * args.threads} reviewers)")
    fixture = prepare(args.database, args.redis_db, reviewers=4 * args.threads, posters=posters)
    server = Server(fixture.env, args.workers, tuple(args.gunicorn.split()))
    try:
        server.wait_ready()
        driver = Driver(fixture, server.port, args.threads)
        say(f"Warming up the {args.workers} workers with {args.warmup} s of reads")
        driver.measure = False
        driver.run(args.warmup, args.rate, reads_only=True)
        driver.measure = True
        say(f"Measuring for {args.seconds} s")
        profiler = profile(server.proc.pid, args.seconds, args.profile) if args.profile else None
        meter = CpuMeter(server.proc.pid, args.database)
        meter.begin()
        elapsed = driver.run(args.seconds, args.rate)
        summary = summarise(driver.stats, elapsed)
        report = {"benchmark": "load", "seconds": round(elapsed, 1), "target_rps": args.rate,
                  "threads": args.threads, "gunicorn_workers": args.workers, "gunicorn_args": args.gunicorn,
                  "warmup_seconds": args.warmup,
                  "load_average": os.getloadavg(), **summary,
                  **cpu_report(meter.end(), summary["requests"], elapsed), "posters_ran_out": not driver.write_ok,
                  **check_writes(fixture.env["DATABASE_URL"].replace("+psycopg", ""), driver)}
        if profiler is not None:
            profiler.wait()
    finally:
        server.stop()
        drop_database(args.database)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
