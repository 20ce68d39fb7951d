"""Fixtures: `app`, `client` (adds CSRF tokens like a browser), `bare_client` (does not), `auth`, `make`.

The suite runs on SQLite in memory, or on PostgreSQL when TEST_DATABASE_URL is set. No fixture yields
from inside an app context: Flask-Login caches the user on `g`, and a shared context would leak it
between requests.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from matchmaker import create_app
from matchmaker.extensions import db, limiter
from matchmaker.services.seed import ensure_universities
from tests.factories import Factories
from tests.forms import recording

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
USING_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql")


def _database_per_xdist_worker() -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (test_gw0, …), made on demand,
    so parallel workers never truncate each other's tables. Runs before `config` is first imported."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("TEST_REDIS_URL"):  # and its own Redis database for the rate limiter
        redis = sa.engine.make_url(os.environ["TEST_REDIS_URL"])
        number = int(redis.database or 0) + 1 + int(worker.removeprefix("gw"))
        os.environ["TEST_REDIS_URL"] = redis.set(database=str(number)).render_as_string(hide_password=False)
    if not (USING_POSTGRES and worker):
        return
    base = sa.engine.make_url(os.environ["TEST_DATABASE_URL"])
    mine = base.set(database=f"{base.database}_{worker}")
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": mine.database})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{mine.database}"'))
    admin.dispose()
    os.environ["TEST_DATABASE_URL"] = mine.render_as_string(hide_password=False)


_database_per_xdist_worker()


class CSRFClient(FlaskClient):
    """A test client that sends the CSRF token a browser would have taken from the page."""

    def csrf_token(self) -> str:
        page = super().open("/", method="GET").get_data(as_text=True)
        return _TOKEN.search(page).group(1)

    def open(self, *args, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and not kwargs.pop("no_csrf", False):
            data = kwargs.get("data")
            if isinstance(data, dict):
                kwargs["data"] = {"csrf_token": self.csrf_token(), **data}
            else:
                kwargs["headers"] = {"X-CSRFToken": self.csrf_token(), **dict(kwargs.get("headers") or {})}
        return super().open(*args, **kwargs)


def reset_database() -> None:
    if USING_POSTGRES:
        names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()
    else:
        db.drop_all()


@pytest.fixture(scope="session", autouse=True)
def _fresh_postgres_schema():
    """Start every PostgreSQL run from an empty schema (a crashed run may have left tables)."""
    if USING_POSTGRES:
        app = create_app("testing")
        with app.app_context():
            db.drop_all()
            db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.engine.dispose()
    yield


@pytest.fixture
def app(tmp_path):
    app = create_app("testing", MATCHMAKER_INDEX_PATH=str(tmp_path / "index"))
    app.test_client_class = CSRFClient
    with app.app_context():
        db.create_all()
        ensure_universities()
        db.session.commit()
    limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        reset_database()
        db.engine.dispose()


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def bare_client(app) -> FlaskClient:
    """A client that sends no CSRF token, for the negative tests."""
    return FlaskClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app) -> Factories:
    return Factories(app)


@pytest.fixture
def submitted_forms() -> list[tuple[str, str]]:
    """(method, endpoint) of each form this test has submitted through tests/forms.py, in order."""
    with recording() as submitted:
        yield submitted


class AuthActions:
    def __init__(self, client: CSRFClient):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


def pytest_sessionstart(session):
    """Compile the catalogues (git ignores .mo files) so a bare `pytest` on a fresh checkout sees Chinese."""
    if hasattr(session.config, "workerinput"):  # xdist workers: the controller has done it
        return
    from pathlib import Path

    from babel.messages.frontend import CommandLineInterface

    translations = Path(__file__).resolve().parents[1] / "matchmaker" / "translations"
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(translations)])
