"""THE tenant-scoping mechanism: every centre-owned row is reached through it.

Five parts, after redash's `BelongsToOrgMixin` + `get_by_id_and_org`:

1. `CentreOwned`, a mixin that gives a table its `centre_id`;
2. `get_or_404(Model, id)` (and `scoped_select`) — the main path of a centre's pages: the row must belong to
   the current centre, or the answer is 404 whatever the reason;
3. the explicit forms for services, which are called from a centre's pages, from the awarding body's pages
   (where no centre is current and the safety net is off) and from jobs: `for_centre(Model, centre)`,
   `get_for_centre(Model, centre, id)`, the conditions `in_centre`, `in_any_centre` and `of_awarding_body`
   (for joins and aggregates) and `belongs_to(row, centre)`. No other module compares `centre_id` by hand
   (tests/test_layers.py holds that);
4. a safety net on the session: while a centre is current (`/c/<slug>/...` requests), every ORM SELECT is
   filtered with `with_loader_criteria` (rows of `CentreOwnedOptional` tables with no centre — awarding-body
   staff, say — stay visible: they belong to no other centre), and a flush refuses to write a row of
   another centre (new rows get the current centre).

The safety net does not see explicit join ON clauses, `has()/any()`, unions or Core statements, so
views use the helpers, and a test walks every tenant route as another centre's member.

5. behind all of it, on PostgreSQL, row-level security (migration 0010_rls, docs/row-level-security.md): each
   transaction tells the database whose work it is — `portal.centre_id` (a centre's pages: `serve_centre`, called
   where the centre of the URL is found) or `portal.all_centres` (the awarding body's and the system's work:
   `for_all_centres`, declared by the awarding body's blueprints, every job and every command) — and the
   database shows no other centre's row whatever the query. Work that declares neither sees no centre's row at
   all. One statement inside a centre's pages may read across centres with the `ALL_CENTRES` execution option,
   which lifts both walls for that statement only.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol, TypeVar

from flask import abort, g, has_app_context
from sqlalchemy import Engine, ForeignKey, event, inspect, or_, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria
from sqlalchemy.sql.elements import BindParameter

from portal.extensions import db

ALL_CENTRES = "all_centres"  # execution option: an awarding-body or system read across centres

T = TypeVar("T", bound="CentreOwned")


class Tenant(Protocol):
    """What the platform knows of a centre: its id (the model is `tenants.models.Centre`, a layer above)."""

    id: int


class CentreOwned:
    """Mixin for every table whose rows belong to one centre."""

    @declared_attr
    def centre_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr convention
        return mapped_column(ForeignKey("centre.id", ondelete="RESTRICT"), index=True, nullable=False)


class CentreOwnedOptional:
    """Mixin for tables that hold both centre rows and awarding-body rows (centre_id NULL).

    Inside a centre's pages only that centre's rows are visible; awarding-body rows are not.
    """

    @declared_attr
    def centre_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("centre.id", ondelete="RESTRICT"), index=True, nullable=True)


SCOPED = (CentreOwned, CentreOwnedOptional)


def current_centre_id() -> int | None:
    """The id of the centre whose pages are being served, if any."""
    if not has_app_context():
        return None
    return g.get("tenant_centre_id")


def is_for_all_centres() -> bool:
    """Whether the current work was declared the awarding body's or the system's (see `for_all_centres`)."""
    return has_app_context() and current_centre_id() is None and bool(g.get("tenant_all_centres"))


def serve_centre(centre_id: int) -> None:
    """From now on this request serves `centre_id`'s pages: the safety net filters to it and, on PostgreSQL, the
    database shows only its rows. Called in one place, where the centre of the URL is found
    (`tenants.context.load_centre`)."""
    g.tenant_centre_id = centre_id
    _tell_the_open_transaction()


def for_all_centres() -> None:
    """Declare the current work the awarding body's or the system's: it may read and write every centre's rows.

    Declared explicitly by each kind of such work — the awarding body's, the public's and the sign-in pages
    (`create_app`), jobs (`jobs.job`), Flask commands (`portal.cli`), migrations (migrations/env.py) — never
    assumed: work that declares nothing sees no centre's row on PostgreSQL. A centre's pages, once their centre
    is current, stay that centre's whatever this says. Outside an app context there is no database to tell."""
    if not has_app_context():
        return
    g.tenant_all_centres = True
    _tell_the_open_transaction()


@contextlib.contextmanager
def working_for_all_centres() -> Iterator[None]:
    """Run a block as the awarding body's or the system's work (a job run inline inside a centre's request, say),
    then give the request back its own scope. What the block added to the session is written before the scope goes
    back: left to a flush at the commit, it would be written as the centre's work, and refused."""
    saved = g.get("tenant_centre_id"), g.get("tenant_all_centres")
    g.pop("tenant_centre_id", None)
    g.tenant_all_centres = True
    _tell_the_open_transaction()
    try:
        yield
        db.session.flush()
    finally:
        g.tenant_centre_id, g.tenant_all_centres = saved
        if saved[0] is None:
            g.pop("tenant_centre_id")
        _tell_the_open_transaction()


def scoped_select(model: type[T]):
    """A SELECT of `model` limited to the current centre (explicitly, not only by the safety net)."""
    centre_id = current_centre_id()
    if centre_id is None:
        raise RuntimeError(f"scoped_select({model.__name__}) outside a centre's pages")
    return for_centre(model, centre_id)


def _centre_id(centre: Tenant | int | BindParameter) -> int | BindParameter:
    if isinstance(centre, BindParameter):  # a statement built once and run for many centres, each named at execute
        return centre
    centre_id = centre if isinstance(centre, int) else centre.id
    if centre_id is None:
        raise ValueError("a centre without an id scopes nothing")
    return centre_id


def in_centre(model, centre: Tenant | int | BindParameter):
    """The condition "this row of `model` (a class or an alias) belongs to `centre`", for filters and aggregates;
    with the `Centre` entity (or an alias of it) as `centre`, the condition that joins a row to its centre."""
    return model.centre_id == _centre_id(centre)


def in_any_centre(model, centres):
    """The condition "this row belongs to one of `centres`" (ids, or a SELECT of centre ids)."""
    return model.centre_id.in_(centres)


def of_awarding_body(model):
    """The condition "this row belongs to no centre": awarding-body staff, direct-route complaints."""
    return model.centre_id.is_(None)


def for_centre(model: type[T], centre: Tenant | int):
    """A SELECT of `model` limited to `centre`, wherever it is called from (a centre's page, the awarding
    body's, a job)."""
    return select(model).where(in_centre(model, centre))


def get_for_centre(model: type[T], centre: Tenant | int, ident: int) -> T | None:
    """`centre`'s row of `model` with this id, or None — never another centre's row."""
    return db.session.execute(for_centre(model, centre).where(model.id == ident)).scalar_one_or_none()


def belongs_to(row, centre: Tenant | int | None) -> bool:
    """Whether a loaded row belongs to `centre` (False for a row of no centre, or no centre given)."""
    if centre is None or row is None:
        return False
    return row.centre_id is not None and row.centre_id == _centre_id(centre)


def get_or_404(model: type[T], ident: int) -> T:
    """The current centre's row with this id, or 404 — never another centre's row, never a hint."""
    row = db.session.execute(scoped_select(model).where(model.id == ident)).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


class RowLevelSecurityBypassed(RuntimeError):
    """The portal was about to connect to PostgreSQL as a role that row-level security does not hold."""


def refuse_roles_that_bypass_row_level_security(engine) -> None:
    """Every new connection of `engine` checks its role: a superuser or a BYPASSRLS role would see every centre's
    rows whatever the policies, so the connection is refused with the reason (docs/row-level-security.md).
    Only PostgreSQL has roles; an engine is given the check once, however many apps share it."""
    if engine.dialect.name == "postgresql" and not event.contains(engine, "connect", _refuse_a_role_that_bypasses):
        event.listen(engine, "connect", _refuse_a_role_that_bypasses)


def _refuse_a_role_that_bypasses(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        role, superuser, bypassrls = cursor.fetchone()
    finally:
        cursor.close()
        dbapi_connection.rollback()
    if superuser or bypassrls:
        dbapi_connection.close()
        raise RowLevelSecurityBypassed(
            f"DATABASE_URL connects as {role}, a {'superuser' if superuser else 'BYPASSRLS role'}: row-level "
            "security would not keep centres apart. Connect as the portal's own role and run migrations with "
            "MIGRATION_DATABASE_URL (docs/row-level-security.md).")


class CrossCentreWrite(RuntimeError):
    """Code tried to write a row of another centre while serving this centre."""


@event.listens_for(Session, "do_orm_execute")
def _filter_reads(state):
    if state.execution_options.get(ALL_CENTRES):
        return _lift_for_one_statement(state)
    centre_id = current_centre_id()
    if centre_id is None or not state.is_select:
        return None
    state.statement = state.statement.options(
        with_loader_criteria(CentreOwned, lambda cls: cls.centre_id == centre_id, include_aliases=True),
        # Awarding-body rows (NULL) are not another centre's: an audit event by ILM staff keeps its actor.
        with_loader_criteria(CentreOwnedOptional,
                             lambda cls: or_(cls.centre_id == centre_id, cls.centre_id.is_(None)),
                             include_aliases=True),
    )
    return None


@event.listens_for(Session, "before_flush")
def _guard_writes(session, flush_context, instances) -> None:
    centre_id = current_centre_id()
    if centre_id is None:
        return
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, SCOPED):
            continue
        if obj in session.new:
            if obj.centre_id is None and isinstance(obj, CentreOwned):
                obj.centre_id = centre_id
            elif obj.centre_id is None and not getattr(obj, "may_be_recorded_without_centre", False):
                # A centre's pages never create awarding-body rows (accounts, cases) — only, say, audit events.
                raise CrossCentreWrite(f"new {type(obj).__name__} without a centre in centre {centre_id}")
        elif inspect(obj).attrs.centre_id.history.has_changes():
            # Moving a row between centres (another's into this one, or this one's out to none) is never a
            # centre's own business: checking only the new value would let another centre's row be pulled in.
            raise CrossCentreWrite(f"{type(obj).__name__} moved between centres in centre {centre_id}")
        if obj.centre_id is not None and obj.centre_id != centre_id:
            raise CrossCentreWrite(f"{type(obj).__name__} of centre {obj.centre_id} in centre {centre_id}")


# --- row-level security (PostgreSQL): the settings every transaction starts with --------------------------------

def _database_scope() -> tuple[str, str]:
    """The values of portal.centre_id and portal.all_centres for the current work ('' and 'off': nothing)."""
    centre_id = current_centre_id()
    if centre_id is not None:
        return str(centre_id), "off"
    return "", "on" if is_for_all_centres() else "off"


def _set_scope(dbapi_connection, centre_id: str, all_centres: str) -> None:
    # Straight on the driver's connection: inside the `begin` event SQLAlchemy's own execute would begin again;
    # and the setting is part of starting a transaction, not one of the page's statements (count_queries).
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT set_config('portal.centre_id', %s, true), set_config('portal.all_centres', %s, true)",
                       (centre_id, all_centres))
    finally:
        cursor.close()


@event.listens_for(Engine, "begin")
def _scope_each_transaction(connection) -> None:
    """Every transaction on PostgreSQL starts with the current work's scope (SET LOCAL: it ends with the
    transaction, so a pooled connection never carries one request's centre into the next; a session that
    commits mid-request starts its next transaction with the scope again)."""
    if connection.dialect.name == "postgresql":
        _set_scope(connection.connection.dbapi_connection, *_database_scope())


def _tell_the_open_transaction() -> None:
    """The scope changed while the session may hold a transaction (the centre's lookup by slug opened it): tell it."""
    session = db.session()
    if not session.in_transaction():
        return  # the next transaction's `begin` sets it
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _set_scope(connection.connection.dbapi_connection, *_database_scope())


def _lift_for_one_statement(state):
    """An `ALL_CENTRES` statement inside scoped work: portal.all_centres is on for it alone."""
    connection = state.session.connection()
    if connection.dialect.name != "postgresql" or is_for_all_centres():
        return None
    raw = connection.connection.dbapi_connection
    centre_id, _ = _database_scope()
    _set_scope(raw, centre_id, "on")
    result = state.invoke_statement()  # psycopg has every row in hand once the statement returns
    _set_scope(raw, centre_id, "off")  # not reached on an error: the failed transaction is rolled back anyway
    return result
