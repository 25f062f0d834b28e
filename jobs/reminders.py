"""Daily reminders (SPEC §7): SLA clocks — open complaint stages, quality check (5 working days) and marking
(25 working days) — and the three-yearly complaints-policy review. Each (thing, threshold, person) is sent
once: `ReminderSent`'s unique key holds it, so running the job twice, or after an outage, sends nothing twice.

Thresholds: "due_soon" when the deadline falls on or before the end of the next working day of the centre's
nation (England only for a direct complaint that concerns no centre; the queues highlight on the same calendar)
and has not passed; "overdue" once it has passed. A clock found already overdue gets only the overdue reminder.
A complaint stage's clocks are reminded one by one: the acknowledgement (2 working days), stage 2's first response
(24 hours) and the response itself — each once per threshold, and none once it is met.
"""
from __future__ import annotations

from datetime import datetime

from jobs import job

DUE_SOON, OVERDUE = "due_soon", "overdue"


def threshold(due: datetime, now: datetime, nation=None) -> str | None:
    """Which reminder a clock with deadline `due` has reached at `now`, if any."""
    from portal.clocks import due_soon_limit
    from portal.workdays import Nation

    if now > due:
        return OVERDUE
    return DUE_SOON if due <= due_soon_limit(now, nation or Nation.ENGLAND) else None


def _remind(kind: str, object_id: int, level: str, recipients, subject: str, body: str, centre_id) -> int:
    """Queue one email per recipient not yet reminded at this level; returns how many went out."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.invoicing.models import ReminderSent
    from portal.mail import queue_email

    sent = 0
    for email in sorted(set(recipients)):
        done = db.session.execute(select(ReminderSent.id).where(
            ReminderSent.kind == kind, ReminderSent.object_id == object_id, ReminderSent.threshold == level,
            ReminderSent.recipient == email)).first()
        if done:
            continue
        message = queue_email(email, subject, body, centre_id=centre_id)
        db.session.add(ReminderSent(kind=kind, object_id=object_id, threshold=level, recipient=email,
                                    centre_id=centre_id, email_id=message.id))
        sent += 1
    return sent


def _role_holders(role) -> list[str]:
    from sqlalchemy import select

    from portal.auth.models import AccountStatus, RoleGrant, User
    from portal.extensions import db
    from portal.tenancy import ALL_CENTRES, of_awarding_body

    statement = (select(User.email).join(RoleGrant, RoleGrant.user_id == User.id)
                 .where(RoleGrant.role == role, User.status == AccountStatus.ACTIVE, of_awarding_body(User)))
    # A job, not a centre's page: the awarding body's staff are reminded of every centre's work.
    return list(db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalars())


def _label(level: str) -> str:
    return "due within 1 working day" if level == DUE_SOON else "overdue"


# The clocks of an open complaint stage, each reminded on its own: (ReminderSent.kind, what is due, the deadline
# attribute, the attribute that meets it). Stage 2 (and the direct route's stage one) runs all three; a centre stage
# runs the acknowledgement of its policy and the response.
STAGE_CLOCKS = (
    ("complaint_acknowledge", "the acknowledgement", "acknowledge_due", "acknowledged_at"),
    ("complaint_first_response", "the first response (within 24 hours)", "first_response_due", "first_response_at"),
    ("complaint_stage", "the response", "due", None),
)


def complaint_stage_reminders(now: datetime) -> int:
    """Every waiting clock of every open stage, on the calendar of the case's centre (SPEC §4; England with no
    centre) — the same calendar the queues highlight with."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.tenancy import ALL_CENTRES
    from tenants.complaints.models import ComplaintStage
    from tenants.complaints.stages import nation_of

    sent = 0
    # Every centre's open stages: each reminder goes to that case's own centre or awarding-body team.
    stages = db.session.execute(select(ComplaintStage).where(ComplaintStage.closed_at.is_(None))
                                .order_by(ComplaintStage.id)
                                .execution_options(**{ALL_CENTRES: True})).scalars().all()
    for stage in stages:
        nation = nation_of(stage.complaint)
        for kind, what, due_attribute, met_attribute in STAGE_CLOCKS:
            due = getattr(stage, due_attribute)
            if due is None or (met_attribute and getattr(stage, met_attribute) is not None):
                continue
            level = threshold(due, now, nation)
            if level is not None:
                sent += _remind_stage(stage, kind, what, due, level)
    return sent


def _stage_recipients(stage) -> list[str]:
    """Who owns an open stage: the awarding-body role's holders, else its assignee, else the Quality contact."""
    from tenants.staff.services import quality_contact

    if stage.role is not None:
        return _role_holders(stage.role)
    if stage.assigned_to is not None:
        return [stage.assigned_to.email]
    centre = stage.complaint.centre
    contact = quality_contact(centre) if centre else None
    return [contact.email] if contact else []


def _remind_stage(stage, kind: str, what: str, due: datetime, level: str) -> int:
    from portal.workdays import to_london

    reference = stage.complaint.reference
    if kind == "complaint_stage":
        subject = f"Complaint {reference}: {stage.name} is {_label(level)}"
    else:
        subject = f"Complaint {reference}: {what} of {stage.name} is {_label(level)}"
    body = (f"{stage.name} of complaint {reference}: {what} is {_label(level)}. It is due by "
            f"{to_london(due):%H:%M on %A %-d %B %Y}.\n")
    return _remind(kind, stage.id, level, _stage_recipients(stage), subject, body, stage.centre_id)


def submission_reminders(now: datetime) -> int:
    """Quality check (status awaiting QC, `qc_due`) and marking (status marking, `sla_due`) clocks."""
    from sqlalchemy import select

    from portal.auth.models import Role
    from portal.extensions import db
    from portal.tenancy import ALL_CENTRES
    from portal.workdays import to_london
    from tenants.submissions.models import Submission, SubmissionStatus

    sent = 0
    assessment = _role_holders(Role.ASSESSMENT)
    clocks = (("quality_check", SubmissionStatus.AWAITING_QC, Submission.qc_due, "Quality check"),
              ("marking", SubmissionStatus.MARKING, Submission.sla_due, "Marking"))
    for kind, status, column, title in clocks:
        statement = select(Submission).where(Submission.is_current.is_(True), Submission.status == status,
                                             column.is_not(None))
        # The awarding body's assessment clocks run across every centre.
        for submission in db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalars():
            due = getattr(submission, column.key)
            level = threshold(due, now, submission_nation(submission))
            if level is None:
                continue
            subject = f"{title} {_label(level)}: {submission.unit.code} submission {submission.number}"
            body = (f"{title} of submission {submission.number} for unit {submission.unit.code} (learner "
                    f"{submission.learner.enrolment_number}) is {_label(level)}: due by "
                    f"{to_london(due):%H:%M on %A %-d %B %Y}.\n")
            sent += _remind(kind, submission.id, level, assessment, subject, body, submission.centre_id)
    return sent


def submission_nation(submission):
    """The nation of a submission's clocks: its centre's (SPEC §4)."""
    from portal.extensions import db
    from tenants.models import Centre

    centre = db.session.get(Centre, submission.centre_id)
    return centre.nation if centre else None


def policy_review_reminders(today) -> int:
    """The current policy version of each centre, DUE_SOON (three months before) or OVERDUE, to the Quality contact."""
    from sqlalchemy import select

    from portal.extensions import db
    from tenants.models import Centre, CentreStatus
    from tenants.policy.services import ReviewState, current_version, review_state
    from tenants.staff.services import quality_contact

    sent = 0
    for centre in db.session.execute(select(Centre).where(Centre.status == CentreStatus.APPROVED)).scalars():
        version = current_version(centre)
        if version is None:
            continue
        state = review_state(version, today)
        if state is ReviewState.CURRENT:
            continue
        level = OVERDUE if state is ReviewState.OVERDUE else DUE_SOON
        contact = quality_contact(centre)
        if contact is None:
            continue
        words = "is overdue" if level == OVERDUE else "is due soon"
        sent += _remind("policy_review", version.id, level, [contact.email],
                        f"Your complaints policy review {words}",
                        f"The three-yearly review of {centre.name}'s complaints policy (version {version.number}) "
                        f"{words}: due {version.review_due:%-d %B %Y}. Publishing it again records the review.\n",
                        centre.id)
    return sent


@job(queue="reminders", timeout=600, retries=1)
def send_sla_reminders() -> str:
    """Complaint-stage, quality-check and marking reminders, recorded as a job run."""
    from portal.db import utcnow
    from portal.invoicing.runs import REMINDERS, recorded

    def work(run_id: int) -> tuple[str, str]:
        from portal.db import commit

        now = utcnow()
        counts = complaint_stage_reminders(now), submission_reminders(now)
        commit()
        return f"{counts[0]} complaint-stage and {counts[1]} submission reminder(s) sent", ""

    return recorded(REMINDERS, {}, work).summary


@job(queue="reminders", timeout=600, retries=1)
def send_policy_review_reminders() -> str:
    from portal.db import utcnow
    from portal.invoicing.runs import POLICY_REVIEWS, recorded
    from portal.workdays import london_date

    def work(run_id: int) -> tuple[str, str]:
        from portal.db import commit

        count = policy_review_reminders(london_date(utcnow()))
        commit()
        return f"{count} policy review reminder(s) sent", ""

    return recorded(POLICY_REVIEWS, {}, work).summary
