"""Configuration classes; `create_app` picks one from MATCHMAKER_CONFIG (development by default).

Every setting comes from the environment. Production refuses to start without SECRET_KEY and
DATABASE_URL: a silent fallback there would sign sessions with a known key or write to SQLite.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean environment variable strictly: a typo is an error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of {sorted(_TRUE | _FALSE - {''})}, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def database_url(default: str) -> str:
    """DATABASE_URL with the psycopg 3 driver made explicit (hosting platforms hand out postgres://)."""
    url = os.environ.get("DATABASE_URL") or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE_DIR / 'matchmaker.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MATCHMAKER_INDEX_PATH = os.environ.get("MATCHMAKER_INDEX_PATH") or str(INSTANCE_DIR / "index")

    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 5 * 1024 * 1024)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("SESSION_HOURS", 12))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=env_int("REMEMBER_DAYS", 14))
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session it belongs to

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Hong_Kong"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "matchmaker" / "translations")

    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", True)
    MAIL_FROM = os.environ.get("MAIL_FROM", "Matchmaker <no-reply@matchmaker.example>")
    # The site's address as its users reach it: links in mail start with it (mail is read outside any request).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"

    POSTINGS_PER_PAGE = 20
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT") or "300 per minute"
    API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
    MATCH_TOP_N = env_int("MATCH_TOP_N", 20)
    # The cut-off (services/matching.candidates_for): a suggestion is stored when its pair similarity
    # (0–1) reaches MATCH_MIN_SCORE and MATCH_RELATIVE_FLOOR × the posting's best candidate. How the
    # two were chosen: benchmarks/suggestions.py --sweep.
    MATCH_MIN_SCORE = float(os.environ.get("MATCH_MIN_SCORE") or 0.05)
    MATCH_RELATIVE_FLOOR = float(os.environ.get("MATCH_RELATIVE_FLOOR") or 0.6)
    HSTS = False


class DevelopmentConfig(Config):
    # A per-process random key: sessions do not survive a restart, and no key is ever written in code.
    SECRET_KEY = Config.SECRET_KEY or secrets.token_hex(32)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"  # noqa: S105 - the test config, never served
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    RATELIMIT_STORAGE_URI = os.environ.get("TEST_REDIS_URL") or "memory://"
    # Tests hash hundreds of passwords; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hash method, not a password


class ProductionConfig(Config):
    DEBUG = False  # FLASK_DEBUG=1 left in a shell would otherwise turn debug (and exception propagation) on
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS = True

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings that have no safe default."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration needs these environment variables: " + ", ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
