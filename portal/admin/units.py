"""The unit catalogue (platform admins) and a centre's unit approvals (platform admins, quality), under /admin."""
from flask import Blueprint, flash, request
from flask_login import current_user

from portal.admin.routes import _centre_or_404, _centre_page, awarding_body_only
from portal.auth.models import Role
from portal.catalogue import services
from portal.catalogue.forms import CentreUnitsForm, UnitFilterForm, UnitForm, UnitStatusForm
from portal.catalogue.models import Pathway, Unit
from portal.extensions import db
from portal.web import attempt, form_page, render, requires_role, save_form, see_other

bp = Blueprint("catalogue", __name__)
bp.before_request(awarding_body_only)  # centre staff never see the awarding body's pages (404)
CENTRE_ROLES = (Role.PLATFORM_ADMIN, Role.QUALITY)


@bp.get("/units")
@requires_role(Role.PLATFORM_ADMIN)
def units():
    form = UnitFilterForm(request.args)
    form.validate()
    pathway = Pathway(form.pathway.data) if form.pathway.data and not form.pathway.errors else None
    level = int(form.level.data) if form.level.data and not form.level.errors else None
    rows = services.units(pathway=pathway, level=level)
    return render("catalogue/units.html", "catalogue/_units_table.html", form=form, units=rows,
                  status_form=UnitStatusForm())


@bp.route("/units/new", methods=["GET", "POST"])
@requires_role(Role.PLATFORM_ADMIN)
def add_unit():
    return save_form(UnitForm(), lambda form: services.add_unit(form.details(), by=current_user),
                     done=lambda unit: f"Added unit {unit.code} {unit.title}.",
                     then=lambda _: see_other("catalogue.units"),
                     page=lambda form: form_page("catalogue/unit_form.html", form, unit=None))


def _unit_or_404(unit_id: int) -> Unit:
    return db.get_or_404(Unit, unit_id)  # awarding-body data: no centre owns a unit


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@requires_role(Role.PLATFORM_ADMIN)
def edit_unit(unit_id: int):
    unit = _unit_or_404(unit_id)
    form = UnitForm() if request.method == "POST" else UnitForm.of(unit)
    return save_form(form, lambda form: services.update_unit(unit, form.details(), by=current_user),
                     done=f"Saved unit {unit.code}.", then=lambda _: see_other("catalogue.units"),
                     page=lambda form: form_page("catalogue/unit_form.html", form, unit=unit))


@bp.post("/units/<int:unit_id>/status")
@requires_role(Role.PLATFORM_ADMIN)
def unit_status(unit_id: int):
    unit = _unit_or_404(unit_id)
    form = UnitStatusForm()
    message, error = attempt(
        form, lambda: services.set_unit_active(unit, form.active.data == "yes", by=current_user),
        done=lambda _: f"Unit {unit.code} is now "
                       f"{'active' if unit.active else 'inactive: centres can no longer submit it'}.",
        invalid="Choose active or inactive.")
    flash(message, "error" if error else "success")
    return see_other("catalogue.units")


@bp.post("/centres/<int:centre_id>/units")
@requires_role(*CENTRE_ROLES)
def centre_units(centre_id: int):
    """Approve the centre for units and withdraw approvals (one form of checkboxes on the centre's page)."""
    centre = _centre_or_404(centre_id)
    approved, available = services.centre_unit_lists(centre)
    form = CentreUnitsForm.for_centre(approved, available)

    def change(form):
        return (services.approve_units(centre, form.approve.data, by=current_user),
                services.withdraw_units(centre, form.withdraw.data, by=current_user))

    def done(changes) -> str:
        added, withdrawn = changes
        parts = ([f"approved for {', '.join(u.code for u in added)}"] if added else []) + \
                ([f"no longer approved for {', '.join(u.code for u in withdrawn)}"] if withdrawn else [])
        return f"{centre.name} is {' and '.join(parts)}."

    return save_form(form, change, done=done,
                     then=lambda _: see_other("admin.centre", centre_id=centre.id, _anchor="units"),
                     page=lambda form: _centre_page(centre, units_form=form))
