"""Issue 9 §3: complaint-stage reminders run on the calendar of the case's centre (as the queues do), and remind
stage 2's acknowledgement (2 working days) and first response (24 hours), not only its resolution deadline —
each clock once per threshold, none once met."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from jobs.reminders import DUE_SOON, OVERDUE, complaint_stage_reminders
from portal.clocks import due_soon_limit
from portal.complaints.queries import queue_row_clocks
from portal.db import commit
from portal.extensions import db
from portal.invoicing.models import ReminderSent
from portal.workdays import Nation
from tenants.complaints import escalation, handling, intake
from tenants.complaints.intake import ComplaintDetails
from tenants.policy.models import PolicyVersion
from tests.conftest import quality_contact_of
from tests.invoicing.conftest import london


def sent() -> set[tuple[str, int, str, str]]:
    db.session.expire_all()
    return {(r.kind, r.object_id, r.threshold, r.recipient)
            for r in db.session.execute(select(ReminderSent)).scalars()}


@pytest.fixture
def escalated_stage(make_centre):
    """escalated_stage(nation) -> the awarding body's open stage 2 of a case at a centre of `nation`."""

    def make(nation: Nation = Nation.ENGLAND):
        centre = make_centre(nation=nation)
        db.session.add(PolicyVersion(centre_id=centre.id, number=1, title="Complaints policy", acknowledge_days=2,
                                     stages=[{"name": "Investigation", "handler": "Officer", "target_days": 8}]))
        db.session.commit()
        complaint, _ = intake.submit_complaint(centre, ComplaintDetails(
            name="Learner", email=f"learner-{centre.slug}@example.org", summary="The course was cancelled."))
        commit()
        handling.close_stage(complaint, "We found nothing.", by=quality_contact_of(centre))
        commit()
        escalation.escalate(complaint)
        commit()
        stage = complaint.current_stage
        stage.acknowledge_due = stage.first_response_due = stage.extended_due = None
        stage.acknowledged_at = stage.first_response_at = None
        return stage

    return make


# Friday 27 November 2026, 09:00. Monday 30 November is St Andrew's Day, a bank holiday in Scotland only: the next
# working day ends on Monday night in England and on Tuesday night in Scotland.
FRIDAY = london(2026, 11, 27, 9)
TUESDAY_1_DEC = london(2026, 12, 1, 17)


def test_the_calendar_is_the_centres_and_matches_the_queue(app, escalated_stage, make_admin):
    assert due_soon_limit(FRIDAY, Nation.SCOTLAND) > TUESDAY_1_DEC > due_soon_limit(FRIDAY, Nation.ENGLAND)
    holder = make_admin("customer_service").email
    scottish, english = escalated_stage(Nation.SCOTLAND), escalated_stage(Nation.ENGLAND)
    for stage in (scottish, english):
        stage.respond_due = TUESDAY_1_DEC
    commit()

    assert complaint_stage_reminders(FRIDAY) == 1
    commit()
    assert sent() == {("complaint_stage", scottish.id, DUE_SOON, holder)}  # England's stage: not yet due soon
    # The awarding body's queue highlights the same way.
    states = {stage.id: [c.state for c in queue_row_clocks(stage.complaint, stage, FRIDAY)]
              for stage in (scottish, english)}
    assert states == {scottish.id: ["due-soon"], english.id: ["running"]}


def test_stage_2_acknowledgement_and_first_response_are_reminded_once_each(app, escalated_stage, make_admin,
                                                                           mailbox):
    """Stage 2 opened on Tuesday 10 March 2026 at 09:00 (England): acknowledge by the end of Thursday 12 March,
    first response by 09:00 on Wednesday 11 March, resolve by the end of Friday 20 March."""
    holders = [make_admin("customer_service").email, make_admin("customer_service").email]
    make_admin("finance")
    stage = escalated_stage()
    stage.opened_at = london(2026, 3, 10, 9)
    stage.acknowledge_due = london(2026, 3, 12, 23, 59, 59)
    stage.first_response_due = london(2026, 3, 11, 9)
    stage.respond_due = london(2026, 3, 20, 23, 59, 59)
    commit()
    mailbox.clear()

    def run(now, count):
        for expected in (count, 0):  # a second run the same day sends nothing again
            assert complaint_stage_reminders(now) == expected
            commit()

    # Tuesday 10:00: the first response falls due within the next working day; the acknowledgement (Thursday) not.
    run(london(2026, 3, 10, 10), 2)
    assert sent() == {("complaint_first_response", stage.id, DUE_SOON, h) for h in holders}
    # Wednesday 10:00: the first response is overdue; the acknowledgement is now due soon.
    run(london(2026, 3, 11, 10), 4)
    assert {(k, t) for k, _, t, _ in sent()} == {("complaint_first_response", DUE_SOON),
                                                 ("complaint_first_response", OVERDUE),
                                                 ("complaint_acknowledge", DUE_SOON)}
    # The stage is acknowledged on Wednesday: its acknowledgement clock is met, nothing more about it.
    stage.acknowledged_at = london(2026, 3, 11, 11)
    commit()
    run(london(2026, 3, 13, 10), 0)
    assert not any(k == "complaint_acknowledge" and t == OVERDUE for k, _, t, _ in sent())
    # Thursday 19 March: the resolution deadline (Friday) is due soon; the first response is still overdue (sent).
    run(london(2026, 3, 19, 10), 2)
    assert ("complaint_stage", stage.id, DUE_SOON, holders[0]) in sent()

    subjects = Counter(m["Subject"] for m in mailbox.messages)
    reference = stage.complaint.reference
    assert subjects == Counter({
        f"Complaint {reference}: the first response (within 24 hours) of {stage.name} is due within 1 working day": 2,
        f"Complaint {reference}: the first response (within 24 hours) of {stage.name} is overdue": 2,
        f"Complaint {reference}: the acknowledgement of {stage.name} is due within 1 working day": 2,
        f"Complaint {reference}: {stage.name} is due within 1 working day": 2,
    })
    body = mailbox.last_to(holders[0]).get_content()
    assert "It is due by 23:59 on Friday 20 March 2026" in body


def test_a_centre_stage_acknowledgement_is_reminded_to_the_centre(app, make_centre):
    """The centre's own stage has its policy's acknowledgement clock too (2 working days here)."""
    centre = make_centre()
    db.session.add(PolicyVersion(centre_id=centre.id, number=1, title="Complaints policy", acknowledge_days=2,
                                 stages=[{"name": "Investigation", "handler": "Officer", "target_days": 8}]))
    db.session.commit()
    complaint, _ = intake.submit_complaint(centre, ComplaintDetails(name="L", email="l@example.org",
                                                                    summary="Late certificate."))
    commit()
    stage = complaint.current_stage
    stage.acknowledge_due, stage.respond_due = london(2026, 3, 11, 23, 59, 59), london(2026, 3, 20, 23, 59, 59)
    commit()
    assert complaint_stage_reminders(london(2026, 3, 10, 10)) == 1
    commit()
    assert sent() == {("complaint_acknowledge", stage.id, DUE_SOON, quality_contact_of(centre).email)}
