"""Two-factor sign-in: a code from an authenticator app (TOTP, RFC 6238) after the password.

Required for platform admins (they enrol at their next sign-in and can open nothing until they have), offered to
everyone else. Codes of the current 30-second step and one step either side are accepted, and never a step at or
before the last one accepted, so a code (or an older one) seen over a shoulder cannot be used again. Wrong codes
count against the account like wrong passwords (`portal.auth.services.count_failure`). Ten recovery codes, stored
as SHA-256 and each good once, stand in for a lost phone; a platform admin can reset a person's second factor.

A browser can be remembered for at most 30 days: a signed cookie naming the account and a fingerprint of its
secret, so a reset or a new enrolment (a new secret) ends every remembered browser at once.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, or_, select, update

from portal import audit
from portal.auth.models import RecoveryCode, Role, User, new_session_token
from portal.auth.services import count_failure, sign_in_paused
from portal.db import utcnow
from portal.extensions import db
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES

ISSUER = "Centre Portal"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
MAX_REMEMBER_DAYS = 30
STEP_SECONDS = 30
DEVICE_COOKIE = "portal_device"


def required_for(user: User) -> bool:
    """A platform admin must sign in with a second factor."""
    return user.has_role(Role.PLATFORM_ADMIN)


def needs_second_step(user: User) -> bool:
    """After the right password: does this account still owe a code (or an enrolment)?"""
    return user.two_factor_enabled or required_for(user)


def current_step(at: datetime | None = None) -> int:
    """The TOTP time step (30 seconds) of `at`, now by default."""
    return int((at or utcnow()).timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The six-digit code of `secret` for time step `step`."""
    return pyotp.TOTP(secret).generate_otp(step)


# --- enrolment ---------------------------------------------------------------------------------------------

def begin_enrolment(user: User) -> str:
    """The secret to show while enrolling: kept across reloads of the page until confirmed with a code."""
    if user.two_factor_enabled:
        raise Refused("Two-factor sign-in is already set up for this account.")
    if not user.two_factor_secret:
        user.two_factor_secret = pyotp.random_base32()
    return user.two_factor_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.two_factor_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    """The enrolment QR code as inline SVG, made here (no image service, nothing from another site)."""
    svg = segno.make(provisioning_uri(user), error="m").svg_inline(
        scale=5, border=4, light="#fff", title=f"QR code to add {user.email} to an authenticator app")
    return svg.replace("<svg ", '<svg role="img" ', 1)  # segno escapes the title; the rest is its own markup


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch two-factor sign-in on once the person proves their app makes the right codes; returns the
    recovery codes (shown once, never again)."""
    if user.two_factor_enabled or not user.two_factor_secret:
        raise Refused("Start setting up two-factor sign-in again.")
    step = _matching_step(user.two_factor_secret, code)
    if step is None:
        raise Refused("That code does not match. Check the time on your phone is right, then enter the code "
                      "your app shows now.", field="code")
    user.two_factor_enabled_at, user.two_factor_last_step = utcnow(), step
    audit.record("two_factor.enrolled", actor=user, centre_id=user.centre_id, subject=user.email)
    return _new_recovery_codes(user)


def make_new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes (the old ones stop working); returns the new ones."""
    if not user.two_factor_enabled:
        raise Refused("Set up two-factor sign-in first.")
    codes = _new_recovery_codes(user)
    audit.record("two_factor.recovery_codes_replaced", actor=user, centre_id=user.centre_id, subject=user.email)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
             for _ in range(RECOVERY_CODES)]  # 12 characters of 30: about 59 random bits each
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    return codes


def _recovery_hash(code: str) -> str:
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(f"recovery:{normalised}".encode()).hexdigest()


def recovery_codes_left(user: User) -> int:
    return db.session.execute(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()


# --- the second step ---------------------------------------------------------------------------------------

def _matching_step(secret: str, code: str) -> int | None:
    """The time step (now, or one either side) whose code is `code`, or None."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    now = current_step()
    for step in (now - 1, now, now + 1):
        if secrets.compare_digest(code_at(secret, step), code):
            return step
    return None


def check_second_factor(user: User, code: str) -> str | None:
    """How the person proved it is them — "an authenticator code" or "a recovery code" — or None for a wrong,
    reused or paused attempt (a wrong one counts against the account, as a wrong password does)."""
    now = utcnow()
    if sign_in_paused(user, now):
        return None  # not even checked while paused: a guess then tells nothing
    how = _use_code(user, code, now)
    if how is None:
        count_failure(user, now, what="code")
    return how


def _use_code(user: User, code: str, now: datetime) -> str | None:
    step = _matching_step(user.two_factor_secret or "", code)
    if step is not None:
        # One UPDATE takes the step only if no later (or the same) step was used: two requests racing with one
        # code cannot both win, and a code seen earlier never works again.
        taken = db.session.execute(
            update(User).where(User.id == user.id, or_(User.two_factor_last_step.is_(None),
                                                       User.two_factor_last_step < step))
            .values(two_factor_last_step=step)
            .execution_options(synchronize_session=False, **{ALL_CENTRES: True}))
        db.session.refresh(user, ["two_factor_last_step"])
        return "an authenticator code" if taken.rowcount == 1 else None
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.code_hash == _recovery_hash(code))
        .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        return None
    left = recovery_codes_left(user)
    audit.record("two_factor.recovery_code_used", actor=user, centre_id=user.centre_id, subject=user.email,
                 detail=f"{left} recovery code{'' if left == 1 else 's'} left")
    return "a recovery code"


# --- reset by a platform admin -----------------------------------------------------------------------------

def reset(user: User, *, by: User) -> None:
    """Switch off the person's second factor (a lost phone): secret, recovery codes and remembered browsers go,
    their sessions end, and they enrol again at their next sign-in (a platform admin must)."""
    if not by.has_role(Role.PLATFORM_ADMIN):
        raise PermissionError("only a platform admin resets a second factor")
    if user.id == by.id:
        raise Refused("Another platform admin must reset your own two-factor sign-in.")
    if not user.two_factor_secret:
        raise Refused(f"{user.name} has no two-factor sign-in to reset.")
    user.two_factor_secret = user.two_factor_enabled_at = user.two_factor_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_token = new_session_token()
    audit.record("two_factor.reset", actor=by, centre_id=user.centre_id, subject=user.email,
                 detail="Second factor reset: recovery codes and remembered browsers no longer work.")


# --- remembered browsers -----------------------------------------------------------------------------------

def remember_days() -> int:
    """How long a browser is remembered: the configured days, never more than 30."""
    return max(0, min(int(current_app.config.get("TWO_FACTOR_REMEMBER_DAYS", MAX_REMEMBER_DAYS)),
                      MAX_REMEMBER_DAYS))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="portal.two-factor.remembered-browser")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.two_factor_secret}".encode()).hexdigest()[:32]


def remembered_browser_cookie(user: User) -> str:
    """The signed value of the cookie that lets this browser skip the code for `remember_days()`."""
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user), "t": int(utcnow().timestamp())})


def is_remembered(user: User, cookie: str | None) -> bool:
    """True if `cookie` was given to this account, under its current secret, less than `remember_days()` ago."""
    if not cookie or not user.two_factor_enabled:
        return False
    try:
        value = _serializer().loads(cookie)
    except BadSignature:
        return False
    if not isinstance(value, dict) or value.get("u") != user.id or not isinstance(value.get("t"), int):
        return False
    if not secrets.compare_digest(str(value.get("f", "")), _fingerprint(user)):
        return False
    age = utcnow().timestamp() - value["t"]
    return 0 <= age < timedelta(days=remember_days()).total_seconds()
