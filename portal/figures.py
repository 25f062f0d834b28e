"""Dashboard figures: a number that links to the list it counts, and many figures read in one statement.

A dashboard figure is always the size of a list the person can open: each figure counts the very statement its
list pages through (the list's own filter function builds both), so the figure and the list never disagree, and
a rule such as "due soon" stays in the one service that defines it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select

from portal.extensions import db


@dataclass(frozen=True)
class Figure:
    """One figure: what it counts, how many, the filtered list it opens, and how urgent it is."""

    label: str
    count: int
    url: str
    # The highlight, only when count > 0: "overdue", "due-soon" (portal.clocks), "action" (waits for this person)
    state: str = ""
    detail: str = ""  # one more fact, e.g. the next due date

    @property
    def highlight(self) -> str:
        return self.state if self.count else ""


@dataclass(frozen=True)
class FigureTable:
    """Figures by two dimensions (a complaint stage by its clock state): one row of figures per `rows` label,
    one figure per column."""

    caption: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[Figure]]]


def count_of(statement: Select, column) -> Select:
    """The number of rows `statement` would list (`column`: the listed row's id, which keeps its table in FROM)."""
    return statement.with_only_columns(func.count(column)).order_by(None).limit(None).offset(None)


def first_of(statement: Select, column) -> Select:
    """The smallest `column` (the next due date, say) among the rows `statement` would list."""
    return statement.with_only_columns(func.min(column)).order_by(None).limit(None).offset(None)


def read_at_once(**statements: Select) -> dict:
    """Each one-column, one-row statement's value, in ONE round trip (one SELECT of scalar subqueries).

    The tenant safety net (portal.tenancy) still applies: its criteria reach into the subqueries.
    """
    if not statements:
        return {}
    row = db.session.execute(select(*(statement.scalar_subquery().label(name)
                                      for name, statement in statements.items()))).one()
    return dict(row._mapping)


def moment(value: str) -> datetime:
    """`type=` for a moment in a figure's link (`?released_after=...`, ISO 8601 with its offset): an aware UTC
    datetime, else (ValueError) the argument's default."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed.astimezone(UTC)
