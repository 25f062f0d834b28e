"""Fixtures for the centre side of complaints: a centre with a published policy, complaints made through the form."""
import re

import pytest

from portal.extensions import db
from portal.workdays import Nation
from tenants.policy.models import PolicyVersion

MODEL_STAGES = [
    {"name": "Stage 1: investigation", "handler": "Complaints officer", "target_days": 8},
    {"name": "Stage 2: review", "handler": "Centre manager", "target_days": 2},
    {"name": "Stage 3: final review", "handler": "Head of centre", "target_days": 10},
]


def publish(centre, stages=None, acknowledge_days: int = 2, number: int = 1) -> PolicyVersion:
    """A published policy version for `centre` (what the policy editor's Publish button creates)."""
    version = PolicyVersion(centre_id=centre.id, number=number, title="Complaints policy",
                            acknowledge_days=acknowledge_days, stages=stages or MODEL_STAGES)
    db.session.add(version)
    db.session.commit()
    return version


@pytest.fixture
def policy_centre(make_centre):
    """An English centre taking complaints under the three-stage model (8, 2, 10 working days)."""
    centre = make_centre("Northgate Training")
    publish(centre)
    return centre


@pytest.fixture
def make_policy_centre(make_centre):
    def make(name=None, *, nation=Nation.ENGLAND, public_body=False, stages=None):
        centre = make_centre(name, nation=nation, public_body=public_body)
        publish(centre, stages)
        return centre

    return make


COMPLAINT_FORM = {
    "name": "Sam Smith", "email": "sam@example.org", "enrolment_number": "ABC123",
    "summary": "My assignment feedback was promised in two weeks and never came.", "subject": "centre",
    "category": "process_not_followed", "key_dates": "Submitted 1 October", "actions_taken": "Emailed my tutor",
    "outcome_wanted": "Feedback and an apology", "hp_contact": "",
}


@pytest.fixture
def complain(client, mailbox):
    """Make a complaint through the public form; returns (complaint, token) from the emailed link."""
    from tenants.complaints.models import Complaint

    def make(centre, **changes):
        data = {**COMPLAINT_FORM, **changes}
        response = client.post(f"/c/{centre.slug}/complaints/new", data=data)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        assert "We have received it" in response.get_data(as_text=True)
        body = mailbox.last_to(data["email"]).get_content()
        token = re.search(r"/complaints/track/([A-Za-z0-9_-]+)", body).group(1)
        complaint = db.session.query(Complaint).order_by(Complaint.id.desc()).first()
        return complaint, token

    return make


def act(client, centre, complaint, action: str, **data):
    """A centre-staff action on a case through its form."""
    return client.post(f"/c/{centre.slug}/cases/{complaint.id}/{action}", data=data)

