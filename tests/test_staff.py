"""SPEC §3: staff accounts gated by the centre's Quality contact, through HTTP as the people who use them."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEvent
from portal.auth.models import AccountStatus, User
from portal.auth.passwords import hash_password
from portal.db import utcnow
from portal.extensions import db
from tenants.learners.models import Learner, LearnerStatus
from tests.conftest import PASSWORD, Auth, quality_contact_of

NEW_PASSWORD = "a brand new long passphrase"


# --- helpers ---------------------------------------------------------------------------------------------

def signed_in(app, user):
    """A fresh browser (test client) signed in as `user`."""
    client = app.test_client()
    response = Auth(client).sign_in(user)
    assert response.status_code == 303, response.data
    return client


def account(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)).scalars())


def field_error(page: bytes, field: str) -> str:
    """The error text shown beside `field` (GOV.UK pattern: <p class="field-error" id="<field>-error">)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', page.decode(), re.S)
    assert match, f"no error beside {field}"
    text = html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
    return text.removeprefix("Error:").strip()  # the visually-hidden prefix for screen readers


def error_summary(page: bytes) -> str:
    """The text of the error summary at the top of the page."""
    match = re.search(r'<div class="error-summary".*?</div>', page.decode(), re.S)
    assert match, "no error summary"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))))


def input_value(page: bytes, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page.decode())
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def set_password_token(mailbox, address: str) -> str:
    body = mailbox.last_to(address).get_content()
    match = re.search(r"/set-password/([A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def request_form(name="Priya Shah", email="priya.shah@example.org", job_title="Assessor", prefix=""):
    return {f"{prefix}name": name, f"{prefix}email": email, f"{prefix}job_title": job_title}


@pytest.fixture
def qc(centre):
    return quality_contact_of(centre)


@pytest.fixture
def colleague(centre, make_staff):
    """An active member of staff who is not the Quality contact."""
    return make_staff(centre, name="Colin Colleague")


@pytest.fixture
def pending(centre, colleague):
    """A pending account requested by `colleague`."""
    user = User(centre_id=centre.id, name="Pat Pending", email="pat.pending@example.org",
                status=AccountStatus.PENDING, requested_by_id=colleague.id)
    db.session.add(user)
    db.session.commit()
    return user


def staff_url(centre, path: str = "") -> str:
    return f"/c/{centre.slug}/staff{path}"


# --- requesting an account -------------------------------------------------------------------------------

def test_staff_member_requests_an_account(app, centre, qc, colleague, mailbox):
    client = signed_in(app, colleague)
    assert client.get(staff_url(centre, "/accounts/new")).status_code == 200
    before = utcnow()

    response = client.post(staff_url(centre, "/accounts/new"),
                           data=request_form(email="  Priya.Shah@Example.org "))

    assert response.status_code == 303
    assert response.location == staff_url(centre, "/accounts")
    user = account("priya.shah@example.org")
    assert (user.status, user.centre_id, user.requested_by_id, user.job_title) == (
        AccountStatus.PENDING, centre.id, colleague.id, "Assessor")
    assert user.password_hash is None
    message = mailbox.last_to(qc.email)
    assert message["Subject"] == f"Staff account request for {centre.name}"
    assert "priya.shah@example.org" in message.get_content()
    [event] = audit_events("staff_requested")
    assert (event.actor_id, event.centre_id, event.subject) == (colleague.id, centre.id, "priya.shah@example.org")
    assert before - timedelta(seconds=1) <= event.at <= utcnow()


@pytest.mark.parametrize(("form", "field", "message"), [
    (request_form(name=""), "name", "Enter the person's full name."),
    (request_form(email=""), "email", "Enter an email address."),
    (request_form(email="priya.shah at example"), "email", "Enter an email address like name@example.org."),
    (request_form(job_title="x" * 121), "job_title", "Job title must be 120 characters or fewer"),
], ids=["no-name", "no-email", "bad-email", "long-job-title"])
def test_request_validation_keeps_what_was_typed(app, centre, colleague, mailbox, form, field, message):
    client = signed_in(app, colleague)
    mailbox.clear()

    response = client.post(staff_url(centre, "/accounts/new"), data=form)

    assert response.status_code == 422
    assert field_error(response.data, field) == message
    for name, typed in form.items():
        assert input_value(response.data, name) == typed
    assert db.session.execute(select(User).where(User.status == AccountStatus.PENDING)).first() is None
    assert audit_events("staff_requested") == []
    assert mailbox.messages == []


@pytest.mark.parametrize("existing", ["qc", "colleague-upper-case"])
def test_duplicate_email_at_this_centre_refused_beside_the_field(app, centre, colleague, existing):
    email = {"qc": lambda: quality_contact_of(centre).email,
             "colleague-upper-case": lambda: colleague.email.upper()}[existing]()
    client = signed_in(app, colleague)
    count = db.session.query(User).count()

    response = client.post(staff_url(centre, "/accounts/new"), data=request_form(email=email))

    assert response.status_code == 422
    assert field_error(response.data, "email") == (
        "Someone at this centre already has an account with this email address.")
    assert input_value(response.data, "name") == "Priya Shah"
    assert db.session.query(User).count() == count


@pytest.mark.parametrize("existing", ["other-centre", "awarding-body"])
def test_an_address_used_elsewhere_is_not_revealed_to_a_centre(app, centre, other_centre, colleague, make_admin,
                                                               existing):
    """Issue 10 §2: "already exists" told a centre which addresses other centres (and the awarding body) use."""
    email = {"other-centre": lambda: quality_contact_of(other_centre).email,
             "awarding-body": lambda: make_admin("finance").email}[existing]()
    client = signed_in(app, colleague)
    count = db.session.query(User).count()

    response = client.post(staff_url(centre, "/accounts/new"), data=request_form(email=email))

    assert response.status_code == 303
    assert "already" not in client.get(response.location).get_data(as_text=True)
    assert db.session.query(User).count() == count
    assert audit_events("staff_requested") == []


def test_the_awarding_body_is_told_plainly(app, centre, other_centre, make_admin):
    client = signed_in(app, make_admin("platform_admin"))
    response = client.post(f"/admin/centres/{centre.id}/staff",
                           data=request_form(email=quality_contact_of(other_centre).email, prefix="staff-"))
    assert response.status_code == 422
    assert field_error(response.data, "staff-email") == "An account with this email address already exists."


@pytest.mark.parametrize(("learner_at", "learner_status", "allowed"), [
    ("this-centre", LearnerStatus.IN_PROGRESS, False),
    ("this-centre", LearnerStatus.COMPLETED, True),
    ("other-centre", LearnerStatus.IN_PROGRESS, True),
], ids=["in-progress-here-refused", "completed-here-allowed", "in-progress-elsewhere-allowed"])
def test_learner_in_progress_at_the_centre_cannot_have_a_staff_account(
        app, centre, other_centre, colleague, learner_at, learner_status, allowed):
    where = centre if learner_at == "this-centre" else other_centre
    db.session.add(Learner(centre_id=where.id, first_name="Sam", last_name="Learner", email="Sam.Learner@Example.ORG",
                           enrolment_number="ENR001", status=learner_status))
    db.session.commit()
    client = signed_in(app, colleague)

    response = client.post(staff_url(centre, "/accounts/new"),
                           data=request_form(name="Sam Learner", email="sam.learner@example.org"))

    if allowed:
        assert response.status_code == 303
        assert account("sam.learner@example.org").status is AccountStatus.PENDING
    else:
        assert response.status_code == 422
        assert "registered as a learner at this centre" in field_error(response.data, "email")
        assert account("sam.learner@example.org") is None


@pytest.mark.parametrize("roles", [("platform_admin",), ("quality",)], ids=["platform-admin", "quality"])
def test_awarding_body_requests_on_the_centres_behalf(app, centre, qc, make_admin, mailbox, roles):
    admin = make_admin(*roles)
    client = signed_in(app, admin)

    response = client.post(f"/admin/centres/{centre.id}/staff", data=request_form(prefix="staff-"))

    assert response.status_code == 303
    assert response.location == f"/admin/centres/{centre.id}"
    user = account("priya.shah@example.org")
    assert (user.status, user.centre_id, user.requested_by_id) == (AccountStatus.PENDING, centre.id, admin.id)
    assert mailbox.last_to(qc.email)["Subject"] == f"Staff account request for {centre.name}"
    [event] = audit_events("staff_requested")
    assert (event.actor_id, event.centre_id) == (admin.id, centre.id)

    # The awarding body cannot approve it: the Quality contact still decides.
    assert client.post(staff_url(centre, f"/accounts/{user.id}/approve")).status_code == 404
    qc_client = signed_in(app, qc)
    assert qc_client.post(staff_url(centre, f"/accounts/{user.id}/approve")).status_code == 303
    assert account("priya.shah@example.org").status is AccountStatus.ACTIVE


def test_awarding_body_request_validation_and_roles(app, centre, make_admin):
    client = signed_in(app, make_admin("platform_admin"))
    response = client.post(f"/admin/centres/{centre.id}/staff", data=request_form(email="nope", prefix="staff-"))
    assert response.status_code == 422
    assert field_error(response.data, "staff-email") == "Enter an email address like name@example.org."
    assert input_value(response.data, "staff-name") == "Priya Shah"

    finance = signed_in(app, make_admin("finance"))
    assert finance.post(f"/admin/centres/{centre.id}/staff", data=request_form(prefix="staff-")).status_code == 403
    assert account("priya.shah@example.org") is None


# --- deciding --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "data"), [
    ("approve", {}), ("decline", {"reason": "Not known to us"}), ("close", {}),
])
def test_only_the_quality_contact_decides(app, centre, make_staff, colleague, pending, action, data):
    target = pending if action != "close" else make_staff(centre)
    client = signed_in(app, colleague)

    response = client.post(staff_url(centre, f"/accounts/{target.id}/{action}"), data=data)

    assert response.status_code == 403
    db.session.refresh(target)
    assert target.status is (AccountStatus.PENDING if action != "close" else AccountStatus.ACTIVE)


def test_approve_activates_and_emails_a_one_time_link(app, centre, qc, pending, mailbox):
    client = signed_in(app, qc)

    response = client.post(staff_url(centre, f"/accounts/{pending.id}/approve"))

    assert response.status_code == 303
    assert response.location == staff_url(centre, "/accounts")
    assert "HX-Request" in response.headers["Vary"]
    assert pending.status is AccountStatus.ACTIVE
    assert (pending.decided_by_id, pending.password_hash) == (qc.id, None)
    assert pending.decided_at is not None
    message = mailbox.last_to(pending.email)
    assert message["Subject"] == "Set your Centre Portal password"
    assert "/set-password/" in message.get_content()
    [event] = audit_events("staff_approved")
    assert (event.actor_id, event.centre_id, event.subject) == (qc.id, centre.id, pending.email)


def test_approve_with_htmx_answers_the_row_partial(app, centre, qc, pending):
    client = signed_in(app, qc)

    response = client.post(staff_url(centre, f"/accounts/{pending.id}/approve"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="staff-{pending.id}">')
    assert "<html" not in body
    assert "Active" in body
    assert "HX-Request" in response.headers["Vary"]
    assert pending.status is AccountStatus.ACTIVE


def test_history_restore_gets_a_redirect_not_a_fragment(app, centre, qc, pending):
    client = signed_in(app, qc)
    response = client.post(staff_url(centre, f"/accounts/{pending.id}/approve"),
                           headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert response.status_code == 303


def test_decline_needs_a_reason_and_declined_cannot_sign_in(app, centre, qc, colleague, pending, mailbox):
    client = signed_in(app, qc)

    response = client.post(staff_url(centre, f"/accounts/{pending.id}/decline"), data={"reason": "  "})
    assert response.status_code == 422  # the page again: the error in its summary, above the h1, and beside the box
    assert "Give a reason." in error_summary(response.data)
    assert f'<li><a href="#reason-{pending.id}">Give a reason.</a></li>' in response.get_data(as_text=True)
    assert f'<p class="field-error" id="reason-{pending.id}-error">' in response.get_data(as_text=True)
    assert pending.status is AccountStatus.PENDING
    # With htmx: the row with the error beside the box, and the summary out of band after it.
    response = client.post(staff_url(centre, f"/accounts/{pending.id}/decline"), data={"reason": ""},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="staff-{pending.id}">') and f'id="reason-{pending.id}-error"' in body
    assert '<div id="error-summary-slot" hx-swap-oob="true">' in body and f'href="#reason-{pending.id}"' in body

    response = client.post(staff_url(centre, f"/accounts/{pending.id}/decline"),
                           data={"reason": "Not employed here"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'<tr id="staff-{pending.id}">' in response.get_data(as_text=True)
    assert (pending.status, pending.decision_note, pending.decided_by_id) == (
        AccountStatus.DECLINED, "Not employed here", qc.id)
    assert "Not employed here" in mailbox.last_to(colleague.email).get_content()  # the requester is told
    assert not mailbox.to(pending.email)  # no set-password link
    [event] = audit_events("staff_declined")
    assert (event.actor_id, event.centre_id, event.detail) == (qc.id, centre.id, "Not employed here")

    pending.password_hash = hash_password(PASSWORD)
    db.session.commit()
    Auth(app.test_client()).refused_sign_in(pending)


@pytest.mark.parametrize("decided", [AccountStatus.ACTIVE, AccountStatus.DECLINED, AccountStatus.CLOSED])
@pytest.mark.parametrize("action", ["approve", "decline"])
def test_an_account_already_decided_cannot_be_decided_again(app, centre, qc, pending, mailbox, decided, action):
    pending.status = decided
    db.session.commit()
    client = signed_in(app, qc)
    mailbox.clear()

    response = client.post(staff_url(centre, f"/accounts/{pending.id}/{action}"), data={"reason": "Changed mind"})

    assert response.status_code == 303
    assert f"account is {decided.value}, not waiting for a decision" in " ".join(flashes(client))
    assert pending.status is decided
    assert mailbox.messages == []
    assert audit_events(f"staff_{action}d") == []


def test_quality_contact_cannot_decide_for_another_centre(app, centre, other_centre, qc):
    stranger = User(centre_id=other_centre.id, name="Elsewhere", email="elsewhere@example.org")
    db.session.add(stranger)
    db.session.commit()
    client = signed_in(app, qc)
    assert client.post(staff_url(centre, f"/accounts/{stranger.id}/approve")).status_code == 404
    assert client.post(staff_url(other_centre, f"/accounts/{stranger.id}/approve")).status_code == 404
    assert stranger.status is AccountStatus.PENDING


# --- signing in by status --------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "signs_in"), [
    (AccountStatus.PENDING, False), (AccountStatus.DECLINED, False), (AccountStatus.CLOSED, False),
    (AccountStatus.ACTIVE, True),
])
def test_only_active_accounts_sign_in(app, centre, make_staff, status, signs_in):
    user = make_staff(centre, status=status.value)
    user.password_hash = hash_password(PASSWORD)  # even with a password set directly
    db.session.commit()

    response = Auth(app.test_client()).sign_in(user)

    assert response.status_code == (303 if signs_in else 422)
    assert bool(audit_events("signed_in")) is signs_in


def test_approved_account_signs_in_after_setting_its_password(app, centre, qc, pending, mailbox):
    signed_in(app, qc).post(staff_url(centre, f"/accounts/{pending.id}/approve"))
    person = app.test_client()
    Auth(person).refused_sign_in(pending, NEW_PASSWORD)  # no password yet

    token = set_password_token(mailbox, pending.email)
    assert person.get(f"/set-password/{token}").status_code == 200
    response = person.post(f"/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303

    response = Auth(person).sign_in(pending, NEW_PASSWORD)
    assert response.status_code == 303
    assert response.location == staff_url(centre, "/")
    assert person.get(staff_url(centre, "/")).status_code == 200


# --- closing ---------------------------------------------------------------------------------------------

def test_closing_an_account_ends_its_live_sessions(app, centre, qc, make_staff):
    leaver = make_staff(centre, name="Lee Leaver")
    leaver_browser = signed_in(app, leaver)
    assert leaver_browser.get(staff_url(centre, "/")).status_code == 200

    response = signed_in(app, qc).post(staff_url(centre, f"/accounts/{leaver.id}/close"))
    assert response.status_code == 303

    response = leaver_browser.get(staff_url(centre, "/accounts"))
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")
    assert leaver.status is AccountStatus.CLOSED
    Auth(app.test_client()).refused_sign_in(leaver)
    # History stays: the account row and its audit trail remain.
    [event] = audit_events("staff_closed")
    assert (event.actor_id, event.centre_id, event.subject) == (qc.id, centre.id, leaver.email)
    assert account(leaver.email) is not None


def test_close_with_htmx_answers_the_row(app, centre, qc, make_staff):
    leaver = make_staff(centre)
    response = signed_in(app, qc).post(staff_url(centre, f"/accounts/{leaver.id}/close"),
                                       headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'<tr id="staff-{leaver.id}">' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


def test_quality_contact_cannot_close_their_own_account(app, centre, qc):
    client = signed_in(app, qc)

    response = client.post(staff_url(centre, f"/accounts/{qc.id}/close"))

    assert response.status_code == 303
    assert any("Quality contact's account cannot be closed" in m for m in flashes(client))
    assert qc.status is AccountStatus.ACTIVE
    assert client.get(staff_url(centre, "/")).status_code == 200  # still signed in
    assert audit_events("staff_closed") == []


def test_closing_twice_is_refused(app, centre, qc, make_staff):
    leaver = make_staff(centre, status="closed")
    client = signed_in(app, qc)
    assert client.post(staff_url(centre, f"/accounts/{leaver.id}/close")).status_code == 303
    assert any("already closed" in m for m in flashes(client))
    assert audit_events("staff_closed") == []


# --- the Quality-contact role ----------------------------------------------------------------------------

@pytest.mark.parametrize("roles", [("platform_admin",), ("quality",)], ids=["platform-admin", "quality"])
def test_awarding_body_moves_the_quality_contact_role(app, centre, qc, colleague, make_admin, mailbox, roles):
    admin = make_admin(*roles)

    response = signed_in(app, admin).post(f"/admin/centres/{centre.id}/quality-contact",
                                          data={"user_id": colleague.id})

    assert response.status_code == 303
    assert (colleague.is_quality_contact, qc.is_quality_contact) == (True, False)
    assert quality_contact_of(centre).id == colleague.id
    assert "Quality contact" in mailbox.last_to(colleague.email)["Subject"]
    [event] = audit_events("quality_contact_moved")
    assert (event.actor_id, event.centre_id, event.subject) == (admin.id, centre.id, colleague.email)
    assert qc.email in event.detail

    # The new Quality contact decides; the old one no longer can.
    user = User(centre_id=centre.id, name="Next Hire", email="next.hire@example.org", requested_by_id=qc.id)
    db.session.add(user)
    db.session.commit()
    assert signed_in(app, qc).post(staff_url(centre, f"/accounts/{user.id}/approve")).status_code == 403
    assert signed_in(app, colleague).post(staff_url(centre, f"/accounts/{user.id}/approve")).status_code == 303


@pytest.mark.parametrize("roles", [("customer_service", "team_leader", "director"), ("assessment", "finance")],
                         ids=["escalation-roles", "assessment-and-finance"])
def test_other_awarding_body_roles_cannot_move_the_role(app, centre, qc, colleague, make_admin, roles):
    response = signed_in(app, make_admin(*roles)).post(f"/admin/centres/{centre.id}/quality-contact",
                                                       data={"user_id": colleague.id})
    assert response.status_code == 403
    assert quality_contact_of(centre).id == qc.id


@pytest.mark.parametrize("who", ["quality-contact", "colleague"])
def test_centre_staff_cannot_reach_the_role_route(app, centre, qc, colleague, who):
    client = signed_in(app, qc if who == "quality-contact" else colleague)
    response = client.post(f"/admin/centres/{centre.id}/quality-contact", data={"user_id": colleague.id})
    assert response.status_code == 404
    assert quality_contact_of(centre).id == qc.id


NOT_ACTIVE_MEMBER = "The Quality contact must be an active member of this centre's staff."


@pytest.mark.parametrize(("target", "message"), [
    ("pending", NOT_ACTIVE_MEMBER), ("declined", NOT_ACTIVE_MEMBER), ("closed", NOT_ACTIVE_MEMBER),
    ("already-qc", "is already the Quality contact."),
    ("other-centre", "Not a valid choice."), ("awarding-body", "Not a valid choice."),
    ("unknown-id", "Not a valid choice."),
], ids=["pending", "declined", "closed", "already-qc", "other-centre", "awarding-body", "unknown-id"])
def test_new_quality_contact_must_be_an_active_member_of_the_centre(
        app, centre, other_centre, qc, colleague, make_staff, make_admin, target, message):
    admin = make_admin("platform_admin")
    user_id = {
        "pending": lambda: make_staff(centre, status="pending").id,
        "declined": lambda: make_staff(centre, status="declined").id,
        "closed": lambda: make_staff(centre, status="closed").id,
        "other-centre": lambda: make_staff(other_centre).id,
        "awarding-body": lambda: admin.id,
        "already-qc": lambda: qc.id,
        "unknown-id": lambda: 999_999,
    }[target]()

    response = signed_in(app, admin).post(f"/admin/centres/{centre.id}/quality-contact", data={"user_id": user_id})

    assert response.status_code == 422
    assert message in error_summary(response.data)
    assert quality_contact_of(centre).id == qc.id
    assert audit_events("quality_contact_moved") == []


def test_database_holds_at_most_one_quality_contact_per_centre(app, centre, other_centre, colleague):
    colleague.is_quality_contact = True
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # One per centre, not one overall: both fixture centres have theirs.
    assert quality_contact_of(centre).centre_id == centre.id
    assert quality_contact_of(other_centre).centre_id == other_centre.id


# --- the audit log ---------------------------------------------------------------------------------------

def test_every_event_is_in_the_audit_log(app, centre, other_centre, qc, colleague, make_admin, make_staff):
    admin = make_admin("platform_admin")
    colleague_browser = signed_in(app, colleague)
    colleague_browser.post(staff_url(centre, "/accounts/new"), data=request_form(email="one@example.org"))
    colleague_browser.post(staff_url(centre, "/accounts/new"), data=request_form(email="two@example.org"))
    leaver = make_staff(centre)
    qc_browser = signed_in(app, qc)
    qc_browser.post(staff_url(centre, f"/accounts/{account('one@example.org').id}/approve"))
    qc_browser.post(staff_url(centre, f"/accounts/{account('two@example.org').id}/decline"), data={"reason": "No"})
    qc_browser.post(staff_url(centre, f"/accounts/{leaver.id}/close"))
    signed_in(app, admin).post(f"/admin/centres/{centre.id}/quality-contact", data={"user_id": colleague.id})
    signed_in(app, quality_contact_of(other_centre))  # an event at the other centre

    expected = [
        ("signed_in", colleague.id, colleague.email),
        ("staff_requested", colleague.id, "one@example.org"),
        ("staff_requested", colleague.id, "two@example.org"),
        ("signed_in", qc.id, qc.email),
        ("staff_approved", qc.id, "one@example.org"),
        ("staff_declined", qc.id, "two@example.org"),
        ("staff_closed", qc.id, leaver.email),
        ("quality_contact_moved", admin.id, colleague.email),
    ]
    actions = {action for action, _, _ in expected}
    centre_events = db.session.execute(select(AuditEvent).where(AuditEvent.centre_id == centre.id,
                                                                AuditEvent.action.in_(actions))
                                       .order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.actor_id, e.subject) for e in centre_events] == expected
    assert all(e.at is not None and e.at.tzinfo is not None for e in centre_events)
    [admin_sign_in] = [e for e in audit_events("signed_in") if e.actor_id == admin.id]
    assert admin_sign_in.centre_id is None


def test_quality_contact_reads_only_their_centres_audit_log(app, centre, other_centre, qc, colleague):
    other_qc = quality_contact_of(other_centre)
    signed_in(app, other_qc).post(staff_url(other_centre, "/accounts/new"),
                                  data=request_form(email="elsewhere.request@example.org"))
    signed_in(app, colleague).post(staff_url(centre, "/accounts/new"), data=request_form(email="here@example.org"))
    client = signed_in(app, qc)

    response = client.get(staff_url(centre, "/audit"))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "here@example.org" in page
    assert colleague.email in page
    assert "elsewhere.request@example.org" not in page
    assert other_qc.email not in page
    assert other_centre.name not in page
    assert client.get(staff_url(other_centre, "/audit")).status_code == 404


def test_audit_log_is_for_the_quality_contact_only(app, centre, colleague):
    assert signed_in(app, colleague).get(staff_url(centre, "/audit")).status_code == 403


def test_awarding_body_reads_every_centres_audit_log(app, centre, other_centre, colleague, make_admin):
    signed_in(app, colleague)
    signed_in(app, quality_contact_of(other_centre))
    client = signed_in(app, make_admin("platform_admin"))
    # A centre page visited first must not narrow what the admin's next request sees.
    assert client.get(f"/c/{centre.slug}/").status_code == 200

    response = client.get("/admin/audit")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert colleague.email in page and quality_contact_of(other_centre).email in page
    assert centre.name in page and other_centre.name in page
    assert signed_in(app, make_admin("quality")).get("/admin/audit").status_code == 403
