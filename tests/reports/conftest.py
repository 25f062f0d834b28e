"""Builders for report tests: complaints with known received times, stages, deadlines and closures.

Cases are written straight to the tables (the services always stamp "now"), with the same shape the
services give them: stage positions across levels, centre stages first, the centre's id on every row.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

import pytest
from flask import g

from portal.auth.models import Role
from portal.extensions import db
from portal.tenancy import serve_centre
from portal.workdays import Nation
from tenants.complaints.models import (
    Category,
    Complaint,
    ComplaintStage,
    Exhausted,
    Kind,
    Level,
    Route,
    Status,
    Subject,
)
from tenants.complaints.report_period import Month, Period
from tenants.complaints.stages import AWARDING_BODY_STAGES
from tests.complaints.conftest import (  # noqa: F401 - fixtures shared with the complaints tests
    MODEL_STAGES,
    complain,
    make_policy_centre,
    policy_centre,
)

_numbers = count(1)
NOW = datetime(2026, 5, 15, 12, tzinfo=UTC)
PERIOD = Period(Month(2026, 1), Month(2026, 4))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass(frozen=True)
class Stage:
    """A stage to build: its level, deadline in force (due, or an agreed extension) and when it closed."""

    level: Level
    due: datetime
    closed: datetime | None = None
    extended: datetime | None = None
    opened: datetime | None = None
    name: str | None = None


def centre_stage(due, closed=None, **more) -> Stage:
    return Stage(Level.CENTRE, due, closed, **more)


def body_stage(due, closed=None, **more) -> Stage:
    return Stage(Level.AWARDING_BODY, due, closed, **more)


def build_case(centre, *, received: datetime, category: Category = Category.OTHER, stages=(),
               status: Status = Status.OPEN, escalated: datetime | None = None,
               exhausted: Exhausted | None = None, kind: Kind = Kind.COMPLAINT, route: Route = Route.CENTRE,
               subject: Subject = Subject.CENTRE) -> Complaint:
    """One case, committed. `centre` may be None (a direct complaint about no centre)."""
    number = next(_numbers)
    centre_id = centre.id if centre is not None else None
    prefix = {Kind.COMPLAINT: "D" if route is Route.DIRECT else "C", Kind.MALPRACTICE: "M",
              Kind.RESULT_DISPUTE: "R"}[kind]
    complaint = Complaint(
        centre_id=centre_id, number=number, reference=f"{prefix}-T{number:06d}", route=route, kind=kind,
        status=Status.REFERRED if kind is not Kind.COMPLAINT else status, complainant_name=f"Learner {number}",
        complainant_email=f"learner{number}@example.org", summary="What went wrong.", subject=subject,
        category=category, received_at=received, escalated_at=escalated, exhausted_reason=exhausted,
        closed_at=received if kind is not Kind.COMPLAINT else None)
    names = {Level.CENTRE: [s["name"] for s in MODEL_STAGES],
             Level.AWARDING_BODY: [s.name for s in AWARDING_BODY_STAGES[route]]}
    seen = {Level.CENTRE: 0, Level.AWARDING_BODY: 0}
    for position, spec in enumerate(stages, start=1):
        ordinal = seen[spec.level]
        seen[spec.level] += 1
        complaint.stages.append(ComplaintStage(
            centre_id=centre_id, position=position, level=spec.level, name=spec.name or names[spec.level][ordinal],
            handler="Handler", role=Role.CUSTOMER_SERVICE if spec.level is Level.AWARDING_BODY else None,
            target_days=8, opened_at=spec.opened or received, respond_due=spec.due, extended_due=spec.extended,
            closed_at=spec.closed))
    if status is Status.RESOLVED:
        complaint.closed_at = max([s.closed for s in stages if s.closed] + [received])
    db.session.add(complaint)
    db.session.commit()
    return complaint


@contextlib.contextmanager
def serving(app, centre):
    """Inside a request for `centre`'s pages, as tenants.context.load_centre leaves it."""
    with app.test_request_context(f"/c/{centre.slug}/reports"):
        g.centre = centre
        serve_centre(centre.id)
        try:
            yield
        finally:
            g.pop("tenant_centre_id", None)
            g.pop("centre", None)
            db.session.rollback()


@pytest.fixture
def known(make_policy_centre):  # noqa: F811 - the fixture imported above
    """A small world whose every figure is worked by hand.

    Now is 15 May 2026; the period is January to April 2026 (London months of receipt).

    Centre A (England), three-stage policy:
      c1  10 Jan  finance          stage 1 closed on time                       resolved          -> within target
      c2   3 Feb  finance          stage 1 closed late, stage 2 on time         resolved          -> late
      c3  20 Feb  website          stage 1 closed after its policy date but before the agreed extension;
                                   waiting for the learner                                        -> on time stage
      c4  31 Mar 23:30 UTC (April in London)  certificate late  stage 1 open, past its deadline   -> overdue now
      c5   2 Mar  process          stage 1 ended late by an escalation (deadline missed), awarding body stage 2
                                   closed on time, resolved                     -> late (and, for A, escalated)
      c6  31 Dec 2025 23:30 UTC (December in London): outside the period
      c7   1 Nov 2025  open, stage 1 past its deadline: outside the period, but overdue now
      a malpractice report (5 Feb) and a result dispute (30 Apr): routed elsewhere
    Centre B (Scotland): b1 15 Jan finance resolved on time; b2 2 Apr open and overdue now.
    Direct: d1 5 Mar (no centre) stage one closed on time, resolved; d2 20 Apr from centre B, open and overdue.
    """
    a = make_policy_centre("Northgate Training")
    b = make_policy_centre("Fife College", nation=Nation.SCOTLAND)
    cases = {
        "c1": build_case(a, received=utc(2026, 1, 10, 10), category=Category.FINANCE, status=Status.RESOLVED,
                         stages=[centre_stage(utc(2026, 1, 22, 23, 59, 59), utc(2026, 1, 20, 9))]),
        "c2": build_case(a, received=utc(2026, 2, 3, 9), category=Category.FINANCE, status=Status.RESOLVED,
                         stages=[centre_stage(utc(2026, 2, 13, 23, 59, 59), utc(2026, 2, 16, 9)),
                                 centre_stage(utc(2026, 2, 20, 23, 59, 59), utc(2026, 2, 19, 9))]),
        "c3": build_case(a, received=utc(2026, 2, 20, 9), category=Category.WEBSITE, status=Status.AWAITING_LEARNER,
                         stages=[centre_stage(utc(2026, 3, 4, 23, 59, 59), utc(2026, 3, 10, 9),
                                              extended=utc(2026, 3, 11, 23, 59, 59))]),
        "c4": build_case(a, received=utc(2026, 3, 31, 23, 30), category=Category.CERTIFICATE_LATE,
                         stages=[centre_stage(utc(2026, 4, 14, 22, 59, 59))]),
        "c5": build_case(a, received=utc(2026, 3, 2, 9), category=Category.PROCESS_NOT_FOLLOWED,
                         status=Status.RESOLVED, escalated=utc(2026, 3, 13, 9), exhausted=Exhausted.DEADLINE_MISSED,
                         stages=[centre_stage(utc(2026, 3, 12, 23, 59, 59), utc(2026, 3, 13, 9)),
                                 body_stage(utc(2026, 3, 25, 23, 59, 59), utc(2026, 3, 20, 9))]),
        "c6": build_case(a, received=utc(2025, 12, 31, 23, 30), status=Status.RESOLVED,
                         stages=[centre_stage(utc(2026, 1, 13, 23, 59, 59), utc(2026, 1, 5, 9))]),
        "c7": build_case(a, received=utc(2025, 11, 1, 9), stages=[centre_stage(utc(2025, 11, 13, 23, 59, 59))]),
        "m1": build_case(a, received=utc(2026, 2, 5, 9), kind=Kind.MALPRACTICE),
        "r1": build_case(a, received=utc(2026, 4, 30, 9), kind=Kind.RESULT_DISPUTE),
        "b1": build_case(b, received=utc(2026, 1, 15, 9), category=Category.FINANCE, status=Status.RESOLVED,
                         stages=[centre_stage(utc(2026, 1, 27, 23, 59, 59), utc(2026, 1, 26, 9))]),
        "b2": build_case(b, received=utc(2026, 4, 2, 9), stages=[centre_stage(utc(2026, 4, 16, 22, 59, 59))]),
        "d1": build_case(None, received=utc(2026, 3, 5, 9), route=Route.DIRECT, status=Status.RESOLVED,
                         stages=[body_stage(utc(2026, 3, 17, 23, 59, 59), utc(2026, 3, 16, 9))]),
        "d2": build_case(b, received=utc(2026, 4, 20, 9), route=Route.DIRECT,
                         stages=[body_stage(utc(2026, 5, 1, 22, 59, 59))]),
    }
    return a, b, cases
