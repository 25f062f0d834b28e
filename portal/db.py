"""Shared column types and the commit helper every route and job uses.

`commit()` is the one place a unit of work ends: it commits, then hands the background jobs that the
transaction asked for to the queue (or runs them inline when there is no Redis). Jobs are therefore
never started for work that rolled back.
"""
from __future__ import annotations

import contextlib
import enum
import logging
import sqlite3
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, Enum, Index, TypeDecorator, event, exc, text

from portal.extensions import db


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index (or unique constraint) of the rows matching `where`, a SQL condition: the same on PostgreSQL and
    SQLite."""
    return Index(name, *columns, unique=unique, postgresql_where=text(where), sqlite_where=text(where))


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite forgets the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by value as VARCHAR with a CHECK constraint: the same schema on SQLite and PostgreSQL."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda e: [m.value for m in e])


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def close_session_even_if_the_database_went_away(error=None) -> None:
    """End the request's session. A connection that died under it (PostgreSQL restarted, the connection
    terminated) cannot even roll back: drop it instead of turning an answer already made into a crash."""
    try:
        db.session.remove()
    except exc.OperationalError as failure:  # the connection is gone: nothing was left to roll back but it
        logging.getLogger(__name__).warning("database connection lost at the end of a request: dropped (%s)",
                                            type(failure.orig).__name__)
        with contextlib.suppress(exc.DBAPIError):
            db.session.registry().invalidate()
        db.session.registry.clear()


def commit() -> list:
    """Commit the current transaction, then dispatch the jobs it registered.

    Returns the jobs that could not be queued (Redis down): the commit stands, the failure is logged, and the
    job's catch-up (the outbox sweep for email) does the work later. Most callers need not look.
    """
    from portal.background import dispatch_committed

    db.session.commit()
    return dispatch_committed()


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked: ask, so SQLite refuses what PostgreSQL refuses."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
