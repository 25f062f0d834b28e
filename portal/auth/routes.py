"""Sign in (password, then the second factor where one is owed), sign out, set a password from an emailed link,
set up two-factor sign-in."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from portal import audit
from portal.auth import sessions, two_factor
from portal.auth.forms import EnrolForm, ForgotPasswordForm, SecondStepForm, SetPasswordForm, SignInForm
from portal.auth.services import (
    authenticate,
    complete_sign_in,
    end_sessions,
    find_password_link,
    request_password_reset,
    set_password_from_link,
)
from portal.db import commit
from portal.extensions import limiter
from portal.forms import ConfirmForm
from portal.web import form_page, private_page, save_form

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    """Where a person lands after signing in."""
    if user.is_awarding_body:
        return url_for("admin.dashboard")
    return url_for("centre.staff.dashboard", slug=user.centre.slug)


@bp.route("/sign-in", methods=["GET", "POST"])
# Only failed attempts count against the address: a successful sign-in answers 303 and costs nothing, so people
# sharing one office connection are never refused for signing in.
@limiter.limit("10 per minute; 50 per hour", methods=["POST"], deduct_when=lambda response: response.status_code != 303)
def sign_in():
    # After setting a password the person arrives with ?email=: fill it in for them.
    form = SignInForm(data=None if request.method == "POST" else {"email": request.args.get("email", "")})
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        commit()  # a refusal is recorded too: wrong passwords count against the account
        if user is not None:
            return _after_password(user, sessions.safe_next(request.args.get("next")))
        form.form_errors.append(
            "We could not sign you in with that email address and password. A new account can sign in "
            "only after the centre's Quality contact approves it and you set a password from the email. "
            "After several wrong passwords an account pauses sign-in for a few minutes; setting a new "
            "password from \"Forgotten your password?\" ends the pause.")
    return form_page("auth/sign_in.html", form)


def _after_password(user, next_url: str | None):
    """The password was right: sign in, or ask for the second factor (or the enrolment) first."""
    remembered = two_factor.is_remembered(user, request.cookies.get(two_factor.DEVICE_COOKIE))
    if two_factor.needs_second_step(user) and not remembered:
        sessions.await_second_factor(user, next_url)
        step = "auth.second_step" if user.two_factor_enabled else "auth.set_up_two_factor"
        return redirect(url_for(step), code=303)
    how = "a remembered browser" if remembered else ""
    complete_sign_in(user, how=how)
    commit()
    sessions.establish(user, second_factor=how or None)
    return redirect(next_url or home_for(user), code=303)


def _second_step_over():
    flash("Your sign-in has timed out. Sign in again.", "info")
    return redirect(url_for("auth.sign_in"), code=303)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def second_step():
    """The code after the password. Until it is right nobody is signed in: this session opens no other page."""
    user = sessions.awaiting_user()
    if user is None:
        return _second_step_over()
    if not user.two_factor_enabled:
        return redirect(url_for("auth.set_up_two_factor"), code=303)
    days = two_factor.remember_days()
    form = SecondStepForm()
    form.remember.label.text = f"Remember this browser for {days} days"
    if form.validate_on_submit():
        how = two_factor.check_second_factor(user, form.code.data)
        if how is not None:
            complete_sign_in(user, how=how)
        commit()  # a wrong code is recorded too: it counts against the account as a wrong password does
        if how is not None:
            next_url = sessions.awaited_next()
            sessions.establish(user, second_factor=how)
            if how == "a recovery code":
                left = two_factor.recovery_codes_left(user)
                flash(f"You signed in with a recovery code: {left} left. Make new ones from "
                      "\"Two-factor sign-in\" if you are running out.", "info")
            response = redirect(next_url or home_for(user), code=303)
            if form.remember.data and days:
                response.set_cookie(two_factor.DEVICE_COOKIE, two_factor.remembered_browser_cookie(user),
                                    max_age=days * 24 * 3600, httponly=True, samesite="Lax",
                                    secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
            return response
        form.code.errors = [*form.code.errors, (
            "That code did not work. Enter the code your app shows now (each code works once), or a recovery "
            "code. After several wrong codes sign-in pauses for a few minutes.")]
    return form_page("auth/second_step.html", form, user=user, remember_days=days)


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def set_up_two_factor():
    """Enrol an authenticator app: at sign-in (a platform admin must, before any page opens) or when signed in."""
    signed_in = current_user.is_authenticated
    user = current_user if signed_in else sessions.awaiting_user()
    if user is None:
        return _second_step_over()
    if user.two_factor_enabled:
        return redirect(url_for("auth.two_factor_page") if signed_in else url_for("auth.second_step"), code=303)
    next_url = None if signed_in else sessions.awaited_next()

    def enrol(form):
        codes = two_factor.confirm_enrolment(user, form.code.data)
        if not signed_in:
            complete_sign_in(user, how="an authenticator code, setting it up")
        return codes

    def signed_in_now(codes):
        if signed_in:
            session[sessions.SECOND_FACTOR] = "an authenticator code"  # this session has proved it too
        else:
            sessions.establish(user, second_factor="an authenticator code")
        return private_page(render_template("auth/recovery_codes.html", codes=codes, enrolled=True,
                                            next_url=next_url or home_for(user)))

    def page(form):
        secret = two_factor.begin_enrolment(user)  # the same secret on every reload, until confirmed
        commit()
        return private_page(*form_page("auth/set_up_two_factor.html", form, user=user, secret=secret,
                                       qr_svg=two_factor.qr_svg(user), required=two_factor.required_for(user),
                                       signed_in=signed_in))

    return save_form(EnrolForm(), enrol, done=None, then=signed_in_now, page=page)


@bp.get("/two-factor")
@login_required
def two_factor_page():
    """The signed-in person's two-factor sign-in: set it up, or see how many recovery codes are left."""
    return _two_factor_page(ConfirmForm())


@bp.post("/two-factor/recovery-codes")
@login_required
def new_recovery_codes():
    """New recovery codes, shown once; the old ones stop working."""
    return save_form(ConfirmForm(), lambda form: two_factor.make_new_recovery_codes(current_user), done=None,
                     then=lambda codes: private_page(render_template(
                         "auth/recovery_codes.html", codes=codes, enrolled=False,
                         next_url=url_for("auth.two_factor_page"))),
                     page=lambda form: _two_factor_page(form))


def _two_factor_page(form):
    left = two_factor.recovery_codes_left(current_user) if current_user.two_factor_enabled else 0
    return form_page("auth/two_factor.html", form, left=left, required=two_factor.required_for(current_user))


@bp.post("/sign-out")
@login_required
def sign_out():
    ConfirmForm().validate_on_submit()
    audit.record("signed_out", actor=current_user, centre_id=current_user.centre_id,
                 subject=current_user.email)
    end_sessions(current_user)  # every copy of this browser's cookie (and any other) is now dead
    commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"), code=303)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def set_password(token: str):
    link = find_password_link(token)
    if link is None:
        return render_template("auth/link_expired.html"), 410

    def signed_out(user):
        # Whoever was signed in here is signed out first; the message survives the cleared session.
        logout_user()
        session.clear()
        flash("Your password is set. Sign in with it now.", "success")
        return redirect(url_for("auth.sign_in", email=user.email), code=303)

    return save_form(SetPasswordForm(), lambda form: set_password_from_link(token, form.password.data),
                     done=None, then=signed_out,
                     page=lambda form: form_page("auth/set_password.html", form, user=link.user))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        commit()
        return render_template("auth/reset_sent.html", email=form.email.data)
    return form_page("auth/forgot_password.html", form)
