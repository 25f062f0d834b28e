"""One case on the awarding body's staff pages: its whole history for the awarding body (not the centre's
internal notes), the complainant (confidentiality prominent), the clocks, and who sees which actions.
"""
from __future__ import annotations

import html

import pytest

from portal.auth.models import Role
from portal.db import commit
from portal.workdays import to_london
from tenants.complaints import escalation, handling, intake
from tests.complaints_ab.conftest import details
from tests.conftest import quality_contact_of


def page_of(client, complaint) -> str:
    response = client.get(f"/admin/complaints/{complaint.id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def noted_case(make_centre, publish_policy, people):
    """A case with a centre internal note, a centre update for the learner, then escalated with notes at both
    audiences of the awarding body."""
    centre = make_centre("Northgate Training")
    publish_policy(centre)
    complaint, _ = intake.submit_complaint(centre, details(confidential=True))
    commit()
    qc = quality_contact_of(centre)
    handling.post_update(complaint, "CENTRE-INTERNAL: the tutor is on leave.", learner_visible=False, by=qc)
    handling.post_update(complaint, "CENTRE-TO-LEARNER: we are checking with the printer.", learner_visible=True,
                         by=qc)
    handling.close_stage(complaint, "CENTRE-OUTCOME: reordered.", by=qc)
    commit()
    escalation.escalate(complaint)
    commit()
    cs = people[Role.CUSTOMER_SERVICE]
    handling.post_update(complaint, "AB-INTERNAL: centre has a history of late claims.", learner_visible=False,
                         by=cs)
    handling.post_update(complaint, "AB-TO-LEARNER: we have asked the certificates team.", learner_visible=True,
                         by=cs)
    commit()
    return complaint


def test_the_history_shows_the_learners_updates_and_our_notes_but_not_the_centres_notes(noted_case, people,
                                                                                        signed_in):
    page = page_of(signed_in(people[Role.TEAM_LEADER]), noted_case)
    for shown in ("CENTRE-TO-LEARNER", "CENTRE-OUTCOME", "AB-INTERNAL", "AB-TO-LEARNER", "Escalated to the awarding"):
        assert shown in page, shown
    assert "CENTRE-INTERNAL" not in page
    assert "Internal note" in page  # our own internal note is marked as such


def test_the_complainant_and_confidentiality_are_prominent(noted_case, people, signed_in):
    page = page_of(signed_in(people[Role.CUSTOMER_SERVICE]), noted_case)
    notice = page.index('class="notice notice-warning"')
    assert notice < page.index("<h2>The complainant</h2>")
    assert "asked for their complaint to be kept confidential" in page
    for value in ("Lena Learner", "lena@example.org", "My certificate is three months late.", "Passed in May",
                  "Emailed the centre twice", "Certificate late", noted_case.service_request_number,
                  "Northgate Training"):
        assert value in page, value


def test_the_clocks_are_shown_for_each_awarding_body_stage(case_at, people, signed_in):
    complaint = case_at(0)
    stage = complaint.current_stage
    page = page_of(signed_in(people[Role.DIRECTOR]), complaint)
    assert f"Acknowledge: \n{to_london(stage.acknowledge_due):%a %-d %b %Y}" in page
    assert f"First response (24 hours): \n{to_london(stage.first_response_due):%a %-d %b %Y %H:%M}" in page
    assert f"Resolve (aim): \n{to_london(stage.respond_due):%a %-d %b %Y}" in page


@pytest.mark.parametrize("role", [Role.TEAM_LEADER, Role.DIRECTOR, Role.PLATFORM_ADMIN])
def test_other_complaint_roles_read_the_case_without_actions(case_at, people, signed_in, role):
    page = page_of(signed_in(people[role]), case_at(0))
    assert "is handled by customer service. You can read this case" in page
    for action in ("Acknowledge</button>", "Assign</button>", "Save</button>", "Close the stage",
                   "Tell the learner we need to contact the centre"):
        assert action not in page


def test_the_stages_role_sees_its_actions(case_at, people, signed_in):
    page = page_of(signed_in(people[Role.TEAM_LEADER]), case_at(1))
    for action in ("Acknowledge</button>", "Assign</button>", "Save</button>", "Extend the deadline",
                   "Tell the learner we need to contact the centre", "Close the stage"):
        assert action in page, action
    assert "team_leader@awarding-body.example" in page  # the assignee list: holders of the stage's role
    assert "customer_service@awarding-body.example" not in page


def test_roles_without_complaints_get_403(case_at, people, signed_in):
    complaint = case_at(0)
    for role in (Role.QUALITY, Role.ASSESSMENT, Role.FINANCE):
        client = signed_in(people[role])
        assert client.get("/admin/complaints/").status_code == 403
        assert client.get(f"/admin/complaints/{complaint.id}").status_code == 403


def test_the_subnav_shows_complaints_to_complaint_roles_only(people, signed_in):
    for role in Role:
        page = signed_in(people[role]).get("/admin/").get_data(as_text=True)
        shown = 'href="/admin/complaints/"' in page
        assert shown is (role in (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR, Role.PLATFORM_ADMIN)), role


def test_a_direct_complaint_from_a_centre_says_so(direct_case, make_centre, people, signed_in):
    centre = make_centre("Riverside College")
    page = page_of(signed_in(people[Role.CUSTOMER_SERVICE]), direct_case(from_centre=centre))
    assert "the centre Riverside College (centre number given on the form)" in page
    assert "Direct to the awarding body" in page
    assert "Contact the centre" not in page  # the complainant is the centre
