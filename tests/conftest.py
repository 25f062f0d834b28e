"""Fixtures after DESIGN.md §3.9: app, client, auth, factories, centre / other_centre, mailbox, queries.

The suite runs on SQLite by default and on a fresh PostgreSQL database with TEST_DATABASE=postgres.
The schema is made once per run by the Alembic migrations (so every run also exercises them); each test
starts with empty tables. Email goes over real SMTP to a local aiosmtpd sink.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import sqlite3
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from itertools import count

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from sqlalchemy import Engine, event

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.tenancy import for_all_centres
from tests import services

PASSWORD = "correct horse battery staple"


# --- database --------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """One database per test run, migrated to head. On PostgreSQL the migrations run as the tables' owner and the
    URL given to the tests is the application's role, which owns nothing: row-level security holds it, as in
    production (tests/services.py, docs/row-level-security.md)."""
    if os.environ.get("TEST_DATABASE") == "postgres":
        url, _ = services.migrated_postgres_database()
        yield url
        services.drop_postgres_database(url)
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    yield url


def pytest_collection_modifyitems(config, items) -> None:
    """The PostgreSQL pass (TEST_DATABASE=postgres) runs every test that reaches the suite's database. The others
    (word counting, working days, the layer rules...) never touch it, ran in the SQLite pass, and would only run
    again unchanged: they are deselected here, which keeps `make test` inside its time. So are tests marked
    `one_database`: what they check (every form's error summary, walked over every POST endpoint) is the rendered
    page, which the engine does not change, and each form's own tests run on both."""
    if os.environ.get("TEST_DATABASE") != "postgres":
        return
    kept = [item for item in items if "database_url" in getattr(item, "fixturenames", ())
            and item.get_closest_marker("one_database") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@event.listens_for(Engine, "connect")
def _sqlite_test_speed(dbapi_connection, connection_record):
    """Tests do not need SQLite to wait for the disk at every commit (a throwaway database)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


# --- mail ------------------------------------------------------------------------------------------------

@dataclass
class Mailbox:
    """Messages received by the local SMTP server, parsed when a test first reads them (most tests never do, and
    parsing in the server's thread would hold up every send)."""

    received: list[bytes] = field(default_factory=list)
    parsed: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd handler name
        with self.lock:
            self.received.append(envelope.content)
        return "250 OK"

    @property
    def messages(self) -> list:
        with self.lock:
            self.parsed += [message_from_bytes(content, policy=policy.default)
                            for content in self.received[len(self.parsed):]]
            return list(self.parsed)

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str):
        found = self.to(address)
        assert found, f"no email to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.parsed.clear()


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_redis():
    """A redis-server of this test's own (never the shared one), killed at the end if still running."""
    server = services.PrivateRedis(free_port()).start()
    yield server
    server.kill()


@pytest.fixture
def mailbox(smtp_server, app):
    """Every message sent since the test's app was made (fixtures' emails included: see `app`)."""
    box, _ = smtp_server
    return box


# --- app -------------------------------------------------------------------------------------------------

def _compile_each_url_builder_once() -> None:
    """The suite makes a new app per test, and Werkzeug compiles two Python functions (ast + `compile()`)
    for every URL rule of every app: a fifth of the suite's CPU time. The generated code depends only on
    the rule's shape (its text, parts, defaults and which builder), never on the app, and is bound to each
    rule afterwards — so each shape is compiled once per test process."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple, object] = {}

    def compile_once(rule: Rule, append_unknown: bool = True):
        shape = (rule.rule, rule.host, rule.subdomain, rule.merge_slashes, tuple(rule._trace),
                 tuple(sorted((key, repr(value)) for key, value in (rule.defaults or {}).items())), append_unknown)
        if shape not in compiled:
            compiled[shape] = compile_builder(rule, append_unknown)
        return compiled[shape]

    Rule._compile_builder = compile_once


_compile_each_url_builder_once()


class _TemplatesCompiledOnce(BytecodeCache):
    """Each test's app has its own Jinja environment, which would parse and compile every template it renders
    again (a tenth of the suite's CPU time). Every app is made by the same `create_app`, so a template's code
    is the same in all of them: it is kept here by name and source checksum (Jinja checks the checksum)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _TemplatesCompiledOnce()}


def _one_engine_per_database() -> None:
    """Each test's app would make its own engine, and an engine compiles every SQL statement again (SQLAlchemy's
    compiled cache is the engine's): a fifth of a test's CPU time. Apps of one test process given the same URL and
    engine options share one engine instead, as every request of one production process does. Each test still
    starts with no connection (the `app` fixture disposes the pool), and listeners the portal adds to an engine
    are added once (portal.tenancy.refuse_roles_that_bypass_row_level_security)."""
    make_engine = type(db)._make_engine
    engines: dict[str, Engine] = {}

    def shared(bind_key, options, app) -> Engine:
        if str(options["url"]) in ("sqlite://", "sqlite:///:memory:"):  # a database that lives in its engine
            return make_engine(db, bind_key, options, app)
        key = repr(sorted((name, repr(value)) for name, value in options.items()))
        if key not in engines:
            engines[key] = make_engine(db, bind_key, {"query_cache_size": 5000, **options}, app)
        return engines[key]

    db._make_engine = shared


_one_engine_per_database()


@pytest.fixture
def app_overrides():
    """Override in a test module to change configuration (e.g. REDIS_URL)."""
    return {}


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The `app` fixture keeps an app context pushed for the test body, and Flask reuses a pushed context for
    a request: `g` (flask-login's cached user, the current centre that switches on the tenant safety net)
    and the database session would then leak from one request — and one client — to the next. Each
    request therefore runs in an empty contextvars context; afterwards the test's own session is expired so
    it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture
def app(database_url, smtp_server, app_overrides, tmp_path):
    box, port = smtp_server
    box.clear()  # here, not in `mailbox`: emails sent while fixtures build centres belong to this test too
    # app_overrides may replace any of these (MAIL_SERVER=None to hold mail, a closed MAIL_PORT...).
    # UPLOAD_DIR: never the instance folder (the demo and the submission factories store files there).
    app = create_app(TestConfig, **{"SQLALCHEMY_DATABASE_URI": database_url, "MAIL_SERVER": "127.0.0.1",
                                    "MAIL_PORT": port, "UPLOAD_DIR": str(tmp_path / "uploads"), **app_overrides})
    app.test_client_class = IsolatedClient
    with app.app_context():
        # The test itself sets up centres, reads across them and checks what pages did: the system's work, said
        # explicitly (portal.tenancy). Each request made through the client has its own context and scope.
        for_all_centres()
        yield app
        db.session.remove()
        g.pop("tenant_centre_id", None)  # whatever the test left: emptying every table is work across all centres
        for_all_centres()
        _empty_every_table()
        db.engine.dispose()


def _empty_every_table() -> None:
    """Every table emptied, children first. On PostgreSQL in one round trip (a script of DELETEs: a third of a
    test's statements were these, each waiting on the server); SQLite, in-process, runs them one by one."""
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{table.name}"' for table in tables))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


# --- people and centres ----------------------------------------------------------------------------------

_serial = count(1)


@pytest.fixture
def make_centre(app):
    """Create an approved centre (through the real approval service) with an active Quality contact."""
    from portal.auth.passwords import hash_password
    from portal.db import commit
    from portal.workdays import Nation
    from tenants import services as centres
    from tenants.models import Centre

    def make(name: str | None = None, *, nation: Nation = Nation.ENGLAND, public_body: bool = False) -> Centre:
        n = next(_serial)
        admin = _admin(app)
        centre = centres.submit_application(
            name=name or f"Centre {n}", nation=nation, scottish_public_body=public_body, address="1 High St",
            contact_name="Applicant", contact_email=f"applicant{n}@example.org", qualifications_sought="ILM")
        contact = centres.approve_application(
            centre, slug=f"centre-{n}", centre_number=f"{200000 + n}", quality_contact_name=f"Quality {n}",
            quality_contact_email=f"qc{n}@example.org", by=admin)
        contact.password_hash = hash_password(PASSWORD)
        commit()  # portal.db.commit: also sends the emails the approval queued
        return centre

    return make


def _admin(app):
    """The awarding-body admin used to approve test centres (created on first use)."""
    from sqlalchemy import select

    from portal.auth.models import User

    existing = db.session.execute(select(User).where(User.email == "approver@awarding-body.example")).scalar()
    return existing or make_awarding_body_user(email="approver@awarding-body.example", roles=("platform_admin",))


def make_awarding_body_user(*, email: str, roles, name: str = "Awarding Body"):
    from portal.auth.models import AccountStatus, Role, RoleGrant, User
    from portal.auth.passwords import hash_password

    user = User(email=email, name=name, status=AccountStatus.ACTIVE, password_hash=hash_password(PASSWORD),
                role_grants=[RoleGrant(role=Role(r)) for r in roles])
    if Role.PLATFORM_ADMIN.value in roles:  # a platform admin must sign in with a second factor: enrolled here
        enrol_two_factor(user)
    db.session.add(user)
    db.session.commit()
    return user


def enrol_two_factor(user) -> None:
    """Give `user` an authenticator, as if they had enrolled (`Auth.sign_in` then answers the second step)."""
    import pyotp

    from portal.db import utcnow

    user.two_factor_secret, user.two_factor_enabled_at = pyotp.random_base32(), utcnow()


def second_factor_code(email: str) -> str:
    """A code the account's authenticator would show now that the portal has not yet accepted (each code works
    once): the current time step's, else the next one's (the portal accepts one step either side)."""
    from sqlalchemy import select

    from portal.auth import two_factor
    from portal.auth.models import User

    db.session.expire_all()
    user = db.session.execute(select(User).where(User.email == email)).scalar_one()
    now, last = two_factor.current_step(), user.two_factor_last_step or 0
    step = next((s for s in (now, now + 1) if s > last), None)
    assert step is not None, f"{email} signed in with a code three times in 30 seconds: no unused code is left"
    return two_factor.code_at(user.two_factor_secret, step)


@pytest.fixture
def make_admin(app):
    """An awarding-body account holding `roles` (all roles by default)."""
    from portal.auth.models import Role

    def make(*roles: str, email: str | None = None):
        roles = roles or tuple(r.value for r in Role)
        return make_awarding_body_user(email=email or f"ab{next(_serial)}@awarding-body.example", roles=roles)

    return make


@pytest.fixture
def make_staff(app):
    """An account at `centre` with `status` (active with a password by default)."""
    from portal.auth.models import AccountStatus, User
    from portal.auth.passwords import hash_password

    def make(centre, *, status: str = "active", name: str | None = None, email: str | None = None):
        n = next(_serial)
        user = User(centre_id=centre.id, name=name or f"Staff {n}", email=email or f"staff{n}@example.org",
                    status=AccountStatus(status),
                    password_hash=hash_password(PASSWORD) if status == "active" else None)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def quality_contact_of(centre):
    from tenants.staff.services import quality_contact

    return quality_contact(centre)


@pytest.fixture
def centre(make_centre):
    return make_centre("Northgate Training")


@pytest.fixture
def other_centre(make_centre):
    return make_centre("Southside Skills")


class Auth:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def sign_in(self, user_or_email, password: str = PASSWORD):
        """Sign in; an account enrolled in two-factor sign-in also answers the second step with a fresh code."""
        email = getattr(user_or_email, "email", user_or_email)
        response = self.client.post("/sign-in", data={"email": email, "password": password})
        if response.status_code == 303 and response.location == "/sign-in/code":
            response = self.client.post("/sign-in/code", data={"code": second_factor_code(email)})
        return response

    def refused_sign_in(self, user_or_email, password: str = PASSWORD):
        """Sign in and expect the refusal (one message for every reason, so it tells nobody which)."""
        response = self.sign_in(user_or_email, password)
        assert response.status_code == 422
        assert "We could not sign you in with that email address and password." in response.get_data(as_text=True)
        return response

    def sign_out(self):
        return self.client.post("/sign-out")


@pytest.fixture
def auth(client):
    return Auth(client)


# --- time --------------------------------------------------------------------------------------------------

class MovingClock:
    """The time some modules read (`utcnow`), moved on by the test: `clock.move(minutes=31)`."""

    def __init__(self) -> None:
        from portal.db import utcnow

        self.now = utcnow()

    def move(self, **delta) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


def moving_clock(monkeypatch, *modules) -> MovingClock:
    """A MovingClock that each of `modules` reads as its `utcnow`."""
    clock = MovingClock()
    for module in modules:
        monkeypatch.setattr(module, "utcnow", lambda: clock.now)
    return clock


# --- query counting --------------------------------------------------------------------------------------

@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries: ...` then `len(queries)` is the number of SQL statements run."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
