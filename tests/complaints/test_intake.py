"""The learner's intake (SPEC §5.2): triage, validation that loses nothing, references, private links."""
import hashlib
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from tenants.complaints.models import Complaint, Kind, Status, TrackingLink
from tests.complaints.conftest import COMPLAINT_FORM
from tests.conftest import quality_contact_of


@pytest.mark.parametrize("kind, target", [
    ("complaint", "/complaints/new"), ("malpractice", "/complaints/malpractice"),
    ("result_dispute", "/complaints/result-dispute")])
def test_triage_routes_each_kind(client, policy_centre, kind, target):
    response = client.get(f"/c/{policy_centre.slug}/complaints/?step=triage&kind={kind}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/c/{policy_centre.slug}{target}")


def test_triage_without_a_choice_explains(client, policy_centre):
    response = client.get(f"/c/{policy_centre.slug}/complaints/?step=triage")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#kind-0"' in page and 'id="kind-0"' in page


def test_start_page_shows_policy_summary(client, policy_centre):
    page = client.get(f"/c/{policy_centre.slug}/complaints/").get_data(as_text=True)
    assert "Stage 1: investigation" in page and "within 8 working days" in page


def test_invalid_complaint_keeps_everything_typed(client, policy_centre):
    data = {**COMPLAINT_FORM, "email": "not-an-email", "category": ""}
    response = client.post(f"/c/{policy_centre.slug}/complaints/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#email"' in page and 'href="#category"' in page
    for value in ("Sam Smith", "not-an-email", "ABC123", "never came", "Submitted 1 October", "Emailed my tutor",
                  "Feedback and an apology"):
        assert value in page
    assert '<input checked id="subject-0" name="subject"' in page
    assert db.session.execute(select(Complaint)).first() is None


def test_honeypot_refuses_visibly_and_keeps_input(client, policy_centre):
    response = client.post(f"/c/{policy_centre.slug}/complaints/new", data={**COMPLAINT_FORM, "hp_contact": "x"})
    assert response.status_code == 422
    assert "We could not accept the form as it was sent" in response.get_data(as_text=True)
    assert "never came" in response.get_data(as_text=True)


def test_complaint_gets_reference_link_and_notifications(client, policy_centre, complain, mailbox):
    complaint, token = complain(policy_centre)
    assert re.fullmatch(rf"C-{policy_centre.centre_number}-000001", complaint.reference)
    assert complaint.status is Status.OPEN and complaint.policy_version.number == 1
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    stored = db.session.execute(select(TrackingLink.token_hash)).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert mailbox.to(quality_contact_of(policy_centre).email)
    second, _ = complain(policy_centre, email="other@example.org")
    assert second.reference.endswith("000002")


def test_tracking_page_shows_only_that_case(client, policy_centre, complain):
    first, token = complain(policy_centre)
    other, _ = complain(policy_centre, name="Pat Other", email="pat@example.org", summary="A different matter")
    response = client.get(f"/c/{policy_centre.slug}/complaints/track/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert first.reference in page and other.reference not in page and "A different matter" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("token", ["", "x" * 43, "guessed-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_guessed_links_are_refused(client, policy_centre, complain, token):
    complain(policy_centre)
    response = client.get(f"/c/{policy_centre.slug}/complaints/track/{token}")
    assert response.status_code == 404
    if token:
        assert "does not open a complaint" in response.get_data(as_text=True)


def test_another_centres_link_is_refused(client, make_policy_centre, complain):
    a, b = make_policy_centre("A"), make_policy_centre("B")
    _, token = complain(a)
    assert client.get(f"/c/{b.slug}/complaints/track/{token}").status_code == 404
    assert client.get(f"/c/{a.slug}/complaints/track/{token}").status_code == 200


def test_expired_link_is_refused(client, policy_centre, complain):
    from datetime import timedelta

    from portal.db import utcnow

    _, token = complain(policy_centre)
    link = db.session.execute(select(TrackingLink)).scalar_one()
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/c/{policy_centre.slug}/complaints/track/{token}").status_code == 404


def test_resend_revokes_the_old_link_and_says_the_same_either_way(client, policy_centre, complain, mailbox):
    complaint, old = complain(policy_centre)
    url = f"/c/{policy_centre.slug}/complaints/resend-link"
    unknown = client.post(url, data={"reference": "C-000000-000009", "email": "sam@example.org"})
    known = client.post(url, data={"reference": complaint.reference.lower(), "email": "SAM@example.org"})
    assert unknown.status_code == known.status_code == 200
    assert "Check your email" in unknown.get_data(as_text=True) and "Check your email" in known.get_data(as_text=True)
    new = re.search(r"/complaints/track/([A-Za-z0-9_-]+)", mailbox.last_to("sam@example.org").get_content()).group(1)
    assert new != old
    assert client.get(f"/c/{policy_centre.slug}/complaints/track/{old}").status_code == 404
    assert client.get(f"/c/{policy_centre.slug}/complaints/track/{new}").status_code == 200


def test_resend_is_rate_limited(client, policy_centre):
    url = f"/c/{policy_centre.slug}/complaints/resend-link"
    codes = [client.post(url, data={"reference": "C-1", "email": "a@example.org"}).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[-1] == 429


def test_no_published_policy_no_complaints(client, centre):
    page = client.get(f"/c/{centre.slug}/complaints/").get_data(as_text=True)
    assert "not yet published its complaints policy" in page
    response = client.post(f"/c/{centre.slug}/complaints/new", data=COMPLAINT_FORM)
    assert response.status_code == 422
    assert "not yet published" in response.get_data(as_text=True)
    assert "never came" in response.get_data(as_text=True)


def test_suspended_centre_takes_no_complaints(client, policy_centre):
    from tenants.models import CentreStatus

    policy_centre.status = CentreStatus.SUSPENDED
    db.session.commit()
    response = client.post(f"/c/{policy_centre.slug}/complaints/new", data=COMPLAINT_FORM)
    assert response.status_code == 422 and "not accepting complaints" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind, path, prefix, phrase", [
    (Kind.MALPRACTICE, "malpractice", "M", "regulation and compliance team"),
    (Kind.RESULT_DISPUTE, "result-dispute", "R", "within 40 working days")])
def test_referrals_are_recorded_with_next_step(client, policy_centre, mailbox, make_admin, kind, path, prefix, phrase):
    quality = make_admin("quality")
    data = {"name": "Sam Smith", "email": "sam@example.org", "summary": "Answers were shared", "hp_contact": ""}
    assert client.post(f"/c/{policy_centre.slug}/complaints/{path}", data=data).status_code == 200
    case = db.session.execute(select(Complaint)).scalar_one()
    assert case.kind is kind and case.status is Status.REFERRED and not case.stages
    assert case.reference.startswith(f"{prefix}-{policy_centre.centre_number}-")
    assert phrase in case.referral_note and phrase in mailbox.last_to("sam@example.org").get_content()
    told_quality = bool(mailbox.to(quality.email))
    assert told_quality is (kind is Kind.MALPRACTICE)
