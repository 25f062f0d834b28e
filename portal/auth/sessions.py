"""How long a signed-in browser session lives, and the safe place to go after signing in.

The session cookie is signed, not stored on the server, so a copy of it works wherever it is replayed until
the account's session token changes (`User.get_id` carries it): signing out and setting a password rotate
it. On top of that a session ends after IDLE without a request and, whatever the activity, ABSOLUTE after
signing in — both checked here on every request from the times the session carries (a session without them,
made before these rules, has ended).
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, session
from flask_login import login_user, logout_user
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from portal.auth.services import load_session_user
from portal.auth.two_factor import needs_second_step
from portal.db import utcnow

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
TOUCH_EVERY = 60  # seconds: the cookie is rewritten at most this often just to move the idle clock
# Between the right password and the second factor the session holds only this (no signed-in user): which
# account, under which session token, since when, and where to go next. It opens no page.
AWAITING = "awaiting_second_factor"
AWAIT_LIMIT = timedelta(minutes=10)
# Set when the session was established with a second factor (how: code, recovery code, remembered browser).
SECOND_FACTOR = "second_factor"


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def absolute_limit() -> timedelta:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def start() -> None:
    """Call at sign-in, after `login_user`: the session's clocks start now."""
    now = utcnow().timestamp()
    session[SIGNED_IN_AT] = session[SEEN_AT] = now


def establish(user, *, second_factor: str | None = None) -> None:
    """Sign `user` in: a fresh session (nothing carried over from before), its clocks starting now."""
    session.clear()
    login_user(user)
    start()
    if second_factor:
        session[SECOND_FACTOR] = second_factor


def await_second_factor(user, next_url: str | None) -> None:
    """The password was right but a second factor (or an enrolment) is owed: remember whom, sign nobody in."""
    session.clear()
    session[AWAITING] = {"id": user.get_id(), "at": utcnow().timestamp(), "next": next_url}


def awaiting_user():
    """The account whose password was just given, if its second step is still open (10 minutes, and only while
    its session token is unchanged: a sign-out everywhere or a reset closes it)."""
    awaiting = session.get(AWAITING)
    if not isinstance(awaiting, dict) or not isinstance(awaiting.get("at"), int | float):
        return None
    if not 0 <= utcnow().timestamp() - awaiting["at"] < AWAIT_LIMIT.total_seconds():
        return None
    return load_session_user(str(awaiting.get("id", "")))


def awaited_next() -> str | None:
    awaiting = session.get(AWAITING)
    return safe_next(awaiting.get("next")) if isinstance(awaiting, dict) else None


def load_user(session_id: str):
    """flask-login's user loader: the session's account, unless it owes a second factor this session lacks
    (a session from before enrolment, or before the platform admin role): then nobody is signed in."""
    user = load_session_user(session_id)
    if user is not None and not session.get(SECOND_FACTOR) and needs_second_step(user):
        return None
    return user


def check() -> None:
    """Before each request: end a signed-in session that has been idle too long or has lived too long."""
    if "_user_id" not in session:
        return
    now = utcnow().timestamp()
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, int | float) or not isinstance(seen_at, int | float):
        why = "Your session has ended. Sign in again."
    elif now - signed_in_at >= absolute_limit().total_seconds():
        hours = absolute_limit().total_seconds() / 3600
        why = f"You were signed out {hours:g} hours after signing in. Sign in again to carry on."
    elif now - seen_at >= idle_limit().total_seconds():
        minutes = idle_limit().total_seconds() / 60
        why = f"You were signed out after {minutes:g} minutes without activity. Sign in again to carry on."
    else:
        if now - seen_at >= TOUCH_EVERY:
            session[SEEN_AT] = now
        return
    logout_user()
    session.clear()
    flash(why, "info")


# What a browser ignores or rewrites in a URL before following it (WHATWG URL parsing): C0 controls and
# spaces at either end are stripped, tab and newline are removed anywhere, and a backslash is a slash.
_EDGES = "".join(chr(c) for c in range(0x21))
_REMOVED = re.compile(r"[\t\n\r]")


def safe_next(target: str | None) -> str | None:
    """`target` as the browser would follow it, if that is a path of this site; else None.

    Judged after the browser's own clean-up, so `/\t/evil.example` (which a browser reads as `//evil.example`)
    is refused, and only paths that a route of this app answers are accepted.
    """
    if not target:
        return None
    cleaned = _REMOVED.sub("", target.strip(_EDGES)).replace("\\", "/")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in cleaned):
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    try:
        current_app.url_map.bind("portal.invalid").match(parts.path, method="GET")
    except RequestRedirect:
        pass  # a path the app answers with a redirect (a missing trailing slash): still this site
    except (NotFound, MethodNotAllowed):
        return None
    return cleaned
