"""Keeping complaint records for the retention period (COMPLAINT_RETENTION_YEARS, default 3) and no longer.

A case's clock starts when it closes (resolved, or recorded and referred elsewhere); open cases are kept.
The purge removes the case with its stages, history, links and notification records; the audit log keeps
its one-line events (reference only), which is what an auditor needs to see that a case existed.

The same rule decides what a learner's erasure request may do to a case (tenants/learner_data): an open case is
still being handled for them and is kept whole; a closed one is anonymised at once (`anonymise`) instead of
waiting for the purge, keeping what the reports count (centre, dates, category, stages and their clocks).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from portal import audit
from portal.extensions import db
from portal.mail import EmailStatus, OutboundEmail
from portal.tenancy import ALL_CENTRES
from tenants.complaints.models import Complaint, ComplaintNotice, ComplaintStage, ComplaintUpdate, TrackingLink

ERASED = "[erased]"


def closed():
    """THE rule for a case: it is closed once it has `closed_at` — its retention clock runs from then, and its
    complainant's personal data may be erased on request. Until then it is still being handled."""
    return Complaint.closed_at.is_not(None)


def is_closed(complaint: Complaint) -> bool:
    """`closed()` for a loaded case."""
    return complaint.closed_at is not None


def retention_cutoff(now: datetime) -> datetime:
    """Cases closed before this moment are past the retention period."""
    years = current_app.config["COMPLAINT_RETENTION_YEARS"]
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def expired_cases(now: datetime) -> list[tuple[int, str, int | None]]:
    """(id, reference, centre_id) of every case past the retention period."""
    statement = (select(Complaint.id, Complaint.reference, Complaint.centre_id)
                 .where(closed(), Complaint.closed_at < retention_cutoff(now))
                 # Retention is a system job over every centre's closed cases.
                 .execution_options(**{ALL_CENTRES: True}))
    return [tuple(row) for row in db.session.execute(statement)]


def purge_expired(now: datetime) -> list[str]:
    """Delete every case past the retention period, children first. Returns the references removed."""
    cases = expired_cases(now)
    ids = [case_id for case_id, _, _ in cases]
    if not ids:
        return []
    for child in (ComplaintNotice, TrackingLink, ComplaintUpdate, ComplaintStage):
        db.session.execute(delete(child).where(child.complaint_id.in_(ids)).execution_options(
            synchronize_session=False))
    db.session.execute(delete(Complaint).where(Complaint.id.in_(ids)).execution_options(synchronize_session=False))
    for _, reference, centre_id in cases:
        audit.record("complaint_purged", centre_id=centre_id, subject=reference,
                     detail=f"retention period of {current_app.config['COMPLAINT_RETENTION_YEARS']} years ended")
    return [reference for _, reference, _ in cases]


def anonymise(complaint: Complaint, redact: Callable[[str], str]) -> None:
    """Remove the complainant's personal data from a closed case (an erasure request, UK GDPR Article 17).

    Erased: their name, email and ENR, everything they wrote (what it is about, key dates, what they did, the
    outcome they want), their private links, and the emails sent to them (the outbox keeps that a message went,
    not what it said). Redacted with `redact` (their names, email and ENR replaced): the staff's outcomes,
    updates, notes and extension reasons. Kept: the reference, centre, route, kind, category, subject, dates and
    every stage's clocks — what the complaint reports count — so the figures do not change.
    """
    if not is_closed(complaint):
        raise ValueError(f"{complaint.reference} is still open")
    address = complaint.complainant_email
    complaint.complainant_name = ERASED
    complaint.complainant_email = ""
    complaint.enrolment_number = ""
    for name in ("summary", "key_dates", "actions_taken", "outcome_wanted"):
        if getattr(complaint, name):
            setattr(complaint, name, ERASED)
    complaint.referral_note = redact(complaint.referral_note)
    for stage in complaint.stages:
        stage.outcome, stage.extension_reason = redact(stage.outcome), redact(stage.extension_reason)
    updates = db.session.execute(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint.id))
    for update in updates.scalars():
        update.body = redact(update.body)
    db.session.execute(delete(TrackingLink).where(TrackingLink.complaint_id == complaint.id)
                       .execution_options(synchronize_session=False))
    notices = db.session.execute(select(ComplaintNotice).where(ComplaintNotice.complaint_id == complaint.id,
                                                               ComplaintNotice.recipient == address)).scalars().all()
    for notice in notices:
        notice.recipient = ERASED
        if notice.email_id is not None:
            erase_email(db.session.get(OutboundEmail, notice.email_id))


def erase_email(message: OutboundEmail | None) -> None:
    """An outbox message to a person whose data is erased: it keeps that it existed, not whom or what. One still
    waiting to go is not sent."""
    if message is None:
        return
    message.to, message.subject, message.body = ERASED, ERASED, ERASED
    if message.status is EmailStatus.QUEUED:
        message.status, message.last_error = EmailStatus.FAILED, "not sent: the recipient's data was erased"
