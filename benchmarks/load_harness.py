"""What `load.py` and `pg_restart.py` share: a scratch database, load accounts, gunicorn, an HTTP client.

The scratch PostgreSQL database is created and dropped through an AUTOCOMMIT connection to `postgres`
(127.0.0.1:5432, user postgres, trust auth). Accounts and API tokens are made in this process through
the services; `create_app` reads its settings when `config` is imported, so `prepare` sets the
environment before importing the application.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "load-test-password"  # noqa: S105  (accounts of a throw-away database)
sys.path.insert(0, str(ROOT))  # the application, imported by `_make_accounts`
CSRF_FIELD = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def create_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Fixture:
    """What the load needs to know about the prepared database."""

    env: dict
    dbname: str
    reviewers: list[tuple[str, str]] = field(default_factory=list)  # (email, token)
    posters: dict[str, list[str]] = field(default_factory=dict)  # kind → tokens
    results: list[int] = field(default_factory=list)
    needs: list[int] = field(default_factory=list)
    suggested: list[int] = field(default_factory=list)
    demo: dict = field(default_factory=dict)


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def prepare(dbname: str, redis_db: int, reviewers: int, posters: int) -> Fixture:
    """Scratch database with migrations, the demo and load accounts; flushes the limiter's Redis db."""
    create_database(dbname)
    index_dir = tempfile.mkdtemp(prefix="mm-load-")
    env = dict(os.environ, MATCHMAKER_CONFIG="production", SECRET_KEY=secrets.token_hex(32),
               DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}",
               REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}", SESSION_COOKIE_SECURE="false",
               MATCHMAKER_INDEX_PATH=os.path.join(index_dir, "index"), FLASK_APP="wsgi.py")
    env.pop("FLASK_DEBUG", None)
    _run([str(BIN / "flask"), "db", "upgrade"], env)
    _run([str(BIN / "flask"), "demo", "load"], env)
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    os.environ.update(env)
    fixture = Fixture(env=env, dbname=dbname)
    _make_accounts(fixture, reviewers, posters)
    return fixture


def _make_accounts(fixture: Fixture, reviewers: int, posters: int) -> None:
    import sqlalchemy as sa

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import EnterpriseNeed, Match, Organisation, ResearchResult
    from matchmaker.services import accounts, demo, tokens

    # A cheap hash: these accounts live minutes; the server's own hashing is not what is measured.
    app = create_app("production", PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")  # noqa: S106
    with app.app_context():
        university = db.session.scalar(sa.select(Organisation).where(Organisation.kind == "university")
                                       .order_by(Organisation.id).limit(1))
        company = accounts.find_or_create_company("Load Test Manufacturing", "shenzhen")
        wanted = [("reviewer", None, i) for i in range(reviewers)]
        wanted += [(role, org, i) for role, org in (("researcher", university), ("enterprise", company))
                   for i in range(posters)]
        users = [(role, accounts.create_user(f"load-{role}-{i}@load.test", PASSWORD, f"Load {role} {i}",
                                             role, org)) for role, org, i in wanted]
        db.session.commit()
        for role, user in users:
            plain = tokens.issue(user, "load")[1]
            if role == "reviewer":
                fixture.reviewers.append((user.email, plain))
            else:
                fixture.posters.setdefault("result" if role == "researcher" else "need", []).append(plain)
        fixture.results = list(db.session.scalars(sa.select(ResearchResult.id)))
        fixture.needs = list(db.session.scalars(sa.select(EnterpriseNeed.id)))
        fixture.suggested = list(db.session.scalars(sa.select(Match.id).where(Match.state == "suggested")))
        fixture.demo = demo.load_data()


class Server:
    """gunicorn in its own process group, stopped (group-wide) by `stop`."""

    def __init__(self, env: dict, workers: int, options: tuple[str, ...] = ()):
        """`options`: more gunicorn arguments (e.g. `--worker-class sync`) over gunicorn.conf.py's settings."""
        self.port = free_port()
        # Kept open for gunicorn to write to; left on disk for reading after a failure.
        self.log = tempfile.NamedTemporaryFile(prefix="mm-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), *options, "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {self.log.name}")
            try:
                if Client(self.port).request("GET", "/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn not ready after {timeout} s: see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Client:
    """One connection (kept alive when the server allows it) and, after `login`, a session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, body: bytes | None = None, token: str | None = None,
                content_type: str = "application/json", session: bool = False) -> tuple[int, bytes]:
        """(status, body); a transport failure raises OSError or http.client.HTTPException."""
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = content_type
        if session and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if session:
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
        if response.will_close:
            self.close()
        return response.status, raw

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, email: str) -> None:
        status, page = self.request("GET", "/login", session=True)
        found = CSRF_FIELD.search(page)
        if status != 200 or not found:
            raise SystemExit(f"GET /login: {status}")
        form = urllib.parse.urlencode({"email": email, "password": PASSWORD,
                                       "csrf_token": found.group(1).decode()}).encode()
        status, _ = self.request("POST", "/login", body=form, session=True,
                                 content_type="application/x-www-form-urlencoded")
        if status != 302:
            raise SystemExit(f"POST /login as {email}: {status}")


class CpuMeter:
    """CPU seconds used by the gunicorn workers, the PostgreSQL backends of the database and this process.

    On a shared 2-core machine the request rate says as much about the neighbours as about the server;
    CPU per request does not. Read from /proc (Linux): workers are the master's children, backends the
    pids pg_stat_activity lists for the database. A process that exits between two readings is lost.
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master_pid: int, dbname: str):
        self.master_pid, self.dbname = master_pid, dbname
        self.start: dict[str, dict[int, float]] = {}
        self.started_self = 0.0

    @classmethod
    def _cpu(cls, pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / cls.TICK  # utime, stime

    def _pids(self) -> dict[str, list[int]]:
        try:
            with open(f"/proc/{self.master_pid}/task/{self.master_pid}/children", encoding="ascii") as handle:
                workers = [int(pid) for pid in handle.read().split()]
        except OSError:
            workers = []
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            backends = [pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,))]
        return {"gunicorn": workers, "postgres": backends}

    def _read(self) -> dict[str, dict[int, float]]:
        return {group: {pid: cpu for pid in pids if (cpu := self._cpu(pid)) is not None}
                for group, pids in self._pids().items()}

    def begin(self) -> None:
        self.start, self.started_self = self._read(), time.process_time()

    def end(self) -> dict[str, float]:
        """CPU seconds per group since `begin` (the generator: this whole process, all its threads)."""
        now = self._read()
        used = {group: sum(cpu - self.start.get(group, {}).get(pid, 0.0) for pid, cpu in pids.items())
                for group, pids in now.items()}
        used["generator"] = time.process_time() - self.started_self
        return used


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)
