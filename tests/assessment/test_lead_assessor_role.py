"""The lead-assessor role (portal/auth/roles.py): appointed and removed by a platform admin only, on the people page,
every change audited; the role is what lets a person sample."""
from __future__ import annotations

import pytest

from portal.audit import AuditEvent
from portal.auth import roles
from portal.auth.models import Role
from portal.db import commit
from portal.extensions import db
from portal.rules import Refused


def role_events() -> list[tuple[str, str, str]]:
    return list(db.session.execute(db.select(AuditEvent.action, AuditEvent.subject, AuditEvent.detail)
                                   .where(AuditEvent.action.like("role.%")).order_by(AuditEvent.id)).all())


def test_a_platform_admin_appoints_and_removes_a_lead_assessor(make_admin):
    admin, person = make_admin("platform_admin"), make_admin("assessment", email="jo@awarding-body.example")
    roles.appoint(person, Role.LEAD_ASSESSOR, by=admin)
    commit()
    assert person.roles == {Role.ASSESSMENT, Role.LEAD_ASSESSOR}
    with pytest.raises(Refused, match="already a lead assessor"):
        roles.appoint(person, "lead_assessor", by=admin)
    roles.remove(person, "lead_assessor", by=admin)
    commit()
    assert person.roles == {Role.ASSESSMENT}
    with pytest.raises(Refused, match="is not a lead assessor"):
        roles.remove(person, Role.LEAD_ASSESSOR, by=admin)
    assert role_events() == [("role.granted", "jo@awarding-body.example", "Appointed lead assessor."),
                             ("role.removed", "jo@awarding-body.example", "No longer lead assessor.")]


def test_nobody_else_moves_the_role(make_admin):
    person = make_admin("assessment")
    others = [make_admin(*(r.value for r in Role if r is not Role.PLATFORM_ADMIN)), make_admin("lead_assessor")]
    for other in others:
        with pytest.raises(PermissionError):
            roles.appoint(person, Role.LEAD_ASSESSOR, by=other)
        with pytest.raises(PermissionError):
            roles.remove(other, Role.LEAD_ASSESSOR, by=other)  # not even their own
    assert Role.LEAD_ASSESSOR not in person.roles and not role_events()


def test_only_the_appointed_role_and_only_active_awarding_body_staff(make_admin, make_staff, centre):
    admin = make_admin("platform_admin")
    person = make_admin("assessment")
    with pytest.raises(Refused, match="platform admin role is not appointed here"):
        roles.appoint(person, Role.PLATFORM_ADMIN, by=admin)
    with pytest.raises(Refused, match="Only awarding-body staff"):
        roles.appoint(make_staff(centre), Role.LEAD_ASSESSOR, by=admin)
    person.status = "closed"
    db.session.commit()
    with pytest.raises(Refused, match="account is not active"):
        roles.appoint(person, Role.LEAD_ASSESSOR, by=admin)
    assert not role_events()


def test_the_people_page(make_admin, signed_in):
    admin = make_admin("platform_admin", email="boss@awarding-body.example")
    person = make_admin("assessment", email="jo@awarding-body.example")
    client = signed_in(admin)
    page = client.get("/admin/people").get_data(as_text=True)
    assert "Appoint lead assessor<span class=\"visually-hidden\">: Awarding Body</span>" in page
    response = client.post(f"/admin/people/{person.id}/roles", data={"role": "lead_assessor", "change": "appoint"},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Awarding Body is now a lead assessor." in body
    assert '<span class="tag">Lead assessor</span>' in body and "Remove lead assessor" in body
    db.session.refresh(person)
    assert Role.LEAD_ASSESSOR in person.roles
    # A refusal is shown, not swallowed; an empty form changes nothing.
    body = client.post(f"/admin/people/{person.id}/roles", data={"role": "lead_assessor", "change": "appoint"},
                       follow_redirects=True).get_data(as_text=True)
    assert "is already a lead assessor." in body
    body = client.post(f"/admin/people/{person.id}/roles", data={}, follow_redirects=True).get_data(as_text=True)
    assert "Choose the role and whether to appoint or remove it." in body
    body = client.post(f"/admin/people/{person.id}/roles", data={"role": "platform_admin", "change": "appoint"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Choose the role and whether to appoint or remove it." in body  # not a choice on this form
    client.post(f"/admin/people/{person.id}/roles", data={"role": "lead_assessor", "change": "remove"})
    db.session.refresh(person)
    assert person.roles == {Role.ASSESSMENT}


def test_centre_staff_are_not_people_of_the_awarding_body(make_admin, make_staff, centre, signed_in):
    member = make_staff(centre)
    response = signed_in(make_admin("platform_admin")).post(
        f"/admin/people/{member.id}/roles", data={"role": "lead_assessor", "change": "appoint"})
    assert response.status_code == 404


def test_the_role_opens_the_assessment_area_but_not_marking(make_admin, signed_in, centre):
    from tests.assessment.factory import make_submission

    sub = make_submission(centre)
    client = signed_in(make_admin("lead_assessor"))
    assert client.get("/admin/assessment/").status_code == 200
    assert client.get(f"/admin/assessment/submissions/{sub.id}").status_code == 200
    assert client.post(f"/admin/assessment/submissions/{sub.id}/accept").status_code == 403
    assert client.get("/admin/assessment/conflicts").status_code == 403
    assert client.get("/admin/assessment/sampling-policy").status_code == 403
