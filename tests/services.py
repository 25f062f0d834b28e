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
    """Drop the database, and the application's role made for it (`app_role_for`) if there is one."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_psycopg_url(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{_app_role_name(name)}"')


def _app_role_name(database: str) -> str:
    return database.replace("portal_test_", "portal_app_", 1)


def app_role_for(url: str) -> str:
    """Make the role the portal connects as, for the database at `url` (made by `create_postgres_database`):
    it can log in and read and write every table, owns none, is no superuser and cannot bypass row-level
    security — as in production (docs/row-level-security.md). Roles belong to the whole server and other test
    runs go on beside this one, so the role is this database's alone and goes with it. Returns its URL.

    Call it before migrating: the default privileges give the role every table the migrations make."""
    import psycopg

    database = url.rsplit("/", 1)[1]
    role = _app_role_name(database)
    with psycopg.connect(_psycopg_url(POSTGRES_ADMIN_URL), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
        conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
    with psycopg.connect(_psycopg_url(url), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        conn.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
                     f'TO "{role}"')
        conn.execute(f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{role}"')
    owner_part, _, host_part = url.partition("@")
    return owner_part.rsplit("//", 1)[0] + f"//{role}@" + host_part


def migrated_postgres_database() -> tuple[str, str]:
    """A fresh PostgreSQL database migrated to head by its owner, and the application's role for it.

    Returns (the app role's URL, the owner's URL): the portal connects with the first, migrations with the second
    (MIGRATION_DATABASE_URL), as in production."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import TestConfig
    from portal.extensions import db

    owner_url = create_postgres_database()
    app_url = app_role_for(owner_url)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app_url, MIGRATION_DATABASE_URL=owner_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app_url, owner_url


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
