"""The migration chain, through the same `flask db` commands an operator runs, on SQLite and PostgreSQL.

Each command runs in its own process: Alembic's env.py calls `logging.config.fileConfig`, which would
disable every logger already created in the test process and break later tests that read log records.
The databases are scratch ones (a temp file; a separate PostgreSQL database), never instance/ or the
suite's shared `test` database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or ""
# The Hong Kong and Macao universities every installation starts with (the product brief's list).
UNIVERSITIES = {"HKU", "CUHK", "HKUST", "PolyU", "CityU", "HKBU", "LingnanU", "EdUHK", "HKMU",
                "UM", "MUST", "MPU", "USJ"}


def flask_db(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `flask db ARGS` against ``database_url`` with the development config, as an operator would."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TEST_DATABASE_URL", "MATCHMAKER_CONFIG", "SECRET_KEY")}
    env.update(DATABASE_URL=database_url, FLASK_APP="wsgi.py", MATCHMAKER_CONFIG="development",
               MATCHMAKER_INDEX_PATH=str(tmp_path / "index"))
    result = subprocess.run([sys.executable, "-m", "flask", "db", *args], cwd=ROOT, env=env,  # noqa: S603
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"flask db {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def scratch_postgres_database() -> Iterator[str]:
    """Create an empty database beside TEST_DATABASE_URL's, drop it afterwards.

    Named after this process, so that concurrent runs (xdist workers, two developers on one server)
    never drop each other's.
    """
    server = make_url(TEST_DATABASE_URL)
    name = f"matchmaker_migrations_{os.getpid()}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=[
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                           reason="TEST_DATABASE_URL does not name a PostgreSQL database"),
    ]),
])
def scratch_database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        yield from scratch_postgres_database()


def table_names(database_url: str | URL) -> set[str]:
    engine = sa.create_engine(database_url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def university_short_names(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(sa.text(
                "SELECT short_name FROM organisations WHERE kind = 'university'")))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_leaves_no_drift_and_the_universities(scratch_database, tmp_path):
    flask_db(scratch_database, tmp_path, "upgrade")
    assert "organisations" in table_names(scratch_database)

    flask_db(scratch_database, tmp_path, "downgrade", "base")
    assert table_names(scratch_database) <= {"alembic_version"}, "downgrade base left tables behind"

    flask_db(scratch_database, tmp_path, "upgrade")
    # `flask db check` exits non-zero when the models and the migrated schema differ.
    flask_db(scratch_database, tmp_path, "check")
    assert university_short_names(scratch_database) >= UNIVERSITIES


def test_the_migration_chain_has_a_single_head(tmp_path):
    result = flask_db(f"sqlite:///{tmp_path / 'heads.db'}", tmp_path, "heads")
    heads = [line for line in result.stdout.splitlines() if "(head)" in line]
    assert len(heads) == 1, result.stdout
