"""Signing in and set-password links."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal import audit
from portal.auth.models import AccountStatus, PasswordLink, User, new_session_token
from portal.auth.passwords import MIN_LENGTH, hash_password, is_common_password, verify_password
from portal.background import after_commit
from portal.db import utcnow
from portal.extensions import db
from portal.mail import link_to, queue_email
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES, of_awarding_body
from portal.tokens import new_token, token_hash

# Per-account sign-in throttle (the per-address limit is the route's). A few wrong passwords are free; then
# each one pauses the account's sign-in for longer (1, 2, 4, 8, then 15 minutes at most), so guessing from
# many addresses is slow but an attacker can never keep the holder out for long: a set-password link (from
# "forgot password") ends the pause at once. The holder is emailed when WARN_AFTER wrong passwords are reached.
FREE_FAILURES = 4
LONGEST_PAUSE = timedelta(minutes=15)
WARN_AFTER = 10


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The account with this email, whichever centre it belongs to (sign-in is not tenant-scoped)."""
    # Sign-in comes before any centre: an email is unique across the portal.
    statement = select(User).where(User.email == normalise_email(email)).execution_options(**{ALL_CENTRES: True})
    return db.session.execute(statement).scalar_one_or_none()


def load_session_user(session_id: str) -> User | None:
    """The signed-in account for a session id `<id>:<session token>`, if it may still be signed in."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    # The signed-in person is loaded before their centre is known (and may be awarding-body staff).
    # Its roles come in the same statement: once per request, for this account only.
    statement = (select(User).where(User.id == int(user_id)).options(joinedload(User.role_grants))
                 .execution_options(**{ALL_CENTRES: True}))
    user = db.session.execute(statement).unique().scalar_one_or_none()
    if user is None or not secrets.compare_digest(user.session_token, token) or not may_sign_in(user):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every live session of the account: cookies carry the session token, which changes here."""
    user.session_token = new_session_token()


def may_sign_in(user: User) -> bool:
    """Only active accounts with a password, at an approved centre (or at the awarding body), sign in."""
    if user.status is not AccountStatus.ACTIVE or not user.password_hash:
        return False
    return user.centre is None or user.centre.is_open


def authenticate(email: str, password: str) -> User | None:
    """The account these credentials sign in, or None (for every reason: the message never says which).

    Every wrong password counts against the account, whichever address it comes from; while the account's
    sign-in is paused even the right password is refused (and not checked: a guess then tells nothing).
    """
    user = find_user_by_email(email)
    now = utcnow()
    if user is None or sign_in_paused(user, now):
        verify_password(None, password)  # same cost as a real check, so timing tells nothing
        return None
    if not verify_password(user.password_hash, password):
        count_failure(user, now)
        return None
    if not may_sign_in(user):
        return None
    return user


def sign_in_paused(user: User, now) -> bool:
    """True while wrong passwords (or codes) have paused the account's sign-in."""
    return user.sign_in_paused_until is not None and user.sign_in_paused_until > now


def complete_sign_in(user: User, *, how: str = "") -> None:
    """The person is signed in: the password was right and, where one is owed, so was the second factor.

    Only now does the count of wrong attempts start again: a right password followed by wrong codes keeps
    counting, so knowing the password never buys fresh guesses at the code.
    """
    user.failed_sign_ins, user.sign_in_paused_until = 0, None
    user.last_sign_in_at = utcnow()
    audit.record("signed_in", actor=user, centre_id=user.centre_id, subject=user.email,
                 detail=f"With {how}." if how else "")


def pause_after(failures: int) -> timedelta | None:
    """How long sign-in pauses after `failures` wrong passwords in a row (None: not paused)."""
    if failures <= FREE_FAILURES:
        return None
    return min(timedelta(minutes=2 ** min(failures - FREE_FAILURES - 1, 10)), LONGEST_PAUSE)


def count_failure(user: User, now, *, what: str = "password") -> None:
    """Count one wrong `what` ("password" or "code") against the account: a pause after a few, an email at
    WARN_AFTER."""
    # One UPDATE adds the failure, so wrong passwords arriving together from many addresses all count. Sign-in
    # comes before any centre is current: the account is named by its id.
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_sign_ins=User.failed_sign_ins + 1)
                       .execution_options(synchronize_session=False, **{ALL_CENTRES: True}))
    db.session.refresh(user, ["failed_sign_ins"])
    failures = user.failed_sign_ins
    pause = pause_after(failures)
    if pause is not None:
        user.sign_in_paused_until = now + pause
    if failures == WARN_AFTER and user.status is AccountStatus.ACTIVE:
        audit.record("sign_in_paused", centre_id=user.centre_id, subject=user.email,
                     detail=f"{failures} wrong passwords or codes in a row")
        if what == "code":
            _warn_of_wrong_codes(user, failures)
            return
        queue_email(user.email, "Wrong passwords for your Centre Portal account", (
            f"Hello {user.name},\n\nSomeone has tried to sign in to your Centre Portal account with the wrong "
            f"password {failures} times in a row. To protect it, each further wrong password pauses sign-in "
            f"for up to {LONGEST_PAUSE.seconds // 60} minutes.\n\nIf this was you, wait a few minutes or set a "
            f"new password (it ends the pause at once):\n{link_to('auth.forgot_password')}\n\n"
            "If it was not you, your password has not been given away: nobody signed in. If it keeps happening, "
            "set a new, long password and tell the awarding body.\n"), centre_id=user.centre_id)


def _warn_of_wrong_codes(user: User, failures: int) -> None:
    queue_email(user.email, "Wrong sign-in codes for your Centre Portal account", (
        f"Hello {user.name},\n\nSomeone has entered your Centre Portal password correctly and then wrong "
        f"two-factor codes: {failures} wrong attempts in a row. Nobody signed in: each further wrong code pauses "
        f"sign-in for up to {LONGEST_PAUSE.seconds // 60} minutes.\n\nIf this was not you, someone knows your "
        f"password: set a new one now (it ends the pause):\n{link_to('auth.forgot_password')}\n\n"
        "and tell the awarding body.\n"), centre_id=user.centre_id)


def issue_password_link(user: User, *, reason: str) -> str:
    """Revoke the account's earlier links, make a new one-time link and email it. Returns the token."""
    now = utcnow()
    db.session.execute(update(PasswordLink)
                       .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
                              PasswordLink.revoked_at.is_(None))
                       .values(revoked_at=now))
    token, stored = new_token()
    hours = current_app.config["SET_PASSWORD_LINK_HOURS"]
    db.session.add(PasswordLink(user_id=user.id, token_hash=stored,
                                expires_at=now + timedelta(hours=hours)))
    link = link_to("auth.set_password", token=token)
    where = f" at {user.centre.name}" if user.centre else " at the awarding body"
    queue_email(user.email, "Set your Centre Portal password", (
        f"Hello {user.name},\n\n{reason}\n\nSet your password for your account{where} here:\n{link}\n\n"
        f"The link works once and expires in {hours} hours. If you did not expect this email, ignore it.\n"
    ), centre_id=user.centre_id)
    return token


def find_password_link(token: str) -> PasswordLink | None:
    """The link for this token if it is still usable (not used, revoked or expired)."""
    link = db.session.execute(select(PasswordLink).where(PasswordLink.token_hash == token_hash(token))
                              ).scalar_one_or_none()
    if link is None or link.used_at or link.revoked_at or link.expires_at <= utcnow():
        return None
    if link.user.status is not AccountStatus.ACTIVE:
        return None
    return link


def set_password_from_link(token: str, password: str) -> User:
    """Use a link once: set the password and end any other session of the account."""
    link = find_password_link(token)
    if link is None:
        raise Refused("This link has expired or has already been used. Ask for a new one.")
    check_password_rules(password)
    user = link.user
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    user.failed_sign_ins, user.sign_in_paused_until = 0, None  # the holder proved it is them: no pause
    link.used_at = utcnow()
    audit.record("password_set", actor=user, centre_id=user.centre_id, subject=user.email)
    return user


def request_password_reset(email: str) -> None:
    """Ask for a set-password link for `email`. The request does the same work whether or not the address has
    an account (it only queues a job), so neither its answer nor its timing says which."""
    after_commit("send_password_reset", normalise_email(email))


def email_password_link(email: str) -> None:
    """Email a set-password link if the address has an active account; nothing otherwise (the job
    `send_password_reset` calls this, never the request)."""
    from portal.db import commit

    user = find_user_by_email(email)
    if user is not None and user.status is AccountStatus.ACTIVE:
        issue_password_link(user, reason="Someone (we hope you) asked to reset your password.")
        audit.record("password_reset_requested", centre_id=user.centre_id, subject=user.email)
        commit()


def check_password_rules(password: str) -> None:
    """NCSC-style: long enough, not obviously guessable; no composition rules."""
    if len(password) < MIN_LENGTH:
        raise Refused(f"Use at least {MIN_LENGTH} characters.", field="password")
    if len(set(password)) < 4:
        raise Refused("Use a password that is harder to guess.", field="password")
    if is_common_password(password):
        raise Refused("That password is on a list of passwords that are common or have been leaked, so it is "
                      "easy to guess. Choose another: a few unrelated words make a good one.", field="password")


def awarding_body_staff_with(role) -> list[User]:
    """Active awarding-body accounts holding `role` (who to tell about work for that role)."""
    from portal.auth.models import RoleGrant

    statement = (select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                 .where(of_awarding_body(User), User.status == AccountStatus.ACTIVE, RoleGrant.role == role)
                 .order_by(User.id))
    return list(db.session.execute(statement).scalars())
