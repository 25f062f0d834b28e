"""Reading cases for the centre's queue and case page: a fixed number of queries whatever the data size."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from portal import clocks
from portal.extensions import db
from portal.tenancy import scoped_select
from portal.workdays import Nation
from tenants.complaints.models import Audience, Complaint, ComplaintStage, ComplaintUpdate, Route, Status

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    status: str = "active"
    due: str = ""  # "overdue", "soon" (the response), "unacknowledged", "acknowledge_overdue"
    category: str = ""
    assigned: str = ""
    stage: int | None = None  # the current stage's number (1 = the policy's first)
    page: int = 1


def centre_queue_statement(filters: QueueFilters, *, user_id: int, now: datetime, nation: Nation):
    """The SELECT of the queue's cases for `filters` (unordered): the queue pages through it, the overview counts
    it — so "due soon" and "overdue" mean the same on both (portal.clocks)."""
    stage = aliased(ComplaintStage)
    # The current stage by the position stored on the case (no correlated MAX per case).
    latest = Complaint.stage_position
    statement = (scoped_select(Complaint).join(stage, and_(stage.complaint_id == Complaint.id,
                                                           stage.position == latest), isouter=True)
                 .where(Complaint.route == Route.CENTRE))
    status = filters.status
    if status == "active":
        statement = statement.where(Complaint.status.in_((Status.OPEN, Status.AWAITING_LEARNER)),
                                    Complaint.escalated_at.is_(None))
    elif status == "escalated":
        statement = statement.where(Complaint.escalated_at.is_not(None))
    elif status in {s.value for s in Status}:
        statement = statement.where(Complaint.status == status)
    if filters.category:
        statement = statement.where(Complaint.category == filters.category)
    due = func.coalesce(stage.extended_due, stage.respond_due)
    open_stage = and_(stage.closed_at.is_(None), Complaint.status == Status.OPEN)
    if filters.due == "overdue":
        statement = statement.where(open_stage, due < now)
    elif filters.due == "soon":
        statement = statement.where(open_stage, due >= now, due <= clocks.due_soon_limit(now, nation))
    elif filters.due in ("unacknowledged", "acknowledge_overdue"):
        statement = statement.where(open_stage, stage.acknowledge_due.is_not(None), stage.acknowledged_at.is_(None))
        if filters.due == "acknowledge_overdue":
            statement = statement.where(stage.acknowledge_due < now)
    if filters.stage is not None:
        statement = statement.where(stage.position == filters.stage)
    if filters.assigned == "me":
        statement = statement.where(stage.assigned_to_id == user_id)
    elif filters.assigned == "none":
        statement = statement.where(stage.assigned_to_id.is_(None))
    return statement


def centre_queue(filters: QueueFilters, *, user_id: int, now: datetime, nation: Nation):
    """The current centre's learner-route cases with their current stage, newest first. Returns (rows, total)."""
    statement = centre_queue_statement(filters, user_id=user_id, now=now, nation=nation)
    total = db.session.execute(statement.with_only_columns(func.count(Complaint.id)).order_by(None)).scalar_one()
    page = max(filters.page, 1)
    rows = db.session.execute(statement.order_by(Complaint.received_at.desc(), Complaint.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()
    return rows, total


def clock_state(stage: ComplaintStage | None, now: datetime, nation: Nation) -> str:
    """'overdue', 'due-soon' or '' for an open stage's deadline (for highlighting)."""
    if stage is None or stage.closed_at is not None:
        return ""
    state = clocks.clock_state(stage.due, None, now, clocks.due_soon_limit(now, nation))
    return state if state in ("overdue", "due-soon") else ""


def history(complaint: Complaint, audiences: tuple[Audience, ...], *, centre_level_only: bool = False
            ) -> list[ComplaintUpdate]:
    """The case's history entries meant for `audiences`, oldest first.

    The centre sees only its own stages' entries: what the learner and the awarding body say after an
    escalation stays between them unless the awarding body contacts the centre.
    """
    statement = (select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint.id,
                                               ComplaintUpdate.audience.in_(audiences))
                 .order_by(ComplaintUpdate.at, ComplaintUpdate.id))
    if centre_level_only:
        centre_stage_ids = [s.id for s in complaint.centre_stages]
        statement = statement.where(ComplaintUpdate.stage_id.in_(centre_stage_ids))
    return list(db.session.execute(statement).scalars())

