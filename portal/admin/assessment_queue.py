"""The awarding body's assessment queues (quality check, marking, release) and the clocks they show (SPEC §6.3).

Clocks come from the upload (qc_due: 5 working days, sla_due: 25, in the centre's nation); the queue pages
highlight rows that are overdue or due by the end of the next working day, like the complaint queues.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, lazyload

from portal.admin import sampling
from portal.auth.models import User
from portal.clocks import Clock, clock_state, due_soon_limit
from portal.extensions import db
from portal.tenancy import in_centre
from portal.workdays import Nation
from tenants.models import Centre
from tenants.submissions.models import Submission, SubmissionStatus


@dataclass(frozen=True)
class Queue:
    """One of the awarding body's queues: the submissions in `status`, most urgent `clock` first."""

    name: str
    title: str
    status: SubmissionStatus
    clock: str  # the column whose deadline the queue is ordered and filtered by


QUEUES = {
    "quality": Queue("quality", "Quality check", SubmissionStatus.AWAITING_QC, "qc_due"),
    "marking": Queue("marking", "Marking", SubmissionStatus.MARKING, "sla_due"),
    "release": Queue("release", "Sampling and release", SubmissionStatus.MARKED, "sla_due"),
}
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    due: str = ""  # "", "overdue", "soon"
    assessor: str = ""  # "", "me", "none" or a user id
    sampling: str = ""  # "", "to_sample", "issues", "releasable" (portal/admin/sampling.py)
    page: int = 1


STOPPED = (SubmissionStatus.REJECTED, SubmissionStatus.WITHDRAWN, SubmissionStatus.HELD)


def submission_clocks(submission: Submission, nation: Nation, now: datetime) -> list[Clock]:
    """The quality-check clock (met by the decision) and the result clock (met by release)."""
    clocks = []
    for label, due, met_at in (("Quality check", submission.qc_due, submission.qc_decided_at),
                               ("Result", submission.sla_due, submission.released_at)):
        if due is None:
            continue
        stopped = met_at is None and submission.status in STOPPED
        state = "stopped" if stopped else clock_state(due, met_at, now, due_soon_limit(now, nation))
        clocks.append(Clock(label, due, met_at, state))
    return clocks


def _by_nation(now: datetime, condition):
    return or_(*(and_(Centre.nation == nation, condition(due_soon_limit(now, nation))) for nation in Nation))


def assessment_queue(queue: Queue, filters: QueueFilters, *, user_id: int, now: datetime):
    """([(submission, centre, assessor or None)], total) for one queue page: two statements whatever its size."""
    count, page = assessment_queue_statements(queue, filters, user_id=user_id, now=now)
    total = db.session.execute(count).scalar_one()
    return [tuple(row) for row in db.session.execute(page).all()], total


def assessment_queue_statements(queue: Queue, filters: QueueFilters, *, user_id: int, now: datetime):
    """(the count, the page) of one queue under `filters`, not yet run."""
    statement = queue_statement(queue, filters, user_id=user_id, now=now)
    clock = getattr(Submission, queue.clock)
    count = statement.with_only_columns(func.count(Submission.id)).order_by(None)
    page = max(filters.page, 1)
    return count, (statement.options(lazyload(Submission.files))
                   # The order of the queue's index (migration 0010_perfpages): no clock last, as before.
                   .order_by(clock.asc().nulls_last(), Submission.uploaded_at, Submission.id)
                   .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))


def queue_statement(queue: Queue, filters: QueueFilters, *, user_id: int, now: datetime):
    """The SELECT of one queue's (submission, centre, assessor) rows for `filters`, unordered: the queue pages
    through it, the awarding body's overview counts it — one meaning of "due soon" and "overdue"."""
    assessor = aliased(User)
    clock = getattr(Submission, queue.clock)
    statement = (select(Submission, Centre, assessor)
                 .join(Centre, in_centre(Submission, Centre))
                 .outerjoin(assessor, assessor.id == Submission.assessor_id)
                 .where(Submission.status == queue.status, Submission.is_current.is_(True)))
    if filters.due == "overdue":
        statement = statement.where(clock.is_not(None), clock < now)
    elif filters.due == "soon":
        statement = statement.where(clock.is_not(None), clock >= now, _by_nation(now, lambda limit: clock <= limit))
    if filters.assessor == "me":
        statement = statement.where(Submission.assessor_id == user_id)
    elif filters.assessor == "none":
        statement = statement.where(Submission.assessor_id.is_(None))
    elif filters.assessor.isdigit():
        statement = statement.where(Submission.assessor_id == int(filters.assessor))
    if filters.sampling == "to_sample":
        statement = statement.where(sampling.waiting_for_sample())
    elif filters.sampling == "issues":
        statement = statement.where(sampling.waiting_for_mitigation())
    elif filters.sampling == "releasable":
        statement = statement.where(sampling.releasable())
    return statement
