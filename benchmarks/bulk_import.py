"""Time a bulk import of N research results, then the suggestions computed after its commit.

    python benchmarks/bulk_import.py [ROWS] [--database-url URL]

Uses a scratch SQLite file unless a database URL is given (it must be empty: tables are created and
dropped). Prints one JSON object: seconds for the dry run and for the confirmation (check again, create
every posting, one commit), rows per second, and the time per posting of the suggestions step, measured
on the first 200 imported postings (the rest would follow in the background thread at that rate).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import tempfile
import time

import sqlalchemy as sa

TOPICS = ["graphene thermal film", "solid-state battery 固態電池", "海水淡化膜 desalination membrane",
          "機械人視覺 robot vision", "biodegradable packaging 可降解包装", "5G antenna module"]


def make_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_ref", "title", "summary", "keywords", "sector", "trl", "cooperation_modes"])
    for n in range(rows):
        topic = TOPICS[n % len(TOPICS)]
        writer.writerow([f"BENCH-{n}", f"{topic} result {n}", f"A study of {topic}, variant {n}.",
                         topic.replace(" ", "; "), "materials", str(1 + n % 9), "licence"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="bulk-import-")
    url = args.database_url or f"sqlite:///{os.path.join(scratch, 'bench.db')}"

    import matchmaker.matching  # noqa: F401  (a serving process has loaded it: ~8 s not counted)
    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import ImportJob, Organisation, User
    from matchmaker.services import import_jobs
    from matchmaker.services.seed import ensure_universities

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MATCHMAKER_INDEX_PATH=os.path.join(scratch, "ix"))
    data = make_csv(args.rows)
    with app.test_request_context():
        db.create_all()
        ensure_universities()
        hku = db.session.scalar(sa.select(Organisation).where(Organisation.short_name == "HKU"))
        importer = User(email="bench@example.test", display_name="bench", role="reviewer",
                        organisation_id=hku.id, password_hash="!")  # noqa: S106 - matches no password
        db.session.add(importer)
        db.session.commit()
        started = time.perf_counter()
        plan, job = import_jobs.dry_run(importer, hku, "result", data, "bench.csv")
        dry_run = time.perf_counter() - started
        started = time.perf_counter()
        import_jobs.confirm(job, importer)
        confirm = time.perf_counter() - started
        sample = ImportJob(user_id=importer.id, organisation_id=hku.id, kind="result", state="matching",
                           posting_ids=job.posting_ids[:200])
        db.session.add(sample)
        db.session.commit()
        started = time.perf_counter()
        import_jobs.run_matching(sample.id)
        matching = time.perf_counter() - started
        figures = {"rows": args.rows, "bytes": len(data), "problems": len(plan.problems),
                   "dry_run_s": round(dry_run, 2), "confirm_s": round(confirm, 2),
                   "rows_per_s_confirm": round(args.rows / confirm),
                   "matching_postings": sample.to_match,
                   "matching_ms_per_posting": round(1000 * matching / max(sample.to_match, 1), 1),
                   "database": db.engine.dialect.name}
        db.session.remove()
        db.drop_all()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
