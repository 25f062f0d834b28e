"""The audit log: who did what, when, at which centre."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ForeignKey, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwnedOptional, in_centre
from portal.workdays import LONDON


class AuditEvent(CentreOwnedOptional, db.Model):
    """One recorded event. Rows are only ever added."""

    __tablename__ = "audit_event"
    may_be_recorded_without_centre = True  # e.g. a sign-in by awarding-body staff, whatever page it comes from

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User", lazy="joined")
    centre = relationship("Centre", lazy="joined")


def record(action: str, *, actor=None, centre_id: int | None = None, subject: str = "", detail: str = "") -> None:
    """Add an audit event to the current transaction (it commits with the change it describes)."""
    db.session.add(AuditEvent(action=action, actor_id=getattr(actor, "id", None), centre_id=centre_id,
                              subject=subject, detail=detail))


# --- reading the log: events as sentences, filters, pages ---------------------------------------------------

# What each event says, as a sentence about its subject ("Result released for O.Hughes-NGT1042(1)"). An action
# missing here reads as its name with the subject after it.
SENTENCES = {
    "centre_applied": "{subject} applied to become a centre", "centre_approved": "Centre {subject} approved",
    "centre_declined": "Application from {subject} declined", "centre_suspended": "Centre {subject} suspended",
    "centre_reinstated": "Centre {subject} reinstated", "centre_closed": "Centre {subject} closed",
    "complaint_received": "Complaint {subject} received", "complaint_acknowledged": "Complaint {subject} acknowledged",
    "complaint_assigned": "Complaint {subject} assigned", "complaint_accepted": "Outcome of {subject} accepted",
    "complaint_centre_contact_announced": "Learner told the centre will be contacted about {subject}",
    "complaint_centre_contacted": "Centre contacted about {subject}",
    "complaint_escalated": "Complaint {subject} escalated to the awarding body",
    "complaint_extended": "Deadline extended for {subject}",
    "complaint_next_stage": "Next stage asked for on {subject}",
    "complaint_purged": "Complaint {subject} removed after the retention period",
    "complaint_stage_closed": "Stage closed on {subject}",
    "malpractice_recorded": "Malpractice report {subject} recorded",
    "result_dispute_recorded": "Result dispute {subject} recorded",
    "eqa_follow_up_recorded": "EQA follow-up recorded for {subject}",
    "learner_added": "Learner {subject} added", "learner_changed": "Learner {subject} changed",
    "learner_completed": "Learner {subject} marked completed", "learner_reopened": "Learner {subject} reopened",
    "password_reset_requested": "New password asked for by {subject}", "password_set": "Password set for {subject}",
    "policy_draft_restarted": "Complaints policy draft started again", "policy_published": "Published {subject}",
    "quality_contact_moved": "Quality contact changed to {subject}",
    "sign_in_paused": "Sign-in paused for {subject} after wrong passwords", "signed_in": "{subject} signed in",
    "signed_out": "{subject} signed out", "staff_approved": "Staff account approved for {subject}",
    "staff_closed": "Staff account closed for {subject}", "staff_declined": "Staff request declined for {subject}",
    "staff_request_address_in_use": "Staff request refused for {subject}: address already in use",
    "staff_requested": "Staff account requested for {subject}",
    "submission_uploaded": "Submission {subject} uploaded", "submission_withdrawn": "Submission {subject} withdrawn",
    "submission_fee_accepted": "Additional marking fee accepted for {subject}",
    "submission.qc_accepted": "Accepted at quality check: {subject}",
    "submission.qc_rejected": "Rejected at quality check: {subject}",
    "submission.allocated": "Allocated for marking: {subject}", "submission.marked": "Marked: {subject}",
    "submission.remarked": "Re-marked: {subject}", "submission.sampled": "Sampled by the lead assessor: {subject}",
    "submission.result_confirmed": "Result confirmed for {subject}",
    "submission.released": "Result released for {subject}",
    "unit_added": "Unit {subject} added", "unit_changed": "Unit {subject} changed",
    "unit_reactivated": "Unit {subject} made active again", "units_approved": "Units approved for {subject}",
    "units_withdrawn": "Units withdrawn from {subject}", "role_appointed": "Role appointed: {subject}",
}


def event_name(action: str) -> str:
    """An action as a filter choice ("Submission released")."""
    return action.replace(".", " ").replace("_", " ").capitalize()


def sentence(event: AuditEvent) -> str:
    """The event as a person reads it."""
    template = SENTENCES.get(event.action)
    if template is None:
        name = event_name(event.action)
        return f"{name}: {event.subject}" if event.subject else name
    return template.format(subject=event.subject or "–")


def london_midnight(day: date) -> datetime:
    """The start of `day` in London, in UTC (a filter's "from" and "to" are the days people see)."""
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def filter_events(statement, filters):
    """`statement` (a select of AuditEvent, already scoped) narrowed to `filters` (portal.forms.LogFilters)."""
    User = AuditEvent.actor.property.mapper.class_  # noqa: N806 - the account model, without importing portal.auth

    if filters.person:
        pattern = f"%{filters.person}%"
        people = select(User.id).where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
        statement = statement.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject.ilike(pattern)))
    if filters.centre_id is not None:
        statement = statement.where(in_centre(AuditEvent, filters.centre_id))
    if filters.event:
        statement = statement.where(AuditEvent.action == filters.event)
    return on_days(statement, AuditEvent.at, filters)


def on_days(statement, column, filters):
    """`statement` narrowed to `column` falling on the London days from `filters.since` to `filters.until` (both
    included, either may be unset): the logs' date filters."""
    if filters.since:
        statement = statement.where(column >= london_midnight(filters.since))
    if filters.until:
        statement = statement.where(column < london_midnight(filters.until + timedelta(days=1)))
    return statement


def page_of(statement, order_by, page: int, page_size: int) -> tuple[list, int]:
    """One page of `statement` and the total: two statements whatever the number of rows."""
    total = db.session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(statement.order_by(*order_by).limit(page_size).offset((page - 1) * page_size))
    return list(rows.scalars().unique()), total
