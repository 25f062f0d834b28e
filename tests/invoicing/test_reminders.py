"""Reminders (SPEC §7): complaint stages, quality check and marking clocks, the policy review — to the people who
own the work, each once per threshold, nothing for closed stages or decided submissions; and the job on a real
Redis queue with an RQ SimpleWorker."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jobs.reminders import DUE_SOON, OVERDUE, complaint_stage_reminders, policy_review_reminders, submission_reminders
from portal.db import commit, utcnow
from portal.extensions import db
from portal.invoicing.models import JobRun, ReminderSent, RunStatus
from tenants.complaints import escalation, handling, intake
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Complaint
from tenants.policy.models import PolicyVersion
from tenants.submissions.models import SubmissionStatus
from tests import services
from tests.conftest import quality_contact_of
from tests.invoicing.conftest import london

# Tuesday 10 March 2026, 09:00 London: the next working day (England) ends Wednesday 11 March 23:59:59.
NOW = london(2026, 3, 10, 9)
LATER = london(2026, 3, 12, 9)  # Thursday: Wednesday's deadlines have passed
DUE_WEDNESDAY = london(2026, 3, 11, 17)
DUE_FRIDAY = london(2026, 3, 13, 17)
DUE_MONDAY = london(2026, 3, 9, 17)  # already passed at NOW


def sent() -> set[tuple[str, int, str, str]]:
    db.session.expire_all()
    return {(r.kind, r.object_id, r.threshold, r.recipient)
            for r in db.session.execute(select(ReminderSent)).scalars()}


def mail_count(mailbox, word: str) -> Counter:
    return Counter(m["To"] for m in mailbox.messages if word in m["Subject"])


# --- complaint stages ------------------------------------------------------------------------------------

@pytest.fixture
def policy_centre(make_centre):
    centre = make_centre()
    db.session.add(PolicyVersion(centre_id=centre.id, number=1, title="Complaints policy", acknowledge_days=2,
                                 stages=[{"name": "Investigation", "handler": "Complaints officer",
                                          "target_days": 8}]))
    db.session.commit()
    return centre


def _complaint(centre, n: int) -> Complaint:
    complaint, _ = intake.submit_complaint(centre, ComplaintDetails(
        name=f"Learner {n}", email=f"learner{n}@example.org", summary=f"Complaint number {n}."))
    commit()
    return complaint


def test_complaint_stage_reminders(app, policy_centre, make_staff, make_admin, mailbox):
    centre = policy_centre
    qc = quality_contact_of(centre).email
    officer = make_staff(centre)

    # Each case: (its centre stage's deadline, assigned, closed); the awarding-body case is built below.
    cases = {
        "assigned, due Wednesday": (DUE_WEDNESDAY, officer, False),
        "unassigned, due Wednesday": (DUE_WEDNESDAY, None, False),
        "due Friday": (DUE_FRIDAY, None, False),
        "overdue since Monday": (DUE_MONDAY, None, False),
        "closed, overdue": (DUE_MONDAY, None, True),
    }
    stages = {}
    for n, (name, (due, assignee, closed)) in enumerate(cases.items()):
        complaint = _complaint(centre, n)
        stage = complaint.current_stage
        stage.respond_due, stage.extended_due = due, None
        stage.assigned_to_id = assignee.id if assignee else None
        if closed:
            stage.closed_at = NOW - timedelta(days=2)
        stages[name] = stage.id
        commit()

    # An escalated case: the centre's stage closed, the awarding body's stage 2 open for its role.
    escalated = _complaint(centre, 99)
    handling.close_stage(escalated, "We found nothing.", by=quality_contact_of(centre))
    commit()
    escalation.escalate(escalated)
    commit()
    ab_stage = escalated.current_stage
    assert ab_stage.role is not None
    holders = [make_admin(ab_stage.role.value).email, make_admin(ab_stage.role.value).email]
    make_admin("finance")  # holds another role: never reminded
    ab_stage.respond_due, ab_stage.extended_due = DUE_WEDNESDAY, None
    stages["awarding body, due Wednesday"] = ab_stage.id
    commit()
    mailbox.clear()

    due_soon = {
        ("complaint_stage", stages["assigned, due Wednesday"], DUE_SOON, officer.email),
        ("complaint_stage", stages["unassigned, due Wednesday"], DUE_SOON, qc),
        *(("complaint_stage", stages["awarding body, due Wednesday"], DUE_SOON, email) for email in holders),
    }
    overdue_now = {("complaint_stage", stages["overdue since Monday"], OVERDUE, qc)}  # no due-soon first
    for expected in (len(due_soon) + 1, 0):  # the second run sends nothing again
        assert complaint_stage_reminders(NOW) == expected
        commit()
    assert sent() == due_soon | overdue_now
    assert mail_count(mailbox, "Complaint") == Counter({officer.email: 1, qc: 2, holders[0]: 1, holders[1]: 1})
    assert "overdue" in next(m for m in mailbox.to(qc) if escalated.reference not in m["Subject"]
                             and "overdue" in m["Subject"])["Subject"]

    # Thursday: Wednesday's deadlines have passed — one overdue reminder each, once; Friday's is now due soon.
    mailbox.clear()
    for expected in (len(due_soon) + 1, 0):
        assert complaint_stage_reminders(LATER) == expected
        commit()
    overdue_later = {(kind, stage, OVERDUE, email) for kind, stage, _, email in due_soon}
    friday = {("complaint_stage", stages["due Friday"], DUE_SOON, qc)}
    assert sent() == due_soon | overdue_now | overdue_later | friday
    assert mail_count(mailbox, "Complaint") == Counter({officer.email: 1, qc: 2, holders[0]: 1, holders[1]: 1})
    assert not any(stage == stages["closed, overdue"] for _, stage, _, _ in sent())


# --- submission clocks -----------------------------------------------------------------------------------

def test_quality_check_and_marking_reminders(app, centre, make_learner, submit, make_admin, make_staff, mailbox):
    assessors = [make_admin("assessment").email, make_admin("assessment", "quality").email]
    make_admin("finance")
    make_admin("quality")
    uploaded = london(2026, 3, 2, 9)
    rows = {  # name: (fields, the reminder expected at NOW)
        "qc due Wednesday": (dict(status=SubmissionStatus.AWAITING_QC, qc_due=DUE_WEDNESDAY), ("quality_check",
                                                                                                DUE_SOON)),
        "qc overdue": (dict(status=SubmissionStatus.AWAITING_QC, qc_due=DUE_MONDAY), ("quality_check", OVERDUE)),
        "qc due Friday": (dict(status=SubmissionStatus.AWAITING_QC, qc_due=DUE_FRIDAY), None),
        "marking due Wednesday": (dict(status=SubmissionStatus.MARKING, sla_due=DUE_WEDNESDAY), ("marking", DUE_SOON)),
        "marking overdue": (dict(status=SubmissionStatus.MARKING, sla_due=DUE_MONDAY), ("marking", OVERDUE)),
        # decided, or no longer the current copy: nothing, however late the clock
        "qc passed, now marked": (dict(status=SubmissionStatus.MARKED, qc_due=DUE_MONDAY, sla_due=DUE_MONDAY), None),
        "released": (dict(status=SubmissionStatus.RELEASED, qc_due=DUE_MONDAY, sla_due=DUE_MONDAY), None),
        "rejected at qc": (dict(status=SubmissionStatus.REJECTED, qc_due=DUE_MONDAY), None),
        "withdrawn": (dict(status=SubmissionStatus.WITHDRAWN, qc_due=DUE_MONDAY), None),
        "replaced copy": (dict(status=SubmissionStatus.AWAITING_QC, qc_due=DUE_MONDAY, is_current=False), None),
    }
    ids = {name: submit(make_learner(centre), 1, uploaded, **fields).id for name, (fields, _) in rows.items()}
    mailbox.clear()

    expected = {(reminder[0], ids[name], reminder[1], email)
                for name, (_, reminder) in rows.items() if reminder for email in assessors}
    for count in (len(expected), 0):
        assert submission_reminders(NOW) == count
        commit()
    assert sent() == expected
    assert mail_count(mailbox, "due within 1 working day") == Counter({a: 2 for a in assessors})
    assert mail_count(mailbox, "overdue") == Counter({a: 2 for a in assessors})

    mailbox.clear()
    assert ("quality_check", ids["qc due Friday"], DUE_SOON, assessors[0]) not in sent()  # Friday: > 1 working day
    for count in (3 * len(assessors), 0):  # Thursday: the two due-soon clocks are overdue; Friday's is due soon
        assert submission_reminders(LATER) == count
        commit()
    assert mail_count(mailbox, "overdue") == Counter({a: 2 for a in assessors})
    assert mail_count(mailbox, "due within 1 working day") == Counter({a: 1 for a in assessors})
    assert ("quality_check", ids["qc due Friday"], DUE_SOON, assessors[0]) in sent()
    never = {ids[name] for name, (_, reminder) in rows.items() if reminder is None and name != "qc due Friday"}
    assert not never & {object_id for _, object_id, _, _ in sent()}


# --- the policy review -----------------------------------------------------------------------------------

def test_policy_review_reminders_go_to_the_quality_contact_once(app, make_centre, mailbox):
    today = date(2026, 3, 10)
    published = {"due soon": london(2023, 5, 1, 12),  # review due 1 May 2026: within three months
                 "overdue": london(2023, 3, 1, 12),  # review was due 1 March 2026
                 "current": london(2024, 1, 1, 12)}  # review due 2027
    versions = {}
    for name, when in published.items():
        centre = make_centre()
        version = PolicyVersion(centre_id=centre.id, number=1, title="Complaints policy", acknowledge_days=2,
                                stages=[{"name": "Investigation", "handler": "Officer", "target_days": 8}],
                                published_at=when)
        db.session.add(version)
        db.session.commit()
        versions[name] = (version.id, quality_contact_of(centre).email)
    make_centre()  # no policy yet: nothing to review
    mailbox.clear()

    for count in (2, 0):
        assert policy_review_reminders(today) == count
        commit()
    assert sent() == {("policy_review", *versions["due soon"][:1], DUE_SOON, versions["due soon"][1]),
                      ("policy_review", *versions["overdue"][:1], OVERDUE, versions["overdue"][1])}
    assert mail_count(mailbox, "policy review") == Counter({versions["due soon"][1]: 1, versions["overdue"][1]: 1})
    assert "is overdue" in mailbox.last_to(versions["overdue"][1])["Subject"]

    # Two months later the due-soon review has passed its date: one overdue reminder, once.
    mailbox.clear()
    for count in (1, 0):
        assert policy_review_reminders(date(2026, 5, 2)) == count
        commit()
    assert mail_count(mailbox, "policy review") == Counter({versions["due soon"][1]: 1})


def test_policy_review_job_is_recorded(app, make_centre):
    from jobs.reminders import send_policy_review_reminders

    centre = make_centre()
    db.session.add(PolicyVersion(centre_id=centre.id, number=1, title="Complaints policy", acknowledge_days=2,
                                 stages=[{"name": "Investigation", "handler": "Officer", "target_days": 8}],
                                 published_at=utcnow() - timedelta(days=3 * 366)))
    db.session.commit()
    assert send_policy_review_reminders() == "1 policy review reminder(s) sent"
    assert send_policy_review_reminders() == "0 policy review reminder(s) sent"
    db.session.expire_all()
    runs = db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().all()
    assert [(r.kind, r.status) for r in runs] == [("policy_reviews", RunStatus.SUCCEEDED)] * 2


# --- through a real Redis queue --------------------------------------------------------------------------

@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": services.REDIS_URL}], ids=["redis"])
def test_sla_reminders_job_on_a_real_queue(app, centre, make_learner, submit, make_admin, mailbox):
    from rq import Queue, SimpleWorker

    from jobs.reminders import send_sla_reminders

    redis = services.redis_or_fail()
    assessor = make_admin("assessment").email
    submission = submit(make_learner(centre), 1, utcnow() - timedelta(days=8), qc_due=utcnow() - timedelta(hours=1))
    mailbox.clear()
    reminders, email = Queue("reminders", connection=redis), Queue("email", connection=redis)

    for summary in ("0 complaint-stage and 1 submission reminder(s) sent",
                    "0 complaint-stage and 0 submission reminder(s) sent"):
        job = reminders.enqueue(send_sla_reminders, job_timeout=send_sla_reminders.timeout)
        assert SimpleWorker([reminders, email], connection=redis).work(burst=True)
        assert job.get_status(refresh=True) == "finished", job.latest_result()
        assert job.return_value() == summary
    assert reminders.count == 0 and email.count == 0  # the reminder email went through the email queue
    assert sent() == {("quality_check", submission.id, OVERDUE, assessor)}
    assert [m["Subject"] for m in mailbox.to(assessor)] == [
        f"Quality check overdue: {submission.unit.code} submission 1"]
    runs = db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().all()
    assert [(r.kind, r.status) for r in runs] == [("reminders", RunStatus.SUCCEEDED)] * 2
