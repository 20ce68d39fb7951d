"""PostgreSQL restarted under load: failing requests get a clean 503, and the app recovers by itself.

    python benchmarks/pg_restart.py [--seconds 30] [--restart-at 10] [--rate 40] [--threads 4]
                                    [--recover-within 10]

Same set-up as `load.py` (scratch database `matchmaker_pgrestart`, demo data, load accounts, gunicorn
with 4 workers, warmed up with reads), a lighter load of the same mix, and once, `--restart-at` seconds
in, `pg_ctlcluster --skip-systemctl-redirect <version> main restart`. Every request is recorded with its
time, status and whether its body holds a traceback. Passes when every failed request was a 503 without a
traceback, every request sent `--recover-within` seconds after the restart command returned succeeded,
and no acknowledged write was lost or duplicated. The last line printed is one JSON object.

Other people run tests against this PostgreSQL: the restart takes a second or two; run this rarely.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import threading
import time

from load import Driver, check_writes
from load_harness import Client, Server, drop_database, prepare, say

TRACEBACK_SIGNS = (b"Traceback", b'File "', b"sqlalchemy.exc", b"psycopg.")


class RecordingDriver(Driver):
    """Also keeps (seconds since start, class, status, traceback in body) for every request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.t0 = time.monotonic()
        self.timeline: list[tuple[float, str, int, bool]] = []

    def call(self, client: Client, cls: str, method: str, path: str, **kw) -> tuple[int, bytes]:
        sent = time.monotonic() - self.t0
        status, body = super().call(client, cls, method, path, **kw)
        if self.measure:
            self.timeline.append((sent, cls, status, any(sign in body for sign in TRACEBACK_SIGNS)))
        return status, body


def restart_postgres() -> tuple[float, float, int]:
    """Restart the cluster; (started, returned) in monotonic seconds and the exit code."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    started = time.monotonic()
    done = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        say(f"pg_ctlcluster restart failed: {done.stderr.strip()}")
    return started, time.monotonic(), done.returncode


def judge(driver: RecordingDriver, restart: tuple[float, float, int], recover_within: float) -> dict:
    started, back, code = (moment - driver.t0 if i < 2 else moment for i, moment in enumerate(restart))
    failed = [entry for entry in driver.timeline if not 200 <= entry[2] < 400]
    after = [entry for entry in driver.timeline if entry[0] >= back + recover_within]
    last_failure = max((entry[0] for entry in failed), default=None)
    return {
        "restart_started_s": round(started, 2), "restart_returned_s": round(back, 2),
        "restart_exit_code": code, "requests": len(driver.timeline), "failed": len(failed),
        "failed_by_status": {str(s): sum(1 for e in failed if e[2] == s) for s in sorted({e[2] for e in failed})},
        "failed_not_503": sum(1 for e in failed if e[2] != 503),
        "bodies_with_traceback": sum(1 for e in driver.timeline if e[3]),
        "last_failure_after_back_s": None if last_failure is None else round(last_failure - back, 2),
        "requests_after_recovery_window": len(after),
        "failed_after_recovery_window": sum(1 for e in after if not 200 <= e[2] < 400),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30,
                        help="load duration; extended to end 10 s after the recovery window")
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--rate", type=float, default=40)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--recover-within", type=float, default=10)
    parser.add_argument("--database", default="matchmaker_pgrestart")
    parser.add_argument("--redis-db", type=int, default=9)  # CI takes 11, 12, … (.ci/run)
    args = parser.parse_args()
    say(f"Preparing {args.database}")
    fixture = prepare(args.database, args.redis_db, reviewers=4 * args.threads, posters=8)
    server = Server(fixture.env, args.workers)
    try:
        server.wait_ready()
        driver = RecordingDriver(fixture, server.port, args.threads)
        driver.measure = False
        driver.run(5, args.rate, reads_only=True)
        driver.measure, driver.t0 = True, time.monotonic()
        restart: list = []

        def restart_and_extend() -> None:
            # However long the restart takes (2 s to 30 s seen), the load goes on past the recovery window.
            planned, driver.deadline = driver.deadline, float("inf")
            restart.extend(restart_postgres())
            driver.deadline = max(planned, restart[1] + args.recover_within + 10)

        timer = threading.Timer(args.restart_at, restart_and_extend)
        timer.start()
        say(f"Load for {args.seconds} s, PostgreSQL restarted at {args.restart_at} s")
        elapsed = driver.run(args.seconds, args.rate)
        timer.join()
        report = {"benchmark": "pg_restart", "seconds": round(elapsed, 1), "rate": args.rate,
                  **judge(driver, tuple(restart), args.recover_within),
                  **check_writes(fixture.env["DATABASE_URL"].replace("+psycopg", ""), driver)}
        report["passed"] = (report["failed_not_503"] == 0 and report["bodies_with_traceback"] == 0
                            and report["failed_after_recovery_window"] == 0
                            and report["requests_after_recovery_window"] > 0
                            and report["postings_lost"] == report["postings_duplicated"] == 0
                            and report["decisions_lost"] == report["decisions_duplicated"] == 0)
    finally:
        server.stop()
        drop_database(args.database)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
