"""Daily reminders (SPEC §7): SLA clocks — open complaint stages, quality check (5 working days) and marking
(25 working days) — and the three-yearly complaints-policy review. Each (thing, threshold, person) is sent
once: `ReminderSent`'s unique key holds it, so running the job twice, or after an outage, sends nothing twice.

Thresholds: "due_soon" when the deadline falls on or before the end of the next working day (England for
awarding-body clocks, the centre's nation for centre stages) and has not passed; "overdue" once it has
passed. A clock found already overdue gets only the overdue reminder.
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


def complaint_stage_reminders(now: datetime) -> int:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.tenancy import ALL_CENTRES
    from portal.workdays import to_london
    from tenants.complaints.models import ComplaintStage
    from tenants.staff.services import quality_contact

    sent = 0
    # Every centre's open stages: each reminder goes to that case's own centre or awarding-body team.
    stages = db.session.execute(select(ComplaintStage).where(ComplaintStage.closed_at.is_(None))
                                .execution_options(**{ALL_CENTRES: True})).scalars().all()
    for stage in stages:
        centre = stage.complaint.centre
        level = threshold(stage.due, now, centre.nation if centre and stage.role is None else None)
        if level is None:
            continue
        if stage.role is not None:
            recipients = _role_holders(stage.role)
        elif stage.assigned_to is not None:
            recipients = [stage.assigned_to.email]
        else:
            contact = quality_contact(centre) if centre else None
            recipients = [contact.email] if contact else []
        subject = f"Complaint {stage.complaint.reference}: {stage.name} is {_label(level)}"
        body = (f"{stage.name} of complaint {stage.complaint.reference} is {_label(level)}: the response is due by "
                f"{to_london(stage.due):%H:%M on %A %-d %B %Y}.\n")
        sent += _remind("complaint_stage", stage.id, level, recipients, subject, body, stage.centre_id)
    return sent


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
