"""Issue 13 §2: two-factor sign-in. The code window and replay, single-use recovery codes, remembered browsers
that end after 30 days or a reset, platform admins made to enrol, the half-signed-in session that opens nothing,
wrong codes counted like wrong passwords, and the admin's audited reset."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.auth import sessions, two_factor
from portal.auth.models import RecoveryCode, Role, RoleGrant
from portal.db import commit
from portal.extensions import db
from portal.rules import Refused
from tests.conftest import PASSWORD, Auth, enrol_two_factor, moving_clock, quality_contact_of


@pytest.fixture
def clock(monkeypatch):
    """The time the code window, remembered browsers, sessions and the sign-in throttle read."""
    return moving_clock(monkeypatch, two_factor, sessions, auth_services)


@pytest.fixture
def admin(make_admin):
    return make_admin("platform_admin", "quality")


@pytest.fixture
def unenrolled_admin(make_admin):
    person = make_admin("platform_admin")
    person.two_factor_secret = person.two_factor_enabled_at = None
    db.session.commit()
    return person


def code(user, steps_from_now: int = 0) -> str:
    return two_factor.code_at(user.two_factor_secret, two_factor.current_step() + steps_from_now)


def password_step(client, user):
    return client.post("/sign-in", data={"email": user.email, "password": PASSWORD})


def body(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# --- the code: window and replay (service) --------------------------------------------------------------

def test_a_code_is_good_for_its_step_and_one_either_side(admin, clock):
    assert two_factor.check_second_factor(admin, code(admin, -2)) is None
    assert two_factor.check_second_factor(admin, code(admin, 2)) is None
    assert admin.failed_sign_ins == 2  # wrong codes count against the account
    for offset in (-1, 0, 1):  # oldest first: a code older than one already used is refused (see below)
        assert two_factor.check_second_factor(admin, code(admin, offset)) == "an authenticator code", offset


def test_a_code_works_once_and_an_older_one_never_after_a_newer(admin, clock):
    now = code(admin)
    assert two_factor.check_second_factor(admin, now) == "an authenticator code"
    assert two_factor.check_second_factor(admin, now) is None  # the same code again: replay
    assert two_factor.check_second_factor(admin, code(admin, -1)) is None  # still in the window, but older
    clock.move(seconds=30)
    assert two_factor.check_second_factor(admin, code(admin)) == "an authenticator code"


def test_codes_with_spaces_are_read_and_nonsense_is_refused(admin, clock):
    spaced = code(admin)
    assert two_factor.check_second_factor(admin, f"{spaced[:3]} {spaced[3:]}") == "an authenticator code"
    assert two_factor.check_second_factor(admin, "abcdef") is None


def test_the_qr_code_and_key_carry_the_accounts_provisioning_uri(unenrolled_admin):
    secret = two_factor.begin_enrolment(unenrolled_admin)
    assert two_factor.begin_enrolment(unenrolled_admin) == secret  # the same key on every reload of the page
    uri = urlsplit(two_factor.provisioning_uri(unenrolled_admin))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Centre Portal:{unenrolled_admin.email}"
    assert parse_qs(uri.query) == {"secret": [secret], "issuer": ["Centre Portal"]}
    svg = two_factor.qr_svg(unenrolled_admin)
    assert svg.startswith('<svg role="img" ') and "<title>QR code to add" in svg and "<script" not in svg


# --- recovery codes (service) -------------------------------------------------------------------------------

def test_enrolment_needs_a_right_code_and_gives_ten_recovery_codes_stored_hashed(unenrolled_admin, clock):
    two_factor.begin_enrolment(unenrolled_admin)
    with pytest.raises(Refused):
        two_factor.confirm_enrolment(unenrolled_admin, "000000" if code(unenrolled_admin) != "000000" else "111111")
    codes = two_factor.confirm_enrolment(unenrolled_admin, code(unenrolled_admin))
    commit()
    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert len(stored) == 10 and not set(codes) & set(stored) and all(len(h) == 64 for h in stored)
    assert two_factor.check_second_factor(unenrolled_admin, code(unenrolled_admin)) is None  # enrolment's code


def test_each_recovery_code_works_once(unenrolled_admin, clock):
    two_factor.begin_enrolment(unenrolled_admin)
    codes = two_factor.confirm_enrolment(unenrolled_admin, code(unenrolled_admin))
    commit()
    assert two_factor.check_second_factor(unenrolled_admin, codes[0].upper().replace("-", " ")) == "a recovery code"
    assert two_factor.check_second_factor(unenrolled_admin, codes[0]) is None
    assert two_factor.recovery_codes_left(unenrolled_admin) == 9
    replaced = two_factor.make_new_recovery_codes(unenrolled_admin)
    assert two_factor.check_second_factor(unenrolled_admin, codes[1]) is None  # the old set is gone
    assert two_factor.check_second_factor(unenrolled_admin, replaced[1]) == "a recovery code"
    details = db.session.execute(select(AuditEvent.detail).where(
        AuditEvent.action == "two_factor.recovery_code_used")).scalars().all()
    assert details == ["9 recovery codes left", "9 recovery codes left"]


# --- wrong codes count like wrong passwords ----------------------------------------------------------------

def test_wrong_codes_pause_sign_in_and_the_right_password_does_not_buy_more_guesses(
        app, client, admin, clock, mailbox):
    def attempt(n: int, second_factor: str):
        address = {"environ_base": {"REMOTE_ADDR": f"198.51.100.{n}"}}  # never over one address's limit
        client.post("/sign-in", data={"email": admin.email, "password": PASSWORD}, **address)
        return client.post("/sign-in/code", data={"code": second_factor}, **address)

    for n in range(4):
        assert attempt(n, "12345" + str(n)).status_code == 422
    assert admin.failed_sign_ins == 4  # the right password in between did not reset the count
    attempt(4, "999999")
    assert admin.sign_in_paused_until is not None  # five wrong in a row: paused, as after wrong passwords
    right = client.post("/sign-in/code", data={"code": code(admin)}, environ_base={"REMOTE_ADDR": "198.51.100.5"})
    assert right.status_code == 422 and admin.last_sign_in_at is None  # not even checked while paused
    for n in range(6, 11):
        clock.move(minutes=16)
        attempt(n, "999999")
    warning = mailbox.last_to(admin.email)
    assert warning["Subject"] == "Wrong sign-in codes for your Centre Portal account"
    assert "entered your Centre Portal password correctly" in warning.get_content()
    clock.move(minutes=16)
    assert attempt(11, code(admin)).status_code == 303
    assert admin.failed_sign_ins == 0


# --- the sign-in flow (routes) -----------------------------------------------------------------------------

def test_a_half_signed_in_session_opens_no_page(client, admin, centre):
    response = password_step(client, admin)
    assert response.status_code == 303 and response.location == "/sign-in/code"
    for path in ("/admin/", "/admin/people", "/two-factor", f"/c/{centre.slug}/staff/"):
        opened = client.get(path)
        assert opened.status_code in (302, 404) and "/admin" not in (opened.location or ""), path
    assert client.post("/sign-out").status_code == 302  # not signed in: sign-out is a sign-in redirect too
    second = client.get("/sign-in/code")
    assert second.status_code == 200 and "Enter your sign-in code" in body(second)

    signed_in = client.post("/sign-in/code?next=/admin/people", data={"code": code(admin)})
    assert signed_in.status_code == 303 and signed_in.location == "/admin/"
    assert client.get("/admin/people").status_code == 200
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "signed_in")).scalar_one()
    assert event.detail == "With an authenticator code."


def test_next_survives_the_second_step(client, admin):
    client.post("/sign-in?next=/admin/people", data={"email": admin.email, "password": PASSWORD})
    response = client.post("/sign-in/code", data={"code": code(admin)})
    assert response.location == "/admin/people"


def test_the_second_step_closes_after_ten_minutes(client, admin, clock):
    password_step(client, admin)
    clock.move(minutes=10)
    response = client.post("/sign-in/code", data={"code": code(admin)})
    assert response.status_code == 303 and response.location == "/sign-in"
    assert client.get("/admin/").status_code == 302


def test_a_platform_admin_must_enrol_before_any_page_opens(client, unenrolled_admin, clock):
    response = password_step(client, unenrolled_admin)
    assert response.status_code == 303 and response.location == "/two-factor/set-up"
    assert client.get("/admin/").status_code == 302
    assert client.get("/sign-in/code").location == "/two-factor/set-up"
    page = client.get("/two-factor/set-up")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = body(page)
    assert "Platform admins sign in with a code from their phone" in text and '<svg role="img"' in text
    secret = db.session.get(type(unenrolled_admin), unenrolled_admin.id).two_factor_secret
    assert " ".join(re.findall(".{1,4}", secret)) in text  # the key for typing in, in groups of four

    wrong = client.post("/two-factor/set-up", data={"code": "000000" if code(unenrolled_admin) != "000000" else "1"})
    assert wrong.status_code == 422 and "That code does not match" in body(wrong)
    done = client.post("/two-factor/set-up", data={"code": pyotp.TOTP(secret).at(clock.now)})
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10 and done.headers["Cache-Control"] == "no-store"
    assert client.get("/admin/").status_code == 200
    assert "two_factor.enrolled" in db.session.execute(select(AuditEvent.action)).scalars().all()


def test_a_session_that_predates_the_platform_admin_role_ends(client, make_admin):
    person = make_admin("quality")  # needs no second factor: signed in with the password alone
    assert Auth(client).sign_in(person).status_code == 303
    assert client.get("/admin/").status_code == 200
    person.role_grants.append(RoleGrant(role=Role.PLATFORM_ADMIN))
    db.session.commit()
    assert client.get("/admin/").status_code == 302  # sent to sign in again, and so to enrol


def test_centre_staff_may_choose_two_factor_and_their_other_sessions_end(app, centre, clock):
    contact = quality_contact_of(centre)
    phone, laptop = app.test_client(), app.test_client()
    Auth(phone).sign_in(contact)
    assert Auth(laptop).sign_in(contact).status_code == 303  # offered, not required: the password is enough
    assert "Set up two-factor sign-in" in body(laptop.get("/two-factor"))
    laptop.get("/two-factor/set-up")
    secret = db.session.get(type(contact), contact.id).two_factor_secret
    done = laptop.post("/two-factor/set-up", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert "Your recovery codes" in body(done)
    assert laptop.get(f"/c/{centre.slug}/staff/").status_code == 200  # this session proved the code
    assert phone.get(f"/c/{centre.slug}/staff/").status_code == 302  # the password-only one has ended
    assert "You have <strong>10</strong> unused recovery codes" in body(laptop.get("/two-factor"))
    first = re.findall(r"<code>([a-z2-9-]{14})</code>", done.get_data(as_text=True))
    fresh = laptop.post("/two-factor/recovery-codes")
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    second = re.findall(r"<code>([a-z2-9-]{14})</code>", fresh.get_data(as_text=True))
    assert len(second) == 10 and not set(first) & set(second)
    assert password_step(phone, contact).location == "/sign-in/code"


def test_a_recovery_code_signs_in_and_says_how_many_are_left(client, unenrolled_admin, clock):
    two_factor.begin_enrolment(unenrolled_admin)
    codes = two_factor.confirm_enrolment(unenrolled_admin, code(unenrolled_admin))
    commit()
    password_step(client, unenrolled_admin)
    response = client.post("/sign-in/code", data={"code": codes[3]}, follow_redirects=True)
    assert response.status_code == 200 and "You signed in with a recovery code: 9 left." in body(response)


# --- remembered browsers ---------------------------------------------------------------------------------

def test_a_remembered_browser_skips_the_code_for_30_days_and_no_longer(client, admin, clock):
    password_step(client, admin)
    client.post("/sign-in/code", data={"code": code(admin), "remember": "y"})
    cookie = client.get_cookie(two_factor.DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.max_age == 30 * 24 * 3600
    client.post("/sign-out")

    clock.move(days=29, hours=23)
    again = password_step(client, admin)
    assert again.location == "/admin/" and client.get("/admin/").status_code == 200
    assert db.session.execute(select(AuditEvent.detail).where(AuditEvent.action == "signed_in")
                              .order_by(AuditEvent.id.desc())).scalars().first() == "With a remembered browser."
    client.post("/sign-out")
    clock.move(hours=1)  # 30 days after it was remembered
    assert password_step(client, admin).location == "/sign-in/code"


def test_a_remembered_browser_is_bound_to_its_account_and_secret(app, admin, make_admin, clock):
    cookie = two_factor.remembered_browser_cookie(admin)
    assert two_factor.is_remembered(admin, cookie)
    other = make_admin("platform_admin")
    assert not two_factor.is_remembered(other, cookie)
    assert not two_factor.is_remembered(admin, cookie[:-2] + "xx")
    app.config["TWO_FACTOR_REMEMBER_DAYS"] = 365
    assert two_factor.remember_days() == 30  # at most 30 days, whatever the configuration says
    enrol_two_factor(admin)  # a new secret (a reset and a new enrolment): remembered browsers end
    assert not two_factor.is_remembered(admin, cookie)


# --- reset by a platform admin ----------------------------------------------------------------------------

def test_a_platform_admin_resets_a_persons_second_factor_audited(app, client, admin, make_admin, clock):
    person = make_admin("platform_admin", "finance", email="lost.phone@awarding-body.example")
    theirs = app.test_client()
    Auth(theirs).sign_in(person)
    remembered = two_factor.remembered_browser_cookie(person)
    Auth(client).sign_in(admin)
    people = body(client.get("/admin/people"))
    assert "Reset two-factor sign-in<span class=\"visually-hidden\">: Awarding Body</span>" in people

    assert client.post(f"/admin/people/{admin.id}/two-factor/reset", follow_redirects=True).status_code == 200
    assert admin.two_factor_enabled  # nobody resets their own
    response = client.post(f"/admin/people/{person.id}/two-factor/reset", follow_redirects=True)
    assert "Reset Awarding Body&#39;s two-factor sign-in" in body(response)

    assert not person.two_factor_enabled and person.two_factor_secret is None
    assert db.session.execute(select(RecoveryCode).where(RecoveryCode.user_id == person.id)).first() is None
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "two_factor.reset")).scalar_one()
    assert (event.actor_id, event.subject) == (admin.id, person.email)
    assert theirs.get("/admin/").status_code == 302  # their sessions have ended
    assert not two_factor.is_remembered(person, remembered)
    assert password_step(theirs, person).location == "/two-factor/set-up"  # and they must enrol again


def test_only_a_platform_admin_resets_and_centre_staff_are_reset_from_their_centre(client, make_admin, centre):
    contact = quality_contact_of(centre)
    enrol_two_factor(contact)
    db.session.commit()
    with pytest.raises(PermissionError):
        two_factor.reset(contact, by=make_admin("quality"))
    admin = make_admin("platform_admin")
    Auth(client).sign_in(admin)
    assert "Reset two-factor sign-in" in body(client.get(f"/admin/centres/{centre.id}"))
    response = client.post(f"/admin/people/{contact.id}/two-factor/reset")
    assert response.status_code == 303 and response.location == f"/admin/centres/{centre.id}"
    assert not contact.two_factor_enabled
