"""Dashboard benchmark: the page and a CSV over N matches; the last printed line is one JSON object.

    .venv/bin/python benchmarks/dashboard.py --matches 50000 [--database-url postgresql+psycopg://...]

Fills a scratch database (SQLite in a temporary file unless --database-url names an empty one) with
results across sectors and institutions, and N matches whose histories go as far as the pipeline
allows, about 2 events each. Then it times the whole dashboard page and the funnel-by-month CSV
through the test client (median of --repeat runs) and counts the SQL statements one page issues, which
must not grow with N.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaker import create_app, taxonomy  # noqa: E402
from matchmaker.extensions import db  # noqa: E402
from matchmaker.models import (  # noqa: E402
    EnterpriseNeed,
    Match,
    MatchEvent,
    Organisation,
    ResearchResult,
    User,
)
from matchmaker.services.seed import ensure_universities  # noqa: E402

PASSWORD = "benchmark password 1"  # noqa: S105 -- a throw-away account in a scratch database
PATHS = [["rejected"], [], ["introduced"], ["introduced", "closed"], ["introduced", "connected"],
         ["introduced", "connected", "agreed"], ["withdrawn"]]


def _fill(matches: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    ensure_universities()
    owner = User(email="bench@example.test", display_name="Bench", role="admin")
    owner.set_password(PASSWORD)
    company = Organisation(kind="enterprise", name_en="Bench Co", region="shenzhen")
    db.session.add_all([owner, company])
    db.session.flush()
    universities = db.session.scalars(sa.select(Organisation.id).where(Organisation.kind == "university"))
    universities = list(universities)
    results = [ResearchResult(owner_id=owner.id, organisation_id=rng.choice(universities), title=f"R{i}",
                              sector=rng.choice(taxonomy.SECTORS.codes), status="published")
               for i in range(200)]
    needs = [EnterpriseNeed(owner_id=owner.id, organisation_id=company.id, title=f"N{i}", sector="energy",
                            region="shenzhen", status="published") for i in range(matches // 200 + 1)]
    db.session.add_all(results + needs)
    db.session.flush()
    start, events = datetime(2024, 1, 1, tzinfo=UTC), 0
    rows, paths = [], []
    for i in range(matches):
        created = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        path = rng.choice(PATHS)
        paths.append(path)
        rows.append(dict(id=i + 1, result_id=results[i % 200].id, need_id=needs[i // 200].id, score=0.5,
                         rank=1, explanation=[], engine_version="bench",
                         state=path[-1] if path else "suggested", decision_note="", result_message="",
                         need_message="", outcome_note="", version=1,
                         created_at=created, updated_at=created))
    db.session.execute(sa.insert(Match), rows)
    batch = []
    for row, path in zip(rows, paths, strict=True):
        state, moment = None, row["created_at"]
        for to_state in ["suggested", *path]:
            batch.append(dict(match_id=row["id"], from_state=state, to_state=to_state, action="bench",
                              note="", created_at=moment))
            state, moment = to_state, moment + timedelta(hours=rng.randrange(1, 24 * 20))
        if len(batch) > 20000:
            db.session.execute(sa.insert(MatchEvent), batch)
            events, batch = events + len(batch), []
    db.session.execute(sa.insert(MatchEvent), batch)
    db.session.commit()
    return events + len(batch)


def _median_ms(client, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matches", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/dashboard-bench.db"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        if sa.inspect(db.engine).get_table_names():
            raise SystemExit("--database-url must name an empty database: the benchmark drops its tables after")
        db.create_all()
        began = time.perf_counter()
        events = _fill(args.matches)
        fill_s = time.perf_counter() - began
    client = app.test_client()
    login = client.post("/login", data={"email": "bench@example.test", "password": PASSWORD})
    assert login.status_code == 302
    statements = []

    def count(*event_args) -> None:
        statements.append(event_args[2])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        client.get("/dashboard/")
        sa.event.remove(db.engine, "before_cursor_execute", count)
    figures = {
        "database": url.split(":")[0], "matches": args.matches, "events": events, "fill_s": round(fill_s, 1),
        "page_ms": _median_ms(client, "/dashboard/", args.repeat),
        "page_one_year_ms": _median_ms(client, "/dashboard/?month_from=2025-01&month_to=2025-12",
                                       args.repeat),
        "csv_by_month_ms": _median_ms(client, "/dashboard/funnel-by-month.csv", args.repeat),
        "statements_per_page": len(statements),
    }
    if args.database_url:
        with app.app_context():
            db.drop_all()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
