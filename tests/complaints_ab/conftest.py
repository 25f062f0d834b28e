"""Fixtures for the awarding body's complaint stages: published policies, cases at each stage, staff by role."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.db import commit
from portal.extensions import db
from portal.workdays import Nation
from tenants.complaints import escalation, handling, intake
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Category, Complaint, Route, Subject
from tenants.policy.models import PolicyVersion
from tests.conftest import Auth, quality_contact_of

# A valid direct complaint from a member of the public, as the form posts it.
DIRECT_FORM = {"learner_at_centre": "no", "name": "Pat Public", "email": "pat@example.org", "as_centre": "no",
               "centre_number": "", "summary": "Your website lost my certificate order.", "subject": "product_service",
               "category": "website", "key_dates": "Ordered 2 November", "actions_taken": "Phoned customer service",
               "outcome_wanted": "Send the certificate", "confidential": "y", "hp_contact": ""}


def details(**overrides) -> ComplaintDetails:
    values = dict(name="Lena Learner", email="lena@example.org", summary="My certificate is three months late.",
                  subject=Subject.PRODUCT_SERVICE, category=Category.CERTIFICATE_LATE, key_dates="Passed in May",
                  actions_taken="Emailed the centre twice", outcome_wanted="My certificate")
    return ComplaintDetails(**{**values, **overrides})


@pytest.fixture
def publish_policy(app):
    """Give a centre a published policy by inserting the version row (one centre stage unless told)."""

    def publish(centre, stages=(("Investigation", "Complaints officer", 8),)) -> PolicyVersion:
        version = PolicyVersion(centre_id=centre.id, number=1, title=f"{centre.name} complaints policy",
                                acknowledge_days=2, contact_details="complaints@centre.example",
                                stages=[{"name": n, "handler": h, "target_days": d} for n, h, d in stages])
        db.session.add(version)
        db.session.commit()
        return version

    return publish


@dataclass
class People:
    """One awarding-body account per role (and the centre's Quality contact, for centre stages)."""

    by_role: dict

    def __getitem__(self, role: Role) -> User:
        return self.by_role[role]


@pytest.fixture
def people(make_admin) -> People:
    return People({role: make_admin(role.value, email=f"{role.value}@awarding-body.example") for role in Role})


@pytest.fixture
def escalated_case(make_centre, publish_policy, people):
    """A learner-route case escalated to the awarding body's stage 2 (the centre's only stage closed)."""

    def make(centre=None, *, nation: Nation = Nation.ENGLAND, public_body: bool = False, **overrides) -> Complaint:
        centre = centre or make_centre(nation=nation, public_body=public_body)
        if not db.session.execute(select(PolicyVersion).where(PolicyVersion.centre_id == centre.id)).first():
            publish_policy(centre)
        complaint, _ = intake.submit_complaint(centre, details(**overrides))
        commit()
        handling.close_stage(complaint, "We could not find the certificate.", by=quality_contact_of(centre))
        commit()
        escalation.escalate(complaint)
        commit()
        return complaint

    return make


@pytest.fixture
def direct_case(people):
    """A direct complaint (from the public unless a centre is given) at stage one."""

    def make(*, from_centre=None, **overrides) -> Complaint:
        complaint, _ = escalation.submit_direct_complaint(details(**overrides), from_centre=from_centre)
        commit()
        return complaint

    return make


@pytest.fixture
def advance(people):
    """Close the case's current awarding-body stage and ask for the next, `times` times."""

    def go(complaint: Complaint, times: int = 1) -> Complaint:
        for _ in range(times):
            stage = complaint.current_stage
            handling.close_stage(complaint, f"Outcome of {stage.name}.", by=people[stage.role])
            commit()
            handling.learner_asks_next_stage(complaint)
            commit()
        return complaint

    return go


@pytest.fixture
def case_at(escalated_case, direct_case, advance):
    """A case at awarding-body stage `index` (0: stage 2 / stage one, 1: team leader, 2: final)."""

    def make(index: int, route: Route = Route.CENTRE, **kwargs) -> Complaint:
        complaint = escalated_case(**kwargs) if route is Route.CENTRE else direct_case(**kwargs)
        return advance(complaint, index)

    return make


@pytest.fixture
def signed_in(app):
    """A fresh browser signed in as `user`."""

    def sign_in(user):
        client = app.test_client()
        response = Auth(client).sign_in(user)
        assert response.status_code == 303, response.data
        return client

    return sign_in


def reload(complaint: Complaint) -> Complaint:
    db.session.expire_all()
    return db.session.get(Complaint, complaint.id)
