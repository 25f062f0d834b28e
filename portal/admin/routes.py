"""The awarding body's area: centre applications, centres, staff on a centre's behalf, outbox, audit."""
from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user, login_required

from portal.admin import queries
from portal.admin.dashboard import awarding_body_overview
from portal.admin.forms import AppointQualityContactForm, ApproveCentreForm, RoleForm
from portal.audit import event_name
from portal.auth import roles as appointed
from portal.auth import two_factor
from portal.auth.models import AccountStatus, Role, User
from portal.catalogue import services as catalogue
from portal.catalogue.forms import CentreUnitsForm
from portal.db import utcnow
from portal.extensions import db
from portal.forms import ConfirmForm, LogFilterForm, ReasonForm, choices
from portal.mail import EmailStatus, OutboundEmail
from portal.web import act_on, attempt, form_page, page_number, render, requires_role, save_form, see_other
from tenants import services as centres
from tenants.models import Centre, CentreStatus
from tenants.staff import services as staff
from tenants.staff.forms import StaffRequestForm

bp = Blueprint("admin", __name__)
CENTRE_ROLES = (Role.PLATFORM_ADMIN, Role.QUALITY)


@bp.before_request
@login_required
def awarding_body_only():
    """Centre staff never see the awarding body's pages."""
    if not current_user.is_awarding_body:
        abort(404)


@bp.get("/")
def dashboard():
    """The overview: the parts the person's roles allow, each figure linking to its list (admin/dashboard.py)."""
    return render_template("admin/dashboard.html", overview=awarding_body_overview(current_user, utcnow()))


def _application_or_404(centre_id: int) -> Centre:
    """An application in any state (a decided one shows its outcome)."""
    return db.get_or_404(Centre, centre_id)


def _centre_or_404(centre_id: int) -> Centre:
    """A provisioned centre: an application (applied or declined) has no workspace, slug or staff to manage."""
    centre = db.get_or_404(Centre, centre_id)
    if not centre.is_provisioned:
        abort(404)
    return centre


@bp.get("/applications")
@requires_role(*CENTRE_ROLES)
def applications():
    status = request.args.get("status", CentreStatus.APPLIED.value)
    due = request.args.get("due", "")
    if status not in {s.value for s in CentreStatus} or due not in ("", *queries.DECISION_FILTERS):
        abort(404)
    now = utcnow()
    if due:  # the overview's figures: applications awaiting a decision whose clock is due soon, or overdue
        status, rows = CentreStatus.APPLIED.value, queries.applications_due(due, now)
    else:
        rows = queries.applications(status)
    return render("admin/applications.html", "admin/_applications_table.html", applications=rows,
                  status=status, due=due, statuses=list(CentreStatus), now=now)


@bp.route("/applications/<int:centre_id>", methods=["GET", "POST"])
@requires_role(*CENTRE_ROLES)
def application(centre_id: int):
    centre = _application_or_404(centre_id)
    form = ApproveCentreForm(data=None if request.method == "POST" else _suggested(centre))
    return save_form(
        form, lambda form: centres.approve_application(
            centre, slug=form.slug.data, centre_number=form.centre_number.data,
            quality_contact_name=form.quality_contact_name.data,
            quality_contact_email=form.quality_contact_email.data, by=current_user),
        done=f"{centre.name} is approved. Its Quality contact has been emailed a link to set a password.",
        then=lambda _: see_other("admin.centre", centre_id=centre.id),
        page=lambda form: form_page("admin/application.html", form, centre=centre,
                                    decline_form=ReasonForm(prefix="decline"), now=utcnow()))


@bp.post("/applications/<int:centre_id>/decline")
@requires_role(*CENTRE_ROLES)
def decline_application(centre_id: int):
    centre = _application_or_404(centre_id)
    form = ReasonForm(prefix="decline")
    return act_on(form, lambda f: centres.decline_application(centre, reason=f.reason.data, by=current_user),
                  done=f"Declined the application from {centre.name}; the applicant has been told.",
                  back=lambda: see_other("admin.applications"),
                  page=lambda f: (render_template("admin/application.html", centre=centre, now=utcnow(),
                                                  form=ApproveCentreForm(data=_suggested(centre)), decline_form=f),
                                  422))


def _suggested(centre: Centre) -> dict:
    """The approval form's suggestions for an application: a slug and number, and the applicant as Quality contact."""
    return {"slug": centres.suggest_slug(centre.name), "centre_number": centres.suggest_centre_number(),
            "quality_contact_name": centre.contact_name, "quality_contact_email": centre.contact_email}


@bp.get("/centres")
@requires_role(*CENTRE_ROLES)
def centre_list():
    return render_template("admin/centres.html", centres=queries.provisioned_centres())


def _centre_page(centre: Centre, **forms):
    members = staff.staff_of(centre)
    appoint = forms.pop("appoint_form", None) or AppointQualityContactForm()
    appoint.user_id.choices = choices((u.id, f"{u.name} <{u.email}>") for u in members
                                      if u.status is AccountStatus.ACTIVE and not u.is_quality_contact)
    approved_units, available_units = catalogue.centre_unit_lists(centre)
    units_form = forms.pop("units_form", None) or CentreUnitsForm.for_centre(approved_units, available_units)
    context = {"request_form": StaffRequestForm(prefix="staff"), "status_form": ReasonForm(prefix="status"),
               "appoint_form": appoint, "units_form": units_form, **forms}
    has_errors = any(f.errors or f.form_errors for f in context.values())
    return render_template("admin/centre.html", centre=centre, staff=members, approved_units=approved_units,
                           platform_admin=Role.PLATFORM_ADMIN,
                           available_units=available_units, **context), 422 if has_errors else 200


@bp.get("/centres/<int:centre_id>")
@requires_role(*CENTRE_ROLES)
def centre(centre_id: int):
    return _centre_page(_centre_or_404(centre_id))


@bp.post("/centres/<int:centre_id>/staff")
@requires_role(*CENTRE_ROLES)
def request_staff(centre_id: int):
    """Awarding-body staff ask for an account on the centre's behalf; the Quality contact still decides."""
    centre = _centre_or_404(centre_id)
    return save_form(
        StaffRequestForm(prefix="staff"),
        lambda form: staff.request_staff_account(centre, name=form.name.data, email=form.email.data,
                                                 job_title=form.job_title.data or "", requested_by=current_user),
        done=lambda user: f"Requested an account for {user.name}; the centre's Quality contact decides.",
        then=lambda _: see_other("admin.centre", centre_id=centre.id),
        page=lambda form: _centre_page(centre, request_form=form))


@bp.post("/centres/<int:centre_id>/quality-contact")
@requires_role(*CENTRE_ROLES)
def appoint_quality_contact(centre_id: int):
    centre = _centre_or_404(centre_id)
    form = AppointQualityContactForm()
    members = {u.id: u for u in staff.staff_of(centre)}
    form.user_id.choices = choices((uid, u.name) for uid, u in members.items())
    return save_form(form, lambda form: staff.appoint_quality_contact(centre, members[form.user_id.data],
                                                                      by=current_user),
                     done=lambda _: f"{members[form.user_id.data].name} is now the Quality contact.",
                     then=lambda _: see_other("admin.centre", centre_id=centre.id),
                     page=lambda form: _centre_page(centre, appoint_form=form))


@bp.post("/centres/<int:centre_id>/status/<any(suspended, approved, closed):new_status>")
@requires_role(Role.PLATFORM_ADMIN)
def change_status(centre_id: int, new_status: str):
    centre = _centre_or_404(centre_id)
    return save_form(
        ReasonForm(prefix="status"),
        lambda form: centres.change_status(centre, CentreStatus(new_status), reason=form.reason.data,
                                           by=current_user),
        done=lambda _: f"{centre.name} is now {centre.status.label.lower()}.",
        then=lambda _: see_other("admin.centre", centre_id=centre.id),
        page=lambda form: _centre_page(centre, status_form=form))


@bp.get("/outbox")
@requires_role(Role.PLATFORM_ADMIN)
def outbox():
    form = _log_filter_form(events=[(status.value, status.value.capitalize()) for status in EmailStatus],
                            event_label="Status")
    page = request.args.get("page", 1, type=page_number)
    messages, total = queries.outbox_page(form.log_filters(), page)
    return render_template("admin/outbox.html", messages=messages, form=form, page=page, total=total,
                           page_size=queries.PAGE)


def _log_filter_form(*, events, event_label: str = "Event") -> LogFilterForm:
    """The filters of a log from the query string: centres and events to choose from; a bad date is ignored."""
    form = LogFilterForm(request.args)
    form.centre.choices = choices([("", "Any centre")] + [(c.id, c.name) for c in queries.provisioned_centres()])
    form.event.choices = choices([("", "Any")] + list(events))
    form.event.label.text = event_label
    form.validate()
    return form


@bp.get("/outbox/<int:email_id>")
@requires_role(Role.PLATFORM_ADMIN)
def outbox_message(email_id: int):
    return render_template("admin/outbox_message.html", message=db.get_or_404(OutboundEmail, email_id))


@bp.get("/audit")
@requires_role(Role.PLATFORM_ADMIN)
def audit_log():
    form = _log_filter_form(events=[(action, event_name(action)) for action in queries.audit_actions()])
    page = request.args.get("page", 1, type=page_number)
    events, total = queries.audit_page(form.log_filters(), page)
    return render_template("admin/audit.html", events=events, form=form, page=page, total=total,
                           page_size=queries.PAGE)


@bp.get("/people")
@requires_role(Role.PLATFORM_ADMIN)
def people():
    return render_template("admin/people.html", people=queries.awarding_body_people(), roles=list(Role),
                           platform_admin=Role.PLATFORM_ADMIN,
                           appointed=appointed.APPOINTED_ROLES, role_form=RoleForm(), active=AccountStatus.ACTIVE)


@bp.post("/people/<int:user_id>/roles")
@requires_role(Role.PLATFORM_ADMIN)
def change_role(user_id: int):
    """Appoint or remove an appointed role (the lead assessor): a platform admin's decision, audited."""
    person = db.get_or_404(User, user_id)
    if not person.is_awarding_body:
        abort(404)
    form = RoleForm()

    def change():
        role = Role(form.role.data)
        (appointed.appoint if form.change.data == "appoint" else appointed.remove)(person, role, by=current_user)
        return role

    message, error = attempt(
        form, change,
        done=lambda role: f"{person.name} {'is now a' if form.change.data == 'appoint' else 'is no longer a'} "
                          f"{role.label.lower()}.",
        invalid="Choose the role and whether to appoint or remove it.")
    flash(message, "error" if error else "success")
    return see_other("admin.people")


@bp.post("/people/<int:user_id>/two-factor/reset")
@requires_role(Role.PLATFORM_ADMIN)
def reset_two_factor(user_id: int):
    """Reset a person's second factor (a lost phone): a platform admin's decision, audited. Awarding-body staff
    are listed on the people page, centre staff on their centre's page."""
    person = db.get_or_404(User, user_id)
    message, error = attempt(
        ConfirmForm(), lambda: two_factor.reset(person, by=current_user),
        done=f"Reset {person.name}'s two-factor sign-in: their sessions have ended, and they set it up again when "
             f"they next sign in.", invalid="The form has expired: try again.")
    flash(message, "error" if error else "success")
    if person.is_awarding_body:
        return see_other("admin.people")
    return see_other("admin.centre", centre_id=person.centre_id)
