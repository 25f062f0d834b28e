"""Every allowed transition of the awarding body's stages, each by its role, and every forbidden one
(SPEC §5.3): through the staff pages (403 for the wrong role, a message for a refused rule) and the services.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import Role
from portal.db import commit
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import to_london
from tenants.complaints import escalation, handling, intake
from tenants.complaints.models import Audience, Complaint, ComplaintUpdate, Route, Status
from tests.complaints_ab.conftest import details, reload
from tests.conftest import quality_contact_of

STAGES = [(0, Role.CUSTOMER_SERVICE, "Stage 2: customer service"), (1, Role.TEAM_LEADER, "Stage 3: team leader review"),
          (2, Role.DIRECTOR, "Final stage: director review")]


def case_url(complaint, action: str = "") -> str:
    return f"/admin/complaints/{complaint.id}" + (f"/{action}" if action else "")


def actions(complaint, assignee_id: int) -> list[tuple[str, dict]]:
    """Each stage action with a valid form, in an order that works for the stage's own role."""
    new_due = to_london(complaint.current_stage.due).date() + timedelta(days=7)
    return [
        ("acknowledge", {}),
        ("assign", {"assign-assignee": str(assignee_id)}),
        ("updates", {"update-body": "Checked the certificate log.", "update-audience": "internal"}),
        ("updates", {"update-body": "We are looking into it.", "update-audience": "learner"}),
        ("extend", {"extend-new_due": new_due.isoformat(), "extend-reason": "Waiting for the printer.",
                    "extend-consent": "agreed"}),
        ("centre-contact/announce", {"announce-reason": "We will ask for the enrolment record."}),
        ("centre-contact/record", {}),
        ("close-stage", {"close-outcome": "Outcome of this stage."}),
    ]


def snapshot(complaint: Complaint) -> tuple:
    complaint = reload(complaint)
    stage = complaint.current_stage
    updates = db.session.execute(select(func.count()).select_from(ComplaintUpdate)).scalar_one()
    return (complaint.status, len(complaint.stages), stage.acknowledged_at, stage.assigned_to_id, stage.extended_due,
            stage.closed_at, complaint.centre_contact_announced_at, complaint.centre_contacted_at, updates)


@pytest.mark.parametrize(("index", "role", "name"), STAGES, ids=["stage-2", "stage-3", "final"])
def test_the_stages_role_can_do_every_action(case_at, people, signed_in, index, role, name):
    complaint = case_at(index)
    assert complaint.current_stage.name == name and complaint.current_stage.role is role
    client = signed_in(people[role])
    for action, data in actions(complaint, people[role].id):
        response = client.post(case_url(complaint, action), data=data)
        assert response.status_code == 303, (action, response.status_code, response.get_data(as_text=True)[:2000])
        assert response.headers["Location"].endswith(case_url(complaint))
    complaint = reload(complaint)
    stage = complaint.stages[-1]
    assert stage.acknowledged_at and stage.assigned_to_id == people[role].id and stage.extended_due
    assert stage.closed_at and stage.outcome == "Outcome of this stage."
    assert complaint.centre_contact_announced_at and complaint.centre_contacted_at
    if index < 2:
        assert complaint.status is Status.AWAITING_LEARNER
    else:
        assert complaint.status is Status.RESOLVED and complaint.regulator == "ofqual"


FORBIDDEN = [pytest.param(index, other, id=f"{stage_role.value}-stage-by-{other.value}")
             for index, stage_role, _ in STAGES
             for other in (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR, Role.PLATFORM_ADMIN, Role.QUALITY)
             if other is not stage_role]


@pytest.mark.parametrize(("index", "role"), FORBIDDEN)
def test_without_the_stages_role_every_action_is_403_and_changes_nothing(case_at, people, signed_in, mailbox, index,
                                                                          role):
    """A director cannot skip to act on stage 2, customer service cannot close the final stage, and so on."""
    complaint = case_at(index)
    holder = people[complaint.current_stage.role]
    before, emails = snapshot(complaint), len(mailbox.messages)
    client = signed_in(people[role])
    for action, data in actions(complaint, holder.id):
        assert client.post(case_url(complaint, action), data=data).status_code == 403, action
    assert snapshot(complaint) == before
    assert len(mailbox.messages) == emails
    page = client.get(case_url(complaint))
    if role is Role.QUALITY:
        assert page.status_code == 403  # no complaint role at all
    else:  # another complaint role (or platform admin): the case, read-only
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "You can read this case" in text
        assert "Close the stage" not in text and "Acknowledge</button>" not in text


@pytest.mark.parametrize(("index", "role"), [(0, Role.TEAM_LEADER), (1, Role.DIRECTOR), (2, Role.CUSTOMER_SERVICE)])
def test_services_raise_permission_error_for_the_wrong_role(case_at, people, index, role):
    complaint = case_at(index)
    by = people[role]
    holder = people[complaint.current_stage.role]
    calls = [lambda: handling.acknowledge(complaint, by=by), lambda: handling.assign(complaint, holder, by=by),
             lambda: handling.post_update(complaint, "x", learner_visible=True, by=by),
             lambda: handling.extend(complaint, to_london(complaint.current_stage.due).date() + timedelta(days=3),
                                     "r", "agreed", by=by),
             lambda: escalation.announce_centre_contact(complaint, "", by=by),
             lambda: escalation.record_centre_contacted(complaint, by=by),
             lambda: handling.close_stage(complaint, "x", by=by)]
    for call in calls:
        with pytest.raises(PermissionError):
            call()


def test_the_whole_learner_route_stage_by_stage(escalated_case, people, signed_in):
    """Stage 2 → (learner asks) → stage 3 → (learner asks) → final → resolved with signposting."""
    complaint = escalated_case()
    for index, role, name in STAGES:
        assert complaint.current_stage.name == name
        client = signed_in(people[role])
        assert client.post(case_url(complaint, "close-stage"), data={"close-outcome": f"Outcome {index}"}
                           ).status_code == 303
        complaint = reload(complaint)
        if index < 2:
            assert complaint.status is Status.AWAITING_LEARNER
            assert escalation.learner_choices(complaint) == {"accept", "next_stage"}
            handling.learner_asks_next_stage(complaint)
            commit()
    assert complaint.status is Status.RESOLVED and complaint.closed_at
    assert [s.name for s in complaint.awarding_body_stages] == [n for _, _, n in STAGES]
    assert escalation.learner_choices(complaint) == frozenset()


@pytest.mark.parametrize("index", [0, 1])
def test_the_learner_can_accept_after_any_stage(case_at, people, index):
    complaint = case_at(index)
    handling.close_stage(complaint, "Resolved.", by=people[complaint.current_stage.role])
    commit()
    handling.learner_accepts(complaint)
    commit()
    assert complaint.status is Status.RESOLVED and complaint.current_stage.learner_decision == "accepted"
    assert complaint.regulator is None  # signposting follows the final stage only


def test_closing_an_already_closed_stage_is_refused(case_at, people, signed_in, mailbox):
    complaint = case_at(0)
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    assert client.post(case_url(complaint, "close-stage"), data={"close-outcome": "Done."}).status_code == 303
    before, emails = snapshot(complaint), len(mailbox.messages)
    response = client.post(case_url(complaint, "close-stage"), data={"close-outcome": "Done again."},
                           follow_redirects=True)
    assert "has no open stage to act on" in response.get_data(as_text=True)
    assert snapshot(complaint) == before and len(mailbox.messages) == emails
    with pytest.raises(Refused, match="no open stage"):
        handling.close_stage(reload(complaint), "Again", by=people[Role.CUSTOMER_SERVICE])


def test_no_stage_can_be_skipped(case_at, people):
    complaint = case_at(0)
    with pytest.raises(Refused, match="no next stage to ask for now"):
        handling.learner_asks_next_stage(complaint)  # stage 2 is still open: no jumping to stage 3
    with pytest.raises(Refused, match="already with the awarding body"):
        escalation.escalate(complaint)
    db.session.rollback()
    complaint = case_at(2)
    handling.close_stage(complaint, "Final.", by=people[Role.DIRECTOR])
    commit()
    with pytest.raises(Refused):
        handling.learner_asks_next_stage(complaint)  # nothing after the final stage
    with pytest.raises(Refused):
        handling.learner_accepts(complaint)
    assert len(complaint.awarding_body_stages) == 3


def test_contacting_the_centre_before_telling_the_learner_is_refused(case_at, people, signed_in, mailbox):
    complaint = case_at(0)
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    page = client.get(case_url(complaint)).get_data(as_text=True)
    assert "Record that we contacted the centre" not in page  # not offered until the learner is told
    response = client.post(case_url(complaint, "centre-contact/record"), follow_redirects=True)
    assert "Tell the learner first" in response.get_data(as_text=True)
    assert reload(complaint).centre_contacted_at is None
    assert client.post(case_url(complaint, "centre-contact/announce"), data={"announce-reason": ""}
                       ).status_code == 303
    told = mailbox.last_to("lena@example.org")
    assert told["Subject"].startswith("We need to contact your centre")
    assert "Record that we contacted the centre" in client.get(case_url(complaint)).get_data(as_text=True)
    assert client.post(case_url(complaint, "centre-contact/record")).status_code == 303
    complaint = reload(complaint)
    assert complaint.centre_contact_announced_at <= complaint.centre_contacted_at
    update = db.session.execute(select(ComplaintUpdate).where(ComplaintUpdate.kind == "centre_contact_announced")
                                ).scalar_one()
    assert update.audience is Audience.LEARNER


def test_a_direct_complaint_has_no_centre_to_contact(case_at, people):
    complaint = case_at(0, route=Route.DIRECT)
    with pytest.raises(Refused, match="Only the awarding body contacts a centre"):
        escalation.announce_centre_contact(complaint, "", by=people[Role.CUSTOMER_SERVICE])


def test_refusals_go_beside_their_field(case_at, people, signed_in):
    complaint = case_at(0)
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    current = to_london(complaint.current_stage.due).date()
    response = client.post(case_url(complaint, "extend"),
                           data={"extend-new_due": current.isoformat(), "extend-reason": "More time",
                                 "extend-consent": "agreed"})
    assert response.status_code == 422
    assert "The new date must be after the current deadline" in response.get_data(as_text=True)
    response = client.post(case_url(complaint, "updates"), data={"update-body": "  ", "update-audience": "learner"})
    assert response.status_code == 422 and "Write the note or update." in response.get_data(as_text=True)
    # Only holders of the stage's role are offered; anyone else is not a valid choice.
    response = client.post(case_url(complaint, "assign"), data={"assign-assignee": str(people[Role.DIRECTOR].id)})
    assert response.status_code == 422 and reload(complaint).current_stage.assigned_to_id is None
    with pytest.raises(Refused) as refused:
        handling.assign(reload(complaint), people[Role.DIRECTOR], by=people[Role.CUSTOMER_SERVICE])
    assert refused.value.field == "assignee"


def test_acting_while_the_learner_decides_is_refused(case_at, people, signed_in):
    complaint = case_at(0)
    handling.close_stage(complaint, "Done.", by=people[Role.CUSTOMER_SERVICE])
    commit()
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    response = client.post(case_url(complaint, "acknowledge"), follow_redirects=True)
    assert "has no open stage to act on" in response.get_data(as_text=True)


def test_centre_staff_get_404_on_every_awarding_body_complaint_page(case_at, signed_in, make_staff):
    complaint = case_at(0)
    for user in (quality_contact_of(complaint.centre), make_staff(complaint.centre)):
        client = signed_in(user)
        assert client.get("/admin/complaints/").status_code == 404
        assert client.get(case_url(complaint)).status_code == 404
        for action, data in actions(complaint, user.id):
            assert client.post(case_url(complaint, action), data=data).status_code == 404
    assert reload(complaint).current_stage.acknowledged_at is None


def test_a_case_still_at_the_centre_is_not_an_awarding_body_case(make_centre, publish_policy, people, signed_in):
    centre = make_centre()
    publish_policy(centre)
    complaint, _ = intake.submit_complaint(centre, details())
    commit()
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    assert client.get(case_url(complaint)).status_code == 404
    assert client.post(case_url(complaint, "acknowledge")).status_code == 404
    assert complaint.reference not in client.get("/admin/complaints/?status=all").get_data(as_text=True)
