"""Configuration: production refuses unsafe start-ups, and environment values are parsed strictly.

config.py reads the environment when it is imported, as a real process does at start-up; the checks on
what a production app ends up with therefore start a fresh interpreter with a chosen environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import database_url, env_bool
from matchmaker import create_app

ROOT = Path(__file__).resolve().parent.parent
# Settings read by config.py or create_app that the surrounding shell might have set.
CONFIG_VARIABLES = ("SECRET_KEY", "DATABASE_URL", "MATCHMAKER_CONFIG", "FLASK_DEBUG", "SESSION_COOKIE_SECURE",
                    "REDIS_URL", "RATELIMIT_ENABLED")
REPORT_PRODUCTION_APP = """
import json
from matchmaker import create_app
app = create_app("production")
keys = ["SQLALCHEMY_DATABASE_URI", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY", "HSTS"]
print(json.dumps({"debug": app.debug, "testing": app.testing, **{key: app.config[key] for key in keys}}))
"""


def start_production(**env: str) -> subprocess.CompletedProcess:
    """Start a production app in a fresh interpreter whose environment holds only ``env`` of our settings."""
    clean = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    return subprocess.run([sys.executable, "-c", REPORT_PRODUCTION_APP], cwd=ROOT, env={**clean, **env},  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("present", "missing"), [
    ({"DATABASE_URL": "postgresql+psycopg://app@db.example/matchmaker"}, "SECRET_KEY"),
    ({"SECRET_KEY": "a-real-secret"}, "DATABASE_URL"),
])
def test_production_names_the_one_missing_setting(monkeypatch, present, missing):
    for name in ("SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError) as error:
        create_app("production")
    assert missing in str(error.value)
    assert next(iter(present)) not in str(error.value)


def test_production_names_both_missing_settings(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "")  # empty counts as missing
    with pytest.raises(RuntimeError, match="SECRET_KEY.*DATABASE_URL"):
        create_app("production")


def test_production_refuses_an_empty_secret_key_in_a_fresh_process():
    result = start_production(SECRET_KEY="", DATABASE_URL="postgresql://app@db.example/matchmaker")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_app_has_secure_cookies_debug_off_and_the_psycopg_driver():
    # FLASK_DEBUG=1 left in a shell must not switch the debugger on in production.
    result = start_production(SECRET_KEY="a-real-secret", DATABASE_URL="postgres://app:pw@db.example:5432/mm",
                              FLASK_DEBUG="1")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://app:pw@db.example:5432/mm"
    assert config["debug"] is False
    assert config["testing"] is False
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["HSTS"] is True


def test_a_boolean_typo_stops_the_start_up():
    result = start_production(SECRET_KEY="a-real-secret", DATABASE_URL="postgresql://db.example/mm",
                              SESSION_COOKIE_SECURE="ture")
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stderr
    assert "'ture'" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", True), ("true", True), ("True", True), (" yes ", True), ("on", True),
    ("0", False), ("false", False), ("FALSE", False), ("no", False), ("off", False), ("", False),
])
def test_env_bool_accepts_the_documented_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("MATCHMAKER_FLAG", raw)
    assert env_bool("MATCHMAKER_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["ture", "y", "2", "enabled", "nope"])
def test_env_bool_rejects_anything_else(monkeypatch, raw):
    monkeypatch.setenv("MATCHMAKER_FLAG", raw)
    with pytest.raises(ValueError, match="MATCHMAKER_FLAG"):
        env_bool("MATCHMAKER_FLAG", False)


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_gives_the_default(monkeypatch, default):
    monkeypatch.delenv("MATCHMAKER_FLAG", raising=False)
    assert env_bool("MATCHMAKER_FLAG", default) is default


@pytest.mark.parametrize(("raw", "expected"), [
    ("postgres://app:pw@db:5432/mm", "postgresql+psycopg://app:pw@db:5432/mm"),
    ("postgresql://app@db/mm?sslmode=require", "postgresql+psycopg://app@db/mm?sslmode=require"),
    ("postgresql+psycopg://app@db/mm", "postgresql+psycopg://app@db/mm"),
    ("sqlite:////var/lib/matchmaker/mm.db", "sqlite:////var/lib/matchmaker/mm.db"),
])
def test_database_url_makes_the_psycopg_driver_explicit(monkeypatch, raw, expected):
    monkeypatch.setenv("DATABASE_URL", raw)
    assert database_url("sqlite://") == expected


def test_database_url_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url("sqlite:///fallback.db") == "sqlite:///fallback.db"
