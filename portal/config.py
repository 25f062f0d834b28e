"""Configuration read from the environment, with safe embedded defaults.

Nothing secret lives in the repository. Without DATABASE_URL the portal uses SQLite under `instance/`;
without REDIS_URL background jobs run inline, right after the transaction that asked for them commits.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for a real deployment; every value can come from the environment."""

    ENV_NAME = os.environ.get("PORTAL_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'portal.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # The tables' owner, for `flask db upgrade` only; DATABASE_URL is then a role that owns nothing, which
    # PostgreSQL's row-level security holds to one centre's rows (docs/row-level-security.md). Unset: DATABASE_URL.
    MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL") or None
    # On PostgreSQL the portal refuses to connect as a superuser or a BYPASSRLS role (they see every centre's rows).
    REQUIRE_ROW_LEVEL_SECURITY = _bool("REQUIRE_ROW_LEVEL_SECURITY", True)
    REDIS_URL = os.environ.get("REDIS_URL") or None
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Centre Portal <no-reply@centre-portal.invalid>")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)  # a signed-in session ends 8 hours after signing in
    SESSION_IDLE_MINUTES = 30  # ... or after 30 minutes without a request (portal.auth.sessions)
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    # Strict-Transport-Security on every answer (production is served over HTTPS only); 0 turns it off.
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600)))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; a learner may take an hour to write

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted (rate limits
    # and logs then see the real client address). 0 = none: the headers are ignored.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must never cost a learner their complaint: the limiter logs "Rate limit storage unreachable" and
    # counts in this process's memory until Redis answers again (it checks back with a growing interval).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # any other limiter failure: log it and serve the request (fail open)
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}  # an unreachable host fails fast

    COMPLAINT_RETENTION_YEARS = int(os.environ.get("COMPLAINT_RETENTION_YEARS", "3"))
    TRACKING_LINK_DAYS = 365  # a private tracking link lives a year; re-sending replaces it
    PASSWORD_HASH_PROFILE = "production"
    SET_PASSWORD_LINK_HOURS = 72
    # "Remember this browser" on the two-factor code page: days without a code (at most 30, whatever this says).
    TWO_FACTOR_REMEMBER_DAYS = int(os.environ.get("TWO_FACTOR_REMEMBER_DAYS", "30"))
    JOBS_INLINE = REDIS_URL is None

    def validate(self) -> None:
        """Refuse to start with settings that would be unsafe outside development."""
        if not self.SECRET_KEY:
            raise ConfigError("SECRET_KEY must be set (PORTAL_ENV=development gives a throwaway one).")


class DevelopmentConfig(Config):
    """`make run`: SQLite, jobs inline, mail kept in the outbox, a throwaway key, plain-http cookies."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = False
    HSTS_SECONDS = 0  # plain http on 127.0.0.1


class TestConfig(Config):
    """The test suite: DATABASE_URL/REDIS_URL from the environment, cheap password hashing."""

    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MIGRATION_DATABASE_URL = None  # tests/services.py gives the owner's URL where the suite migrates
    REQUIRE_ROW_LEVEL_SECURITY = True  # the suite's PostgreSQL pass connects as the application's role
    REDIS_URL = None
    JOBS_INLINE = True
    RATELIMIT_STORAGE_URI = "memory://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    HSTS_SECONDS = 0
    PASSWORD_HASH_PROFILE = "test"
    MAIL_SERVER = None
    WTF_CSRF_ENABLED = False
    PUBLIC_BASE_URL = "http://localhost"


def config_for_environment() -> type[Config]:
    """Pick the config class named by PORTAL_ENV (production unless said otherwise)."""
    name = os.environ.get("PORTAL_ENV", "production")
    return {"development": DevelopmentConfig, "test": TestConfig}.get(name, Config)
