"""Sign in, sign out, set a password from an emailed link."""
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal import audit
from portal.auth import sessions
from portal.auth.forms import ForgotPasswordForm, SetPasswordForm, SignInForm
from portal.auth.services import (
    authenticate,
    end_sessions,
    find_password_link,
    request_password_reset,
    set_password_from_link,
)
from portal.db import commit
from portal.extensions import limiter
from portal.forms import ConfirmForm
from portal.web import form_page, save_form

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
            session.clear()  # a fresh session at sign-in: nothing carried over from before
            login_user(user)
            sessions.start()
            return redirect(sessions.safe_next(request.args.get("next")) or home_for(user), code=303)
        form.form_errors.append(
            "We could not sign you in with that email address and password. A new account can sign in "
            "only after the centre's Quality contact approves it and you set a password from the email. "
            "After several wrong passwords an account pauses sign-in for a few minutes; setting a new "
            "password from \"Forgotten your password?\" ends the pause.")
    return form_page("auth/sign_in.html", form)


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
