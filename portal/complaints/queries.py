"""The awarding body's case queue and stage clocks (SPEC §5.3), in a fixed number of queries.

A case is at the awarding body when a learner escalated it from the centre, or when it came direct.
Each awarding-body stage runs up to three clocks: acknowledge (stage 2 / stage one: 2 working days),
first response (24 hours, kept as hours) and the stage's target (extended when agreed). A clock is met by
the event it waits for; the target is met by closing the stage with its outcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager, raiseload

from portal.clocks import Clock, clock_state, due_soon_limit
from portal.extensions import db
from portal.tenancy import in_centre, of_awarding_body
from portal.workdays import Nation
from tenants.complaints.models import Complaint, ComplaintStage, Kind, Route, Status
from tenants.complaints.stages import nation_of
from tenants.models import Centre

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    status: str = "active"
    role: str = ""
    due: str = ""
    assigned: str = ""
    route: str = ""
    page: int = 1


def stage_clocks(stage: ComplaintStage, now: datetime, nation: Nation) -> list[Clock]:
    """The clocks of one awarding-body stage, in the order they fall due."""
    pairs = []
    if stage.acknowledge_due is not None:
        pairs.append(("Acknowledge", stage.acknowledge_due, stage.acknowledged_at))
    if stage.first_response_due is not None:
        pairs.append(("First response (24 hours)", stage.first_response_due, stage.first_response_at))
    target = "Resolve (aim)" if stage.first_response_due is not None else "Respond"
    pairs.append((f"{target}, extended" if stage.extended_due else target, stage.due, stage.closed_at))
    soon = due_soon_limit(now, nation)
    return [Clock(label, due, met_at, clock_state(due, met_at, now, soon)) for label, due, met_at in pairs]


def at_awarding_body():
    """The condition for a case the awarding body handles: escalated by a learner, or direct."""
    return and_(Complaint.kind == Kind.COMPLAINT,
                or_(Complaint.route == Route.DIRECT, Complaint.escalated_at.is_not(None)))


def awarding_body_queue(filters: QueueFilters, *, user_id: int, now: datetime):
    """Cases at the awarding body with their current stage, most urgent first. Returns ([(case, stage)], total).

    Two statements whatever the number of cases: the count and the page (the stages' assignees are joined).
    """
    count, page = awarding_body_queue_statements(filters, user_id=user_id, now=now)
    total = db.session.execute(count).scalar_one()
    rows = [(complaint, current) for complaint, current in db.session.execute(page).all()]
    return rows, total


def awarding_body_queue_statements(filters: QueueFilters, *, user_id: int, now: datetime):
    """(the count, the page) of the awarding body's queue under `filters`, not yet run."""
    statement, stage = queue_statement(filters, user_id=user_id, now=now)
    count = statement.with_only_columns(func.count(Complaint.id)).order_by(None)
    due = func.coalesce(stage.extended_due, stage.respond_due)
    page = max(filters.page, 1)
    return count, (statement.options(contains_eager(Complaint.centre), raiseload(Complaint.stages))
                   .order_by(case((Complaint.status == Status.OPEN, 0), else_=1), due, Complaint.id)
                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))


def queue_statement(filters: QueueFilters, *, user_id: int, now: datetime):
    """(the SELECT of the queue's (case, current stage) rows for `filters`, unordered; the stage's alias): the queue
    pages through it, the awarding body's overview counts it — one meaning of "due soon" and "overdue"."""
    stage = aliased(ComplaintStage)
    # The current stage by the position stored on the case (no correlated MAX per case).
    latest = Complaint.stage_position
    statement = (select(Complaint, stage)
                 .join(stage, and_(stage.complaint_id == Complaint.id, stage.position == latest))
                 .outerjoin(Centre, in_centre(Complaint, Centre))
                 .where(at_awarding_body()))
    return _filtered(statement, stage, filters, user_id=user_id, now=now), stage


def _filtered(statement, stage, filters: QueueFilters, *, user_id: int, now: datetime):
    if filters.status == "active":
        statement = statement.where(Complaint.status.in_((Status.OPEN, Status.AWAITING_LEARNER)))
    elif filters.status in {Status.OPEN.value, Status.AWAITING_LEARNER.value, Status.RESOLVED.value}:
        statement = statement.where(Complaint.status == filters.status)
    if filters.role:
        statement = statement.where(stage.role == filters.role)
    if filters.route in {r.value for r in Route}:
        statement = statement.where(Complaint.route == filters.route)
    if filters.assigned == "me":
        statement = statement.where(stage.assigned_to_id == user_id)
    elif filters.assigned == "none":
        statement = statement.where(stage.assigned_to_id.is_(None))
    if filters.due == "overdue":
        statement = statement.where(_open(stage), _missed(stage, lambda due: due < now))
    elif filters.due == "soon":
        statement = statement.where(_open(stage), not_(_missed(stage, lambda due: due < now)),
                                    _by_nation(now, lambda limit: _missed(stage, lambda due: due <= limit)))
    return statement


def _open(stage):
    return and_(Complaint.status == Status.OPEN, stage.closed_at.is_(None))


def _missed(stage, passed):
    """Some clock of the stage is still waiting and its deadline satisfies `passed`."""
    # Each arm names its deadline as present: a NULL comparison would make the whole test NULL (and NOT NULL too).
    return or_(and_(stage.acknowledge_due.is_not(None), stage.acknowledged_at.is_(None),
                    passed(stage.acknowledge_due)),
               and_(stage.first_response_due.is_not(None), stage.first_response_at.is_(None),
                    passed(stage.first_response_due)),
               passed(func.coalesce(stage.extended_due, stage.respond_due)))


def _by_nation(now: datetime, condition):
    """`condition(limit)` with the due-soon limit of each case's own calendar (England with no centre)."""
    parts = [and_(Centre.nation == nation, condition(due_soon_limit(now, nation))) for nation in Nation]
    parts.append(and_(of_awarding_body(Complaint), condition(due_soon_limit(now, Nation.ENGLAND))))
    return or_(*parts)


def queue_row_clocks(complaint: Complaint, stage: ComplaintStage, now: datetime) -> list[Clock]:
    """The clocks of a queue row's current stage; a closed stage's clocks are all met."""
    return stage_clocks(stage, now, nation_of(complaint))
