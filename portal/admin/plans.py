"""What the database does for the paged lists (issue 11 §1): EXPLAIN of the tracker's and the queues' statements.

`query_plans(centre_id)` returns, for each statement, the plan's node types (PostgreSQL: "Limit", "Index Scan
using ix_submission_tracker_uploaded on submission"...; SQLite: EXPLAIN QUERY PLAN's lines). The benchmark prints
them on the scale database; on a small database the planner may rightly prefer a sequential scan.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime

from flask import g
from sqlalchemy import event

from portal.admin.assessment_queue import QUEUES, QueueFilters, assessment_queue_statements
from portal.complaints.queries import QueueFilters as CaseFilters
from portal.complaints.queries import awarding_body_queue_statements
from portal.db import utcnow
from portal.extensions import db
from portal.tenancy import for_all_centres, serve_centre
from tenants.submissions.tracker import SORTS, TrackerFilters, cursor_statement, middle_row, tracker_statements


@contextmanager
def _explaining(connection):
    """Every statement run on `connection` meanwhile is EXPLAINed instead of run (same SQL, same parameters)."""
    prefix = "EXPLAIN (FORMAT JSON) " if connection.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "

    def explain(conn, cursor, statement, parameters, context, executemany):
        return prefix + statement, parameters

    event.listen(connection, "before_cursor_execute", explain, retval=True)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", explain)


def _node_types(plan: dict) -> list[str]:
    """A PostgreSQL plan's nodes, depth first: the node type, with the index and table it reads."""
    node = plan["Node Type"]
    if plan.get("Index Name"):
        node += f" using {plan['Index Name']}"
    if plan.get("Relation Name"):
        node += f" on {plan['Relation Name']}"
    return [node] + [name for child in plan.get("Plans", ()) for name in _node_types(child)]


def plan_of(statement) -> list[str]:
    """The plan of one statement on this database, as node types (outermost first)."""
    connection = db.session.connection()
    with _explaining(connection):
        cursor = connection.execute(statement).cursor
        rows = cursor.fetchall()
    if connection.dialect.name == "postgresql":
        document = rows[0][0]
        plan = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
        return _node_types(plan)
    return [row[-1] for row in rows]  # SQLite: (id, parent, notused, detail)


@contextmanager
def _serving(centre_id: int):
    """As inside the centre's pages (tenants.context.load_centre): its statements, with the safety net on and, on
    PostgreSQL, the open transaction told so (row-level security's settings, which the planner's estimates see)."""
    had, earlier = "tenant_centre_id" in g, g.get("tenant_centre_id")
    serve_centre(centre_id)
    try:
        yield
    finally:
        if had:
            serve_centre(earlier)
        else:
            g.pop("tenant_centre_id", None)
            if g.get("tenant_all_centres"):
                for_all_centres()  # tells the open transaction its scope again


def query_plans(centre_id: int, *, user_id: int = 0, now: datetime | None = None) -> dict[str, list[str]]:
    """EXPLAIN of the tracker's statements (every sort, a deep page, the count; for `centre_id`) and of the
    awarding body's queues' (page and count): {name: the plan's node types}. Needs an app context."""
    now = now or utcnow()
    plans = {}
    with _serving(centre_id):
        for sort in SORTS:
            plans[f"tracker, sort {sort}"] = plan_of(tracker_statements(TrackerFilters(sort=sort))[1])
            # A deep page: the one after the middle row of the centre in this sort (keyset: no OFFSET).
            middle = middle_row(TrackerFilters(sort=sort))
            if middle is not None:
                filters = TrackerFilters(sort=sort, after=middle)
                cursor = db.session.execute(cursor_statement(filters)).first()
                plans[f"tracker, sort {sort}, deep page"] = plan_of(tracker_statements(filters, cursor)[1])
        plans["tracker, count"] = plan_of(tracker_statements(TrackerFilters())[0])
    for name, queue in QUEUES.items():
        count, page = assessment_queue_statements(queue, QueueFilters(), user_id=user_id, now=now)
        plans[f"assessment queue {name}"] = plan_of(page)
        plans[f"assessment queue {name}, count"] = plan_of(count)
    count, page = awarding_body_queue_statements(CaseFilters(), user_id=user_id, now=now)
    plans["complaints queue"] = plan_of(page)
    plans["complaints queue, count"] = plan_of(count)
    return plans
