"""Accounts: signing in, sessions, CSRF, set-password links, forgotten passwords, hashing, email and jobs."""
from __future__ import annotations

import hashlib
import html
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal import create_app
from portal.audit import AuditEvent
from portal.auth.models import AccountStatus, PasswordLink, User
from portal.auth.passwords import hash_password, verify_password
from portal.auth.services import issue_password_link
from portal.config import Config
from portal.db import commit, utcnow
from portal.extensions import db
from portal.mail import EmailStatus, OutboundEmail, queue_email
from tests import services
from tests.conftest import PASSWORD, Auth, free_port, quality_contact_of

NEW_PASSWORD = "a brand new long passphrase"
SIGN_IN_REFUSED = "We could not sign you in with that email address and password."


# --- helpers ---------------------------------------------------------------------------------------------

def signed_in(app, user):
    client = app.test_client()
    response = Auth(client).sign_in(user)
    assert response.status_code == 303, response.data
    return client


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def without_csrf(page: str) -> str:
    """A page with its CSRF tokens blanked out (they carry a timestamp, so two answers never match)."""
    page = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", page)
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+', r"\1", page)


def error_summary(page: bytes) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page.decode(), re.S)
    assert match, "no error summary"
    return text_of(match.group(0))


def field_error(page: bytes, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', page.decode(), re.S)
    assert match, f"no error beside {field}"
    return text_of(match.group(1)).removeprefix("Error:").strip()


def csrf_token(page: bytes) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.decode())
    assert match, "no CSRF token in the form"
    return match.group(1)


def audit_actions() -> list[str]:
    return list(db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def new_link(user) -> str:
    """Issue a set-password link for `user` through the real service; returns the raw token."""
    token = issue_password_link(user, reason="Testing.")
    commit()
    return token


def links_of(user) -> list[PasswordLink]:
    return list(db.session.execute(select(PasswordLink).where(PasswordLink.user_id == user.id)
                                   .order_by(PasswordLink.id)).scalars())


def set_password(client, token: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(f"/set-password/{token}", data={"password": password, "confirm": confirm or password})


def is_signed_in(client, centre) -> bool:
    response = client.get(f"/c/{centre.slug}/staff/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


@pytest.fixture
def qc(centre):
    return quality_contact_of(centre)


@pytest.fixture
def member(centre, make_staff):
    return make_staff(centre, name="Mina Member")


# --- signing in ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["wrong-password", "unknown-email", "pending-account", "empty-password-hash"])
def test_refused_sign_in_says_one_generic_thing(app, client, centre, member, make_staff, case):
    email, password = {
        "wrong-password": (member.email, "not the password at all"),
        "unknown-email": ("nobody@example.org", PASSWORD),
        "pending-account": (make_staff(centre, status="pending").email, PASSWORD),
        "empty-password-hash": (make_staff(centre, status="active").email, PASSWORD),
    }[case]
    if case == "empty-password-hash":
        db.session.execute(select(User).where(User.email == email)).scalar_one().password_hash = None
        db.session.commit()

    response = client.post("/sign-in", data={"email": email, "password": password})

    assert response.status_code == 422
    summary = error_summary(response.data)
    assert summary.startswith(f"There is a problem {SIGN_IN_REFUSED}")
    assert email in response.get_data(as_text=True)  # the address typed is kept
    assert password not in response.get_data(as_text=True)  # the password is not echoed
    assert "signed_in" not in audit_actions()
    assert not is_signed_in(client, centre)


def test_refusals_are_identical_for_known_and_unknown_addresses(client, member):
    known = client.post("/sign-in", data={"email": member.email, "password": "wrong wrong wrong"})
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": "wrong wrong wrong"})
    assert (known.status_code, unknown.status_code) == (422, 422)
    assert error_summary(known.data) == error_summary(unknown.data)
    assert without_csrf(known.get_data(as_text=True).replace(member.email, "X")) == \
        without_csrf(unknown.get_data(as_text=True).replace("nobody@example.org", "X"))


@pytest.mark.parametrize("who", ["centre-staff", "quality-contact", "awarding-body"])
def test_sign_in_lands_on_the_right_home(app, client, centre, member, qc, make_admin, who):
    user = {"centre-staff": member, "quality-contact": qc, "awarding-body": make_admin("finance")}[who]
    before = utcnow()

    response = Auth(client).sign_in(user.email.upper())  # email is case-insensitive

    assert response.status_code == 303
    assert response.location == ("/admin/" if who == "awarding-body" else f"/c/{centre.slug}/staff/")
    assert client.get(response.location).status_code == 200
    assert user.last_sign_in_at >= before - timedelta(seconds=1)
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "signed_in")).scalar_one()
    assert (event.actor_id, event.centre_id) == (user.id, user.centre_id)


@pytest.mark.parametrize(("next_url", "local"), [
    ("/c/{slug}/staff/accounts", True),
    ("//evil.example", False),
    ("https://evil.example", False),
    ("http://evil.example/c/", False),
    ("/\\evil.example", False),
    ("javascript:alert(1)", False),
], ids=["local-path", "scheme-relative", "https", "http", "backslash", "javascript"])
def test_next_only_allows_local_paths(client, centre, member, next_url, local):
    target = next_url.format(slug=centre.slug)

    response = client.post("/sign-in", query_string={"next": target},
                           data={"email": member.email, "password": PASSWORD})

    assert response.status_code == 303
    assert response.location == (target if local else f"/c/{centre.slug}/staff/")


def test_login_required_page_sends_you_back_after_sign_in(client, centre, member):
    response = client.get(f"/c/{centre.slug}/staff/accounts")
    assert response.status_code == 302
    sign_in_url = response.location
    assert sign_in_url.startswith("/sign-in?next=")
    response = client.post(sign_in_url, data={"email": member.email, "password": PASSWORD})
    assert response.location == f"/c/{centre.slug}/staff/accounts"


def test_session_is_renewed_at_sign_in(client, member):
    with client.session_transaction() as session:
        session["planted"] = "before sign-in"

    assert Auth(client).sign_in(member).status_code == 303

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{member.id}:{member.session_token}"


def test_each_browser_is_its_own_session(app, centre, member, qc):
    member_browser = signed_in(app, member)
    signed_in(app, qc)
    stranger = app.test_client()
    assert member_browser.get(f"/c/{centre.slug}/staff/audit").status_code == 403  # still the member, not QC
    assert not is_signed_in(stranger, centre)


def test_sign_out_ends_the_session(client, centre, member):
    Auth(client).sign_in(member)
    response = Auth(client).sign_out()
    assert (response.status_code, response.location) == (303, "/sign-in")
    assert not is_signed_in(client, centre)
    assert audit_actions()[-2:] == ["signed_in", "signed_out"]


def test_production_config_sets_safe_cookie_flags(tmp_path):
    production = create_app(Config, SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite://", UPLOAD_DIR=str(tmp_path))
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert production.config["PASSWORD_HASH_PROFILE"] == "production"
    assert production.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize("app_overrides", [{"SESSION_COOKIE_SECURE": True}], ids=["secure-cookies"])
def test_session_cookie_carries_secure_httponly_samesite(client, member):
    response = Auth(client).sign_in(member)
    assert response.status_code == 303
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"] == "SameSite=Lax"


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 1024}], ids=["1-kB-limit"])
def test_oversized_request_is_refused(client):
    response = client.post("/sign-in", data={"email": "a@example.org", "password": "x" * 4096})
    assert response.status_code == 413


# --- CSRF ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}], ids=["csrf-on"])
def test_sign_in_needs_the_csrf_token(client, centre, member):
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)
    assert member.last_sign_in_at is None
    assert "signed_in" not in audit_actions()
    assert not is_signed_in(client, centre)

    token = csrf_token(client.get("/sign-in").data)
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert is_signed_in(client, centre)


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}], ids=["csrf-on"])
def test_state_changing_staff_post_needs_the_csrf_token(app, centre, qc, make_staff):
    leaver = make_staff(centre)
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").data)
    client.post("/sign-in", data={"email": qc.email, "password": PASSWORD, "csrf_token": token})

    assert client.post(f"/c/{centre.slug}/staff/accounts/{leaver.id}/close").status_code == 400
    assert leaver.status is AccountStatus.ACTIVE
    token = csrf_token(client.get(f"/c/{centre.slug}/staff/accounts").data)
    response = client.post(f"/c/{centre.slug}/staff/accounts/{leaver.id}/close", data={"csrf_token": token})
    assert response.status_code == 303
    assert leaver.status is AccountStatus.CLOSED


# --- set-password links ----------------------------------------------------------------------------------

def test_link_token_is_random_and_only_its_hash_is_stored(app, member):
    tokens = {new_link(member) for _ in range(3)}

    assert len(tokens) == 3
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)  # token_urlsafe(32): 32 random bytes, 43+ characters
    links = links_of(member)
    assert {link.token_hash for link in links} == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM password_link")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert not any(token in stored for token in tokens)
    for link in links:
        assert abs(link.expires_at - link.created_at - timedelta(hours=72)) < timedelta(seconds=5)


def test_link_works_once(app, client, member):
    token = new_link(member)
    assert client.get(f"/set-password/{token}").status_code == 200

    response = set_password(client, token)

    assert response.status_code == 303
    assert response.location.startswith("/sign-in")
    assert verify_password(member.password_hash, NEW_PASSWORD)
    assert "password_set" in audit_actions()
    again = client.get(f"/set-password/{token}")
    assert again.status_code == 410
    assert "This link no longer works" in again.get_data(as_text=True)
    assert set_password(client, token, "another long passphrase").status_code == 410
    assert verify_password(member.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize("why", ["expired", "replaced-by-a-newer-link", "account-closed", "account-declined",
                                 "unknown-token"])
def test_link_that_no_longer_works_answers_410(app, client, centre, member, why):
    token = new_link(member)
    if why == "expired":
        [link] = links_of(member)
        link.expires_at = utcnow() - timedelta(minutes=1)
    elif why == "replaced-by-a-newer-link":
        newer = new_link(member)
        assert client.get(f"/set-password/{newer}").status_code == 200
    elif why in ("account-closed", "account-declined"):
        member.status = AccountStatus(why.removeprefix("account-"))
    else:
        token = "x" * 43
    db.session.commit()

    assert client.get(f"/set-password/{token}").status_code == 410
    assert set_password(client, token).status_code == 410
    assert verify_password(member.password_hash, PASSWORD)  # unchanged


@pytest.mark.parametrize(("password", "confirm", "field", "message"), [
    ("too short", "too short", "password", "Use at least 12 characters."),
    ("aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "password", "Use a password that is harder to guess."),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm", "The two passwords do not match."),
    ("", "", "password", "Enter a password."),
], ids=["too-short", "guessable", "mismatch", "empty"])
def test_password_rules(app, client, member, password, confirm, field, message):
    token = new_link(member)

    response = client.post(f"/set-password/{token}", data={"password": password, "confirm": confirm})

    assert response.status_code == 422
    assert field_error(response.data, field) == message
    assert verify_password(member.password_hash, PASSWORD)
    [link] = links_of(member)
    assert link.used_at is None  # a refused attempt does not use the link up
    assert set_password(client, token).status_code == 303


def test_setting_a_password_ends_other_sessions(app, centre, member):
    elsewhere = signed_in(app, member)
    assert is_signed_in(elsewhere, centre)

    assert set_password(app.test_client(), new_link(member)).status_code == 303

    assert not is_signed_in(elsewhere, centre)
    assert Auth(app.test_client()).sign_in(member, NEW_PASSWORD).status_code == 303
    Auth(app.test_client()).refused_sign_in(member, PASSWORD)


# --- forgotten password ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "gets_link"), [
    ("active", True), ("pending", False), ("declined", False), ("closed", False), ("unknown", False),
])
def test_forgot_password_answers_the_same_and_emails_only_active_accounts(
        app, client, centre, make_staff, mailbox, state, gets_link):
    user = None if state == "unknown" else make_staff(centre, status=state)
    email = user.email if user else "nobody@example.org"
    mailbox.clear()

    response = client.post("/forgot-password", data={"email": email.upper()})
    reference = client.post("/forgot-password", data={"email": "never-registered@example.org"})

    assert response.status_code == reference.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert without_csrf(response.get_data(as_text=True).replace(email.upper(), "X")) == \
        without_csrf(reference.get_data(as_text=True).replace("never-registered@example.org", "X"))
    if gets_link:
        token = re.search(r"/set-password/([A-Za-z0-9_-]+)", mailbox.last_to(email).get_content()).group(1)
        assert client.get(f"/set-password/{token}").status_code == 200
        assert "password_reset_requested" in audit_actions()
    else:
        assert mailbox.messages == []
        assert user is None or links_of(user) == []


def test_forgot_password_is_rate_limited(client, mailbox):
    mailbox.clear()
    answers = [client.post("/forgot-password", data={"email": f"nobody{i}@example.org"}).status_code
               for i in range(6)]
    assert answers == [200] * 5 + [429]
    assert "Too many attempts" in client.post("/forgot-password", data={"email": "x@example.org"}).get_data(
        as_text=True)


def test_sign_in_is_rate_limited(client, member):
    answers = [client.post("/sign-in", data={"email": member.email, "password": "guess number one"}).status_code
               for _ in range(11)]
    assert answers == [422] * 10 + [429]
    # Even the right password is refused while limited, and the page says how long to wait.
    refused = Auth(client).sign_in(member)
    assert refused.status_code == 429
    wait = re.search(r"Wait (\d+) seconds? and try again", refused.get_data(as_text=True))
    assert wait and 1 <= int(wait.group(1)) <= 61, refused.get_data(as_text=True)


def test_only_failed_sign_ins_count_against_the_address(client, member):
    """Colleagues behind one office connection signing in all morning are never refused."""
    auth = Auth(client)
    for _ in range(12):
        assert auth.sign_in(member).status_code == 303
        auth.sign_out()
    wrong = client.post("/sign-in", data={"email": member.email, "password": "guess number one"})
    assert wrong.status_code == 422


# --- password hashing ------------------------------------------------------------------------------------

def test_passwords_are_hashed_with_argon2id(app):
    stored = hash_password(NEW_PASSWORD)
    assert stored.startswith("$argon2id$")
    assert stored != hash_password(NEW_PASSWORD)  # salted
    assert verify_password(stored, NEW_PASSWORD)
    assert not verify_password(stored, NEW_PASSWORD + " ")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$m=8,t=1,p=1$broken"],
                         ids=["none", "empty", "garbage", "truncated"])
def test_a_missing_or_broken_hash_never_verifies(app, stored):
    assert verify_password(stored, "") is False
    assert verify_password(stored, NEW_PASSWORD) is False


# --- email delivery --------------------------------------------------------------------------------------

def _outbox(to: str) -> list[OutboundEmail]:
    # In the order they were queued: without ORDER BY, PostgreSQL returns rows in whatever order its heap holds.
    statement = select(OutboundEmail).where(OutboundEmail.to == to).order_by(OutboundEmail.id)
    return list(db.session.execute(statement).scalars())


def test_queued_email_goes_out_over_smtp(app, mailbox):
    queue_email("someone@example.org", "Hello there", "The body.\n")
    assert mailbox.to("someone@example.org") == []  # nothing leaves before the commit

    commit()

    message = mailbox.last_to("someone@example.org")
    assert message["Subject"] == "Hello there"
    assert message["From"] == app.config["MAIL_SENDER"]
    assert message.get_content().strip() == "The body."
    [row] = _outbox("someone@example.org")
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.SENT, 1, "")
    assert row.sent_at is not None
    assert message["Message-ID"] == row.message_id


@pytest.mark.parametrize("app_overrides", [{"MAIL_SERVER": None}], ids=["no-mail-server"])
def test_without_a_mail_server_email_is_held_in_the_outbox(app, client, centre, member, mailbox):
    signed_in(app, member).post(f"/c/{centre.slug}/staff/accounts/new",
                                data={"name": "Held Person", "email": "held@example.org"})

    [row] = _outbox(quality_contact_of(centre).email)[-1:]
    assert row.subject == f"Staff account request for {centre.name}"
    assert row.status is EmailStatus.HELD
    assert mailbox.messages == []


@pytest.mark.parametrize("app_overrides", [{"MAIL_PORT": free_port()}], ids=["closed-port"])
def test_unreachable_smtp_marks_the_email_and_the_request_still_succeeds(app, centre, member, caplog):
    client = signed_in(app, member)
    caplog.clear()

    with caplog.at_level(logging.ERROR, logger="portal.background"):
        response = client.post(f"/c/{centre.slug}/staff/accounts/new",
                               data={"name": "Una Reachable", "email": "una@example.org"})

    assert response.status_code == 303
    assert db.session.execute(select(User).where(User.email == "una@example.org")).scalar_one().status \
        is AccountStatus.PENDING
    [row] = [r for r in _outbox(quality_contact_of(centre).email) if r.subject.startswith("Staff account")]
    assert row.status is EmailStatus.QUEUED  # left for a retry
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert any("inline job send_email" in record.getMessage() for record in caplog.records)


def test_an_email_job_that_runs_twice_sends_once(app, mailbox):
    from jobs.email import send_email

    row = OutboundEmail(to="twice@example.org", subject="Once only", body="Hello.\n")
    db.session.add(row)
    db.session.commit()

    send_email(row.id)
    send_email(row.id)

    assert len(mailbox.to("twice@example.org")) == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == (EmailStatus.SENT, 1)
    send_email(999_999)  # a vanished row is not an error


# --- jobs after commit -----------------------------------------------------------------------------------

@pytest.mark.parametrize("with_work", [True, False], ids=["after-a-write", "first-thing"])
def test_a_rolled_back_transaction_starts_no_job(app, with_work):
    from portal.background import after_commit

    calls = []
    db.session.commit()
    if with_work:
        db.session.add(AuditEvent(action="probe"))
        db.session.flush()
    after_commit(calls.append, "rolled back")

    db.session.rollback()
    commit()  # a later commit must not pick it up either

    assert calls == []
    assert "probe" not in audit_actions()


def test_a_committed_transaction_runs_its_job_once(app):
    from portal.background import after_commit

    calls = []
    db.session.add(AuditEvent(action="probe"))
    after_commit(calls.append, "committed")
    assert calls == []

    commit()
    commit()

    assert calls == ["committed"]


def test_a_failing_inline_job_is_logged_not_raised(app, caplog):
    from portal.background import after_commit

    def explode():
        raise RuntimeError("boom")

    after_commit(explode)
    with caplog.at_level(logging.ERROR, logger="portal.background"):
        commit()  # does not raise
    [record] = [r for r in caplog.records if r.name == "portal.background"]
    assert record.getMessage() == "inline job explode() failed"
    assert str(record.exc_info[1]) == "boom"


# --- a real Redis queue and a real worker ----------------------------------------------------------------

@pytest.fixture
def redis():
    return services.redis_or_fail()


@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": services.REDIS_URL}], ids=["redis"])
def test_email_through_a_real_redis_queue_and_worker(redis, app, centre, member, mailbox):
    from rq import Queue, SimpleWorker

    assert app.config["JOBS_INLINE"] is False
    client = signed_in(app, member)
    qc_email = quality_contact_of(centre).email
    mailbox.clear()

    response = client.post(f"/c/{centre.slug}/staff/accounts/new", data={"name": "Queued Person",
                                                                          "email": "queued@example.org"})

    assert response.status_code == 303
    [row] = [r for r in _outbox(qc_email) if r.subject.startswith("Staff account")]
    assert row.status is EmailStatus.QUEUED
    assert mailbox.messages == []  # nothing sent inline
    queue = Queue("email", connection=redis)
    jobs = [job for job in queue.get_jobs() if job.args == (row.id,)]
    assert [job.func_name for job in jobs] == ["jobs.email.send_email"]
    assert jobs[0].timeout == 60

    assert SimpleWorker([queue], connection=redis).work(burst=True)

    message = mailbox.last_to(qc_email)
    assert message["Subject"] == f"Staff account request for {centre.name}"
    db.session.refresh(row)
    assert row.status is EmailStatus.SENT
    assert queue.count == 0
