"""What the awarding body's own pages list: centres by status, applications, the outbox, the audit log, its
staff. Reads only; each one query, whatever the number of rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import clocks
from portal.audit import AuditEvent, filter_events, on_days, page_of
from portal.auth.models import User
from portal.extensions import db
from portal.forms import LogFilters
from portal.mail import OutboundEmail
from portal.tenancy import in_centre, of_awarding_body
from tenants.models import Centre, CentreStatus

PAGE = 100
PROVISIONED = (CentreStatus.APPROVED, CentreStatus.SUSPENDED, CentreStatus.CLOSED)


def centres_by_status() -> dict[CentreStatus, int]:
    """How many centres (and applications) are in each state."""
    return dict(db.session.execute(select(Centre.status, func.count()).group_by(Centre.status)).all())


def applications(status: CentreStatus | str, *, limit: int | None = PAGE) -> list[Centre]:
    """Applications in one state, oldest first."""
    statement = select(Centre).where(Centre.status == status).order_by(Centre.applied_at, Centre.id).limit(limit)
    return list(db.session.execute(statement).scalars())


DECISION_FILTERS = ("soon", "overdue")  # ?due= on the applications page: the states of portal.clocks


def decision_state(centre: Centre, now: datetime) -> str:
    """The application's 20-working-day decision clock (SPEC §2) as the queues read clocks: "overdue",
    "due-soon" (by the end of the next working day of its nation) or "running"."""
    return clocks.clock_state(centre.decision_due, None, now, clocks.due_soon_limit(now, centre.nation))


def applications_due(due: str, now: datetime, *, limit: int = PAGE) -> list[Centre]:
    """Applications awaiting a decision whose clock is in state `due` ("soon" or "overdue"), oldest first."""
    wanted = "due-soon" if due == "soon" else "overdue"
    return [c for c in applications(CentreStatus.APPLIED, limit=None) if decision_state(c, now) == wanted][:limit]


def provisioned_centres() -> list[Centre]:
    """Every centre with a workspace (approved, suspended or closed), by name."""
    return list(db.session.execute(select(Centre).where(Centre.status.in_(PROVISIONED)).order_by(Centre.name))
                .scalars())


def outbox_page(filters: LogFilters, page: int) -> tuple[list[OutboundEmail], int]:
    """One page of the outbox, newest first, narrowed to `filters` (the person is the recipient, the event the
    status): two statements whatever the number of emails."""
    statement = select(OutboundEmail)
    if filters.person:
        statement = statement.where(OutboundEmail.to.ilike(f"%{filters.person}%"))
    if filters.centre_id is not None:
        statement = statement.where(in_centre(OutboundEmail, filters.centre_id))
    if filters.event:
        statement = statement.where(OutboundEmail.status == filters.event)
    return page_of(on_days(statement, OutboundEmail.created_at, filters), (OutboundEmail.id.desc(),), page, PAGE)


def audit_page(filters: LogFilters, page: int) -> tuple[list[AuditEvent], int]:
    """One page of the audit log across the awarding body and every centre, newest first, narrowed to `filters`:
    two statements whatever the number of events (actor and centre are joined in)."""
    return page_of(filter_events(select(AuditEvent), filters), (AuditEvent.at.desc(), AuditEvent.id.desc()), page,
                   PAGE)


def audit_actions() -> list[str]:
    """Every kind of event the log holds, for the filter (one statement)."""
    return list(db.session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars())


def awarding_body_people() -> list[User]:
    """The awarding body's own staff (no centre), by name."""
    statement = select(User).where(of_awarding_body(User)).options(selectinload(User.role_grants)).order_by(User.name)
    return list(db.session.execute(statement).scalars())
