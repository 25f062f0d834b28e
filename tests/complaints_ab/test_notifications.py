"""Every notification of the awarding body's stages goes out once, over real SMTP (the mailbox fixture): each
action is run twice where it can be, and the second run sends nothing.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.auth.models import Role
from portal.db import commit
from portal.rules import Refused
from portal.workdays import to_london
from tenants.complaints import escalation, handling
from tests.complaints_ab.conftest import DIRECT_FORM

LEARNER = "lena@example.org"


def subjects(mailbox, address: str) -> list[str]:
    return [m["Subject"] for m in mailbox.to(address)]


def starting(mailbox, address: str, prefix: str) -> int:
    return sum(s.startswith(prefix) for s in subjects(mailbox, address))


def test_escalation_tells_the_learner_and_customer_service_once(escalated_case, people, mailbox):
    complaint = escalated_case()
    with pytest.raises(Refused, match="already with the awarding body"):
        escalation.escalate(complaint)
    commit()
    assert starting(mailbox, LEARNER, "Complaint escalated to the awarding body") == 1
    staff = subjects(mailbox, people[Role.CUSTOMER_SERVICE].email)
    assert staff == [f"Complaint {complaint.service_request_number} ({complaint.reference}) needs customer service"]
    for role in (Role.TEAM_LEADER, Role.DIRECTOR, Role.PLATFORM_ADMIN, Role.QUALITY):
        assert subjects(mailbox, people[role].email) == []


def test_each_stage_action_notifies_once_when_run_twice(case_at, people, signed_in, mailbox):
    complaint = case_at(0)
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    url = f"/admin/complaints/{complaint.id}"
    new_due = (to_london(complaint.current_stage.due).date() + timedelta(days=5)).isoformat()
    twice = [("acknowledge", {}, "Complaint acknowledged"),
             ("extend", {"extend-new_due": new_due, "extend-reason": "Printer", "extend-consent": "told"},
              "Deadline extended"),
             ("centre-contact/announce", {"announce-reason": ""}, "We need to contact your centre"),
             ("close-stage", {"close-outcome": "Reprinted."}, "Stage closed")]
    for action, data, subject in twice:
        before = starting(mailbox, LEARNER, subject)  # the centre's own stage closed once already
        for _ in range(2):
            assert client.post(f"{url}/{action}", data=data).status_code in (303, 422)
        assert starting(mailbox, LEARNER, subject) == before + 1, subject


def test_internal_notes_email_nobody_and_each_learner_update_is_its_own_email(case_at, people, signed_in, mailbox):
    complaint = case_at(0)
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    url = f"/admin/complaints/{complaint.id}/updates"
    before = len(mailbox.messages)
    client.post(url, data={"update-body": "Internal only.", "update-audience": "internal"})
    assert len(mailbox.messages) == before
    client.post(url, data={"update-body": "First update.", "update-audience": "learner"})
    client.post(url, data={"update-body": "Second update.", "update-audience": "learner"})
    updates = [m for m in mailbox.to(LEARNER) if m["Subject"].startswith("An update on your complaint")]
    assert len(updates) == 2
    assert "First update." in updates[0].get_content() and "Second update." in updates[1].get_content()


def test_the_next_stage_is_announced_to_its_role_once(case_at, people, mailbox):
    complaint = case_at(0)
    handling.close_stage(complaint, "Outcome.", by=people[Role.CUSTOMER_SERVICE])
    commit()
    handling.learner_asks_next_stage(complaint)
    commit()
    with pytest.raises(Refused):
        handling.learner_asks_next_stage(complaint)  # a second press: refused, nothing sent
    commit()
    assert len(mailbox.to(people[Role.TEAM_LEADER].email)) == 1
    assert "needs team leader" in mailbox.last_to(people[Role.TEAM_LEADER].email)["Subject"]
    handling.close_stage(complaint, "Reviewed.", by=people[Role.TEAM_LEADER])
    commit()
    handling.learner_asks_next_stage(complaint)
    commit()
    assert len(mailbox.to(people[Role.DIRECTOR].email)) == 1


def test_the_final_outcome_is_sent_once(case_at, people, signed_in, mailbox):
    complaint = case_at(2)
    client = signed_in(people[Role.DIRECTOR])
    for _ in range(2):
        client.post(f"/admin/complaints/{complaint.id}/close-stage", data={"close-outcome": "Final answer."})
    assert starting(mailbox, LEARNER, "Final outcome of your complaint") == 1
    assert "Ofqual" in mailbox.last_to(LEARNER).get_content()


def test_a_direct_complaint_is_acknowledged_to_the_complainant_and_customer_service_once(client, people, mailbox):
    assert client.post("/complaints/direct", data=DIRECT_FORM).status_code == 200
    assert [s.endswith(" received") for s in subjects(mailbox, "pat@example.org")] == [True]
    assert len(mailbox.to(people[Role.CUSTOMER_SERVICE].email)) == 1
