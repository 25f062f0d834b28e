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
# TEST_REDIS_DB_BASE moves the block down, or TEST_REDIS_PORT to another server, so two checkouts can run
# their suites side by side.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BASE = int(os.environ.get("TEST_REDIS_DB_BASE", "15"))
_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:{_PORT}/{_BASE - _WORKER}")
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


class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test may kill and start again.

    Fault-injection tests never touch the shared Redis at 6379: they kill this one.
    """

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self) -> PrivateRedis:
        import subprocess
        import time

        from redis import Redis
        from redis.exceptions import ConnectionError as RedisConnectionError

        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server", "not on PATH (apt-get install redis-server)")
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return self
            except RedisConnectionError:
                time.sleep(0.05)
        self.kill()
        unavailable("redis-server", f"did not answer on port {self.port}")
        return self

    def kill(self) -> None:
        """SIGKILL, as when the host or container dies: no goodbye to the clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def client(self):
        from redis import Redis

        return Redis.from_url(self.url, socket_connect_timeout=1)
