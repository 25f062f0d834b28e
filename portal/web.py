"""Request plumbing shared by every area: htmx rendering, roles, errors, security headers."""
from __future__ import annotations

import functools
import logging
import math
import secrets
import time
from collections.abc import Callable

from flask import Flask, abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.exceptions import InternalServerError
from werkzeug.routing import IntegerConverter

from portal.audit import sentence as audit_sentence
from portal.db import commit
from portal.extensions import db, htmx, limiter, login_manager
from portal.forms import apply_refusal, max_length
from portal.rules import Refused
from portal.workdays import to_london

log = logging.getLogger(__name__)

# The largest id any table holds: PostgreSQL's INTEGER (SQLite's is larger). A bigger number in a URL names
# nothing, so it is a 404 — before it reaches the database, which would refuse it with an error.
DB_INT_MAX = 2**31 - 1
MAX_PAGE = 100_000  # no list of the portal has that many pages; a larger page number is a 404


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: at most DB_INT_MAX unless the rule says otherwise."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, DB_INT_MAX if max is None else max, signed)


def page_number(value: str) -> int:
    """`type=` for a `?page=` argument: a number from 1 (anything below is 1); beyond MAX_PAGE, 404."""
    number = int(value)
    if number > MAX_PAGE:
        abort(404)
    return max(number, 1)


def record_id(value: str) -> int:
    """`type=` for an id in a query string: a number that can be an id, else the argument's default."""
    number = int(value)
    if not 1 <= number <= DB_INT_MAX:
        raise ValueError(value)
    return number


def render(template: str, partial: str | None = None, **context):
    """Render the full page, or only `partial` for an htmx request.

    A history-restore request (Back after an htmx swap) gets the full page, never a bare fragment.
    """
    if partial and htmx and not htmx.history_restore_request:
        return render_template(partial, **context)
    return render_template(template, **context)


def partial_or_see_other(partial: str, endpoint: str, *, message: str, error: bool = False,
                         endpoint_values: dict | None = None, **context):
    """Answer a POST: the updated partial with `message` for htmx, else a flash and a 303 to `endpoint`.

    A refusal takes the same path (error=True): an htmx swap must never receive a whole page.
    """
    if htmx and not htmx.history_restore_request:
        return render_template(partial, notice=message, notice_error=error, **context)
    flash(message, "error" if error else "success")
    return see_other(endpoint, **(endpoint_values or {}))


# --- one pattern for a POST that asks a service to act -----------------------------------------------------
# Every route that changes something goes through `_carry_out`: the service acts; a `Refused` rolls back the
# whole transaction (nothing half-done is ever committed) and its message is shown; otherwise the transaction
# is committed (and its jobs dispatched). A service's `PermissionError` becomes 403 (see `init_app`). The three
# helpers below differ only in how they answer.

class _Outcome:
    __slots__ = ("result", "refused")

    def __init__(self, result=None, refused: Refused | None = None) -> None:
        self.result, self.refused = result, refused


def _carry_out(action: Callable[[], object]) -> _Outcome:
    try:
        result = action()
    except Refused as refused:
        db.session.rollback()
        return _Outcome(refused=refused)
    commit()
    return _Outcome(result)


def _message(done: str | Callable[[object], str], result) -> str:
    return done(result) if callable(done) else done


def save_form(form, action: Callable, *, done: str | Callable[[object], str] | None, then: Callable,
              page: Callable):
    """The POST of a page whose form the person filled in (add, edit, approve, request...).

    Valid: `action(form)`, commit, flash `done` (or `done(result)`; None when `then` shows its own notice) and
    answer `then(result)` (a 303, or the changed part for htmx).
    Invalid or refused: the page again (`page(form)`, 422) with the refusal beside its field or in the error
    summary, and everything typed kept.
    """
    if form.validate_on_submit():
        outcome = _carry_out(lambda: action(form))
        if outcome.refused is None:
            if done is not None:
                flash(_message(done, outcome.result), "success")
            return then(outcome.result)
        apply_refusal(form, outcome.refused)
    return page(form)


def act_on(form, action: Callable, *, done: str | Callable[[object], str], back: Callable, page: Callable):
    """The POST of a form that acts on one record shown with others (a case's actions, a submission's): valid,
    `action(form)`, commit, flash `done` and go `back()` (303).

    A refusal naming one of the form's fields goes beside it and the page is shown again (`page(form)`, 422);
    a refusal of the action as a whole is flashed and the person goes `back()` to the record.
    """
    if form.validate_on_submit():
        outcome = _carry_out(lambda: action(form))
        if outcome.refused is None:
            flash(_message(done, outcome.result), "success")
            return back()
        field = getattr(form, outcome.refused.field, None) if outcome.refused.field else None
        if field is None:
            flash(outcome.refused.message, "error")
            return back()
        field.errors = [*field.errors, outcome.refused.message]
    return page(form)


def attempt(form, action: Callable[[], object], *, done: str | Callable[[object], str],
            invalid: str) -> tuple[str, bool]:
    """A button answered with a partial (see `partial_or_see_other`) or a flash: the message to show and
    whether it is an error. An invalid form gives `invalid`; a refusal, its message."""
    if not form.validate_on_submit():
        return invalid, True
    outcome = _carry_out(action)
    if outcome.refused is not None:
        return outcome.refused.message, True
    return _message(done, outcome.result), False


def form_page(template: str, form, **context):
    """Render a page with a form: 422 when it carries errors (what was typed is kept in the form)."""
    return render_template(template, form=form, **context), 422 if form.errors or form.form_errors else 200


def private_page(response, status: int = 200):
    """A page opened by a secret link: never cached, never sent on as a referrer, never indexed."""
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def see_other(endpoint: str, **values):
    """Redirect with 303 after a POST, so Refresh never repeats it."""
    return redirect(url_for(endpoint, **values), code=303)


def requires_role(*roles) -> Callable:
    """Guard an awarding-body view: signed in, awarding-body staff, holding one of `roles`."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_roles = roles
        return guarded

    return decorate


@pass_context
def page_has_errors(context) -> bool:
    """Whether a form on the page being rendered carries errors: its title then starts with "Error:" (GOV.UK)."""
    return any(isinstance(value, FlaskForm) and (value.errors or value.form_errors)
               for value in context.get_all().values())


def file_size(size: int) -> str:
    """A file's size as both sides of the portal show it: "812 bytes", "37 KB", "2.4 MB" (1 KB = 1,024 bytes)."""
    if size < 1024:
        return f"{size:,} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{math.ceil(size / 1024):,} KB"
    return f"{size / (1024 * 1024):,.1f} MB"


def reference(value) -> Markup:
    """A reference ("C-100001-000009") that never breaks across lines mid-code."""
    return Markup('<span class="ref">{}</span>').format(value)


def _london(moment, fmt: str = "%-d %b %Y %H:%M") -> str:
    return to_london(moment).strftime(fmt) if moment else ""


# Pages opened by a secret link in their URL: never cached, never sent on as a referrer, never indexed.
PRIVATE_ENDPOINTS = frozenset({"auth.set_password", "centre.complaints.track", "centre.complaints.received",
                               "complaints.track", "complaints.received"})
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(), usb=()")


def _security_headers(response):
    if request.endpoint in PRIVATE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    elif request.endpoint != "static" and session.get("_user_id"):
        # A signed-in page: not for the browser's cache, where Back after signing out, or the next person at a
        # shared computer, would find it.
        response.headers["Cache-Control"] = "no-store"
    if current_app.config.get("HSTS_SECONDS"):
        response.headers.setdefault("Strict-Transport-Security",
                                    f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    # One URL serves a full page and an htmx partial: caches must keep them apart.
    response.vary.add("HX-Request")
    return response


def _wait_for_limit() -> str:
    """How long until the breached rate limit lets this address try again, in words ("2 minutes")."""
    current = limiter.current_limit
    seconds = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    if seconds < 120:  # a minute's window can be 61 seconds away: say it exactly
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _error(status: int, title: str, message: str):
    return render_template("error.html", status=status, title=title, message=message), status


def _without_bidi_controls(value):
    """Jinja's finalize: every string a template shows loses bidi embeddings/overrides/isolates, so a name
    stored before input was cleaned cannot read backwards on anyone's page (safe markup is left alone)."""
    if isinstance(value, str) and not value.isascii() and not isinstance(value, Markup):  # the controls are not ASCII
        from portal.forms import BIDI_CONTROLS

        return BIDI_CONTROLS.sub("", value)
    return value


def _server_error(error: InternalServerError):
    """The portal's own page for an unexpected error, with a reference the person can quote (it is in the log
    beside the traceback)."""
    reference = "E-" + secrets.token_hex(4).upper()
    log.error("server error %s on %s %s", reference, request.method, request.path,
              exc_info=getattr(error, "original_exception", None))
    try:
        db.session.rollback()  # a failed statement must not break the layout's own queries
        referrer = request.referrer or ""
        back = referrer if referrer.startswith(request.host_url) and referrer != request.url else None
        page = render_template("errors/500.html", reference=reference, back=back)
    except Exception:  # the layout itself failed (the database is down): a plain page, still with the reference
        log.exception("server error %s: the error page could not use the layout", reference)
        page = (f"<!doctype html><html lang=\"en-GB\"><title>Something went wrong – Centre Portal</title>"
                f"<h1>Something went wrong</h1><p>Nothing you sent was lost if you saw no confirmation: try again "
                f"in a few minutes.</p><p>Reference: <strong>{reference}</strong></p><p><a href=\"/\">Go to the "
                f"Centre Portal home page</a></p></html>")
    response = make_response(page, 500)
    response.headers["Cache-Control"] = "no-store"
    return response


def bound_route_numbers(app: Flask) -> None:
    """Before any blueprint is registered: `<int:...>` in routes stops at DB_INT_MAX."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    """Attach template helpers, error pages and headers."""
    app.jinja_env.filters["london"] = _london
    app.jinja_env.filters["ref"] = reference
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.globals["max_length"] = max_length
    app.jinja_env.globals["audit_sentence"] = audit_sentence
    app.jinja_env.globals["page_has_errors"] = page_has_errors
    app.jinja_env.globals["htmx_version"] = "2.0.11"
    app.jinja_env.finalize = _without_bidi_controls
    app.after_request(_security_headers)
    app.register_error_handler(InternalServerError, _server_error)

    @app.errorhandler(403)
    def forbidden(error):
        return _error(403, "You do not have access to this page",
                      "Your account does not have the role this page needs.")

    @app.errorhandler(PermissionError)
    def refused_by_a_service(error):
        # A domain service's own role check (the routes check first; this is the second line of defence).
        return forbidden(error)

    @app.errorhandler(404)
    def not_found(error):
        return _error(404, "Page not found", "If you typed the web address, check it is correct.")

    @app.errorhandler(413)
    def too_large(error):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return _error(413, "That file is too large", f"Files can be up to {limit} MB.")

    @app.errorhandler(429)
    def too_many(error):
        return _error(429, "Too many attempts", f"Wait {_wait_for_limit()} and try again. Nothing you sent was "
                      "saved.")

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error(400, "Your form expired", "Go back, reload the page and send the form again. "
                      "Nothing was saved.")

    @app.context_processor
    def navigation():
        return {"current_path": request.path}
