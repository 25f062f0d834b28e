"""Centre staff pages: staff accounts (approved by the Quality contact), audit log. The overview at /staff/ is
tenants/overview.py's."""
from flask import Blueprint, g, render_template, request
from flask_login import current_user

from portal.audit import AuditEvent, event_name, filter_events, page_of
from portal.auth.models import User
from portal.extensions import db, htmx
from portal.forms import ConfirmForm, LogFilterForm, ReasonForm, choices
from portal.tenancy import get_or_404, scoped_select
from portal.web import attempt, form_page, page_number, partial_or_see_other, save_form, see_other
from tenants.context import require_member, require_quality_contact
from tenants.staff import services
from tenants.staff.forms import StaffRequestForm

bp = Blueprint("staff", __name__)
bp.before_request(require_member)

AUDIT_PAGE = 100


@bp.get("/accounts")
def accounts():
    return render_template("centre/staff.html", centre=g.centre, staff=services.staff_of(g.centre),
                           form=ConfirmForm(), decline_form=ReasonForm())


@bp.route("/accounts/new", methods=["GET", "POST"])
def request_account():
    form = StaffRequestForm()
    # The same words whether or not the address already has an account elsewhere (see the service).
    return save_form(
        form,
        lambda form: services.request_staff_account(g.centre, name=form.name.data, email=form.email.data,
                                                    job_title=form.job_title.data or "", requested_by=current_user),
        done=lambda _: f"Requested an account for {form.name.data.strip()} "
                       f"<{services.normalise_email(form.email.data)}>. If the address can have a new account, the "
                       "request is listed here for the Quality contact to decide; if not, we have emailed the "
                       "address instead.",
        then=lambda _: see_other("centre.staff.accounts"),
        page=lambda form: form_page("centre/staff_request.html", form, centre=g.centre))


EXPIRED = "The form expired: reload the page and try again."


def _account(user_id: int) -> User:
    """An account of this centre, for the Quality contact to decide on."""
    require_quality_contact()
    return get_or_404(User, user_id)


def _decide(user: User, form, decide, done: str):
    """The Quality contact's decision on one account: validate, apply, answer with its row or a redirect."""
    message, error = attempt(form, lambda: decide(user), done=done, invalid=EXPIRED)
    return partial_or_see_other("centre/_staff_row.html", "centre.staff.accounts", message=message.format(user=user),
                                error=error, user=user, form=ConfirmForm(), decline_form=ReasonForm())


@bp.post("/accounts/<int:user_id>/approve")
def approve(user_id: int):
    return _decide(_account(user_id), ConfirmForm(),
                   lambda u: services.approve_staff_account(g.centre, u, by=current_user),
                   "Approved {user.name}: they have been emailed a link to set their password.")


@bp.post("/accounts/<int:user_id>/decline")
def decline(user_id: int):
    """A reason left out (or too long) is an error of the form (GOV.UK): beside the box and in the page's error
    summary — with the row and, out of band, the summary for htmx; the whole page (422) otherwise."""
    user, form = _account(user_id), ReasonForm()
    if form.validate_on_submit():
        return _decide(user, form, lambda u: services.decline_staff_account(g.centre, u, by=current_user,
                                                                            reason=form.reason.data),
                       "Declined the account request for {user.name}.")
    form.reason.id = f"reason-{user.id}"  # each row has its own box: the summary links to this one
    if htmx and not htmx.history_restore_request:
        return render_template("centre/_staff_row.html", user=user, notice="", form=ConfirmForm(), decline_form=form)
    return render_template("centre/staff.html", centre=g.centre, staff=services.staff_of(g.centre),
                           form=ConfirmForm(), decline_form=form), 422


@bp.post("/accounts/<int:user_id>/close")
def close(user_id: int):
    return _decide(_account(user_id), ConfirmForm(),
                   lambda u: services.close_staff_account(g.centre, u, by=current_user),
                   "Closed {user.name}'s account: they are signed out and cannot sign in.")


@bp.get("/audit")
def audit_log():
    require_quality_contact()
    form = LogFilterForm(request.args)
    del form.centre  # the centre's own log
    actions = scoped_select(AuditEvent).with_only_columns(AuditEvent.action).distinct().order_by(AuditEvent.action)
    form.event.choices = choices([("", "Any")] + [(action, event_name(action))
                                                  for action in db.session.execute(actions).scalars()])
    form.validate()
    page = request.args.get("page", 1, type=page_number)
    events, total = page_of(filter_events(scoped_select(AuditEvent), form.log_filters()),
                            (AuditEvent.at.desc(), AuditEvent.id.desc()), page, AUDIT_PAGE)
    return render_template("centre/audit.html", centre=g.centre, events=events, form=form, page=page, total=total,
                           page_size=AUDIT_PAGE)
