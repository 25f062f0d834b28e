"""Issue 10 §2: sessions that really end, a per-account sign-in limit, `next` as the browser reads it, a
forgot-password that does the same work for every address, no account oracle across centres, common passwords.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.auth import services as auth_services
from portal.auth import sessions
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.auth.services import issue_password_link
from portal.db import commit
from portal.extensions import db
from tests.conftest import PASSWORD, Auth, moving_clock, quality_contact_of

NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture
def member(centre, make_staff):
    return make_staff(centre, name="Mina Member")


@pytest.fixture
def clock(monkeypatch):
    """The time the session rules and the sign-in throttle read; `clock.move(minutes=...)` moves it on."""
    return moving_clock(monkeypatch, sessions, auth_services)


def staff_home(client, centre):
    return client.get(f"/c/{centre.slug}/staff/")


def sign_in_page_message(client) -> str:
    return re.sub(r"\s+", " ", client.get("/sign-in").get_data(as_text=True))


# --- sign-out, idle and absolute limits ------------------------------------------------------------------

def test_a_copied_cookie_opens_nothing_after_sign_out(app, client, centre, member):
    assert Auth(client).sign_in(member).status_code == 303
    copied = client.get_cookie("session").value
    assert staff_home(client, centre).status_code == 200

    assert Auth(client).sign_out().status_code == 303

    replay = app.test_client()
    replay.set_cookie("session", copied)
    response = staff_home(replay, centre)
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_sign_out_ends_the_accounts_other_sessions_too(app, centre, member):
    phone, laptop = app.test_client(), app.test_client()
    Auth(phone).sign_in(member)
    Auth(laptop).sign_in(member)
    Auth(laptop).sign_out()
    assert staff_home(phone, centre).status_code == 302


def test_a_session_ends_after_30_idle_minutes(client, centre, member, clock):
    Auth(client).sign_in(member)
    clock.move(minutes=29)
    assert staff_home(client, centre).status_code == 200
    clock.move(minutes=29)  # 58 minutes after signing in, 29 after the last request: still signed in
    assert staff_home(client, centre).status_code == 200

    clock.move(minutes=30)
    response = staff_home(client, centre)

    assert response.status_code == 302 and response.location.startswith("/sign-in")
    assert "You were signed out after 30 minutes without activity." in sign_in_page_message(client)
    assert staff_home(client, centre).status_code == 302


def test_a_session_ends_8_hours_after_signing_in_however_busy(client, centre, member, clock):
    Auth(client).sign_in(member)
    for _ in range(23):  # a request every 20 minutes: never idle
        clock.move(minutes=20)
        assert staff_home(client, centre).status_code == 200
    clock.move(minutes=19, seconds=59)  # 7 h 59 min 59 s
    assert staff_home(client, centre).status_code == 200

    clock.move(seconds=1)
    response = staff_home(client, centre)

    assert response.status_code == 302
    assert "You were signed out 8 hours after signing in." in sign_in_page_message(client)


def test_a_session_without_its_clocks_has_ended(client, centre, member):
    """A cookie made before these rules (or forged without them) does not live for ever."""
    Auth(client).sign_in(member)
    with client.session_transaction() as session:
        del session[sessions.SIGNED_IN_AT]
    assert staff_home(client, centre).status_code == 302


# --- per-account sign-in limit ---------------------------------------------------------------------------

def from_address(client, n: int):
    return {"environ_base": {"REMOTE_ADDR": f"198.51.100.{n}"}}


def test_fifty_wrong_passwords_from_fifty_addresses_do_not_let_the_right_one_in(app, client, centre, member, clock):
    answers = [client.post("/sign-in", data={"email": member.email, "password": f"guess number {n:02}"},
                           **from_address(client, n)).status_code for n in range(50)]
    assert answers == [422] * 50  # no single address is over its own limit

    right = client.post("/sign-in", data={"email": member.email, "password": PASSWORD}, **from_address(client, 99))

    assert right.status_code == 422
    assert "After several wrong passwords an account pauses sign-in for a few minutes" in right.get_data(as_text=True)
    assert member.last_sign_in_at is None
    clock.move(minutes=1, seconds=1)  # five wrong in a row: paused for one minute
    assert Auth(client).sign_in(member).status_code == 303
    assert member.failed_sign_ins == 0 and member.sign_in_paused_until is None


def test_the_pause_grows_and_never_passes_15_minutes():
    assert [auth_services.pause_after(n) for n in range(1, 5)] == [None] * 4
    minutes = [auth_services.pause_after(n) / timedelta(minutes=1) for n in range(5, 12)]
    assert minutes == [1, 2, 4, 8, 15, 15, 15]
    assert auth_services.pause_after(10_000) == timedelta(minutes=15)


def test_the_holder_is_emailed_once_after_ten_wrong_passwords(app, client, centre, member, clock, mailbox):
    for n in range(12):
        response = client.post("/sign-in", data={"email": member.email, "password": f"guess {n} of many"},
                               **from_address(client, n))
        assert response.status_code == 422
        clock.move(minutes=16)  # past any pause, so every guess counts
    warnings = [m for m in mailbox.to(member.email) if m["Subject"] == "Wrong passwords for your Centre Portal account"]
    assert len(warnings) == 1
    body = warnings[0].get_content()
    assert "10 times in a row" in body and "/forgot-password" in body
    assert "sign_in_paused" in db.session.execute(select(AuditEvent.action)).scalars().all()
    assert member.failed_sign_ins == 12


def test_a_paused_account_refuses_even_the_right_password_in_the_same_words(client, centre, member, clock):
    for n in range(5):
        client.post("/sign-in", data={"email": member.email, "password": f"guess {n} of many"},
                    **from_address(client, n))
    paused = client.post("/sign-in", data={"email": member.email, "password": PASSWORD}, **from_address(client, 50))
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": PASSWORD},
                          **from_address(client, 51))
    summary = re.compile(r'<div class="error-summary".*?</div>', re.S)
    assert paused.status_code == unknown.status_code == 422
    assert summary.search(paused.get_data(as_text=True)).group(0) == summary.search(
        unknown.get_data(as_text=True)).group(0)
    assert member.failed_sign_ins == 5  # guesses during the pause are not even checked


def test_a_new_password_from_the_emailed_link_ends_the_pause_at_once(app, client, centre, member, clock):
    for n in range(9):
        client.post("/sign-in", data={"email": member.email, "password": f"guess {n} of many"},
                    **from_address(client, n))
        clock.move(minutes=16)
    client.post("/sign-in", data={"email": member.email, "password": "one more guess"}, **from_address(client, 9))
    assert member.sign_in_paused_until > clock.now + timedelta(minutes=14)  # the attacker's 15 minutes

    token = issue_password_link(member, reason="Testing.")
    commit()
    assert client.post(f"/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                       ).status_code == 303

    assert Auth(client).sign_in(member, NEW_PASSWORD).status_code == 303


# --- next= ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw_next", [
    "%2F%09%2Fevil.example",  # the reported one: a browser drops the tab and reads //evil.example
    "%2F%0A%2Fevil.example",
    "%2F%0D%0A%2Fevil.example",
    "%20%2F%2Fevil.example",  # leading space, stripped by the browser
    "%00%2F%2Fevil.example",
    "%2F%5C%09evil.example",  # /\<tab>evil.example -> //evil.example
    "%5C%5Cevil.example",
    "https%3A%2F%2Fevil.example",
    "%2Fnot-a-page-of-this-site",
], ids=["tab", "newline", "crlf", "leading-space", "nul", "backslash-tab", "two-backslashes", "absolute",
        "unknown-path"])
def test_next_is_judged_as_the_browser_will_read_it(client, centre, member, raw_next):
    response = client.post(f"/sign-in?next={raw_next}", data={"email": member.email, "password": PASSWORD})

    assert response.status_code == 303
    assert response.location == f"/c/{centre.slug}/staff/"


@pytest.mark.parametrize("raw_next", ["%2Fc%2F{slug}%2Fstaff%2Faccounts%0D%0ASet-Cookie%3A%20a%3Db",
                                      "%2Fc%2F{slug}%2Fstaff%2Faccounts%0A"])
def test_a_newline_in_next_is_not_a_server_error(client, centre, member, raw_next):
    response = client.post(f"/sign-in?next={raw_next.format(slug=centre.slug)}",
                           data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 303
    assert "\n" not in response.location and "\r" not in response.location
    assert response.location.startswith("/") and not response.location.startswith("//")
    assert response.headers.get("Set-Cookie", "").count("a=b") == 0


def test_a_local_path_with_a_query_is_kept(client, centre, member):
    target = f"/c/{centre.slug}/staff/accounts?view=pending"
    response = client.post("/sign-in", query_string={"next": target},
                           data={"email": member.email, "password": PASSWORD})
    assert response.location == target


# --- forgotten password: the same work for every address -------------------------------------------------

def test_forgot_password_does_the_same_work_for_an_account_and_for_none(app, client, member, count_queries,
                                                                        monkeypatch):
    from portal import background

    app.config["JOBS_INLINE"] = False  # as in production: jobs go to the queue
    queued = []
    monkeypatch.setattr(background, "_enqueue", lambda func, args: queued.append((func.__name__, len(args))))
    work = {}
    for label, email in (("account", member.email), ("no account", "nobody@example.org")):
        with count_queries() as statements:
            response = client.post("/forgot-password", data={"email": email})
        assert response.status_code == 200
        work[label] = (len(statements), queued.pop())

    assert work["account"] == work["no account"] == (0, ("send_password_reset", 1))


def test_the_reset_job_sends_the_link_only_to_an_active_account(app, client, member, mailbox):
    client.post("/forgot-password", data={"email": member.email.upper()})
    body = mailbox.last_to(member.email).get_content()
    token = re.search(r"/set-password/([A-Za-z0-9_-]+)", body).group(1)
    assert client.get(f"/set-password/{token}").status_code == 200


# --- staff requests: no oracle across centres ------------------------------------------------------------

def flash_text(response) -> str:
    match = re.search(r'<p class="flash flash-success">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert match, "no success message"
    return re.sub(r"\s+", " ", match.group(1))


@pytest.mark.parametrize("holder", ["other-centre", "awarding-body"])
def test_an_address_used_elsewhere_is_answered_like_a_new_one(app, centre, other_centre, member, make_admin,
                                                              mailbox, holder):
    existing = quality_contact_of(other_centre) if holder == "other-centre" else make_admin("finance")
    qc = quality_contact_of(centre)
    client = app.test_client()
    Auth(client).sign_in(member)
    count = db.session.query(User).count()
    mailbox.clear()

    fresh = client.post(f"/c/{centre.slug}/staff/accounts/new",
                        data={"name": "Priya Shah", "email": "priya@example.org"}, follow_redirects=True)
    taken = client.post(f"/c/{centre.slug}/staff/accounts/new",
                        data={"name": "Priya Shah", "email": existing.email.upper()}, follow_redirects=True)

    assert fresh.status_code == taken.status_code == 200
    assert flash_text(taken).replace(existing.email, "X") == flash_text(fresh).replace("priya@example.org", "X")
    assert "already" not in taken.get_data(as_text=True)
    assert db.session.query(User).count() == count + 1  # only the fresh one
    assert [m["Subject"] for m in mailbox.to(qc.email)] == [f"Staff account request for {centre.name}"]
    [notice] = mailbox.to(existing.email)
    assert notice["Subject"] == f"Staff account request at {centre.name}"
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "staff_request_address_in_use")
                                ).scalars().all()
    assert [(e.centre_id, e.subject) for e in events] == [(None, existing.email)]


def test_an_address_of_this_centre_is_refused_as_this_centres(app, centre, member):
    client = app.test_client()
    Auth(client).sign_in(member)
    response = client.post(f"/c/{centre.slug}/staff/accounts/new",
                           data={"name": "Mina Again", "email": quality_contact_of(centre).email})
    assert response.status_code == 422
    assert "Someone at this centre already has an account with this email address." in response.get_data(as_text=True)


# --- common and breached passwords -----------------------------------------------------------------------

@pytest.mark.parametrize("password", ["password1234", "Password1234", "qwertyuiop123", "iloveyou1234",
                                      "123456789012"])
def test_common_and_breached_passwords_are_refused(app, client, member, password):
    token = issue_password_link(member, reason="Testing.")
    commit()

    response = client.post(f"/set-password/{token}", data={"password": password, "confirm": password})

    assert response.status_code == 422
    assert "on a list of passwords that are common or have been leaked" in response.get_data(as_text=True)
    assert verify_password(member.password_hash, PASSWORD)


def test_an_uncommon_passphrase_is_accepted(app, client, member):
    token = issue_password_link(member, reason="Testing.")
    commit()
    response = client.post(f"/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
