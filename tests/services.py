"""Reaching the real services of the test machine: PostgreSQL, Redis, Chromium.

With REQUIRE_SERVICES=1 (CI) a missing service fails the test; otherwise the test is skipped.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest

POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# One Redis database per pytest-xdist worker (gw0 → 15, gw1 → 14, ...): tests flush theirs.
# TEST_REDIS_DB_BASE moves the block down so two checkouts can run their suites side by side.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BASE = int(os.environ.get("TEST_REDIS_DB_BASE", "15"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{_BASE - _WORKER}")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in ("", "0")


def unavailable(what: str, why: object) -> None:
    """Fail (CI) or skip (a laptop without the service)."""
    message = f"{what} is not available: {why}"
    if required():
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_postgres_database() -> str:
    """Create a fresh, empty PostgreSQL database and return its SQLAlchemy URL."""
    import psycopg

    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(_psycopg_url(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        unavailable("PostgreSQL", error)
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_psycopg_url(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_or_fail():
    """A Redis client on the test database (15), emptied."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except RedisConnectionError as error:
        unavailable("Redis", error)
    client.flushdb()
    return client


def chromium_or_fail() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        unavailable("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
