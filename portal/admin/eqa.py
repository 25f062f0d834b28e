"""The External Quality Assurer's page (/admin/eqa, SPEC §6.3): centres flagged for their referral rate, with
their rates and the service's, and the visits and actions recorded. Thin routes: the rules are in eqa_services."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.admin import eqa_services
from portal.admin.eqa_models import FollowUpKind
from portal.admin.routes import awarding_body_only
from portal.auth.models import Role
from portal.db import utcnow
from portal.extensions import db
from portal.forms import choices
from portal.web import act_on, requires_role, see_other
from tenants.models import Centre

bp = Blueprint("admin_eqa", __name__)
bp.before_request(awarding_body_only)  # centre staff: 404, as on every /admin page

EQA_ROLES = (Role.EQA, Role.PLATFORM_ADMIN)


def _centre_id(value) -> int | None:
    """The chosen centre's id; None for the "Choose a centre" option."""
    return int(value) if value not in (None, "") else None


class FollowUpForm(FlaskForm):
    centre = SelectField("Centre", coerce=_centre_id, validators=[DataRequired("Choose the centre.")])
    kind = RadioField("What happened", validators=[DataRequired("Choose visit or action.")],
                      choices=choices([(FollowUpKind.VISIT.value, "A visit to the centre"),
                                       (FollowUpKind.ACTION.value, "Another action (for example a call, a review of "
                                                                   "marked work, an improvement plan)")]))
    happened_on = DateField("Date", validators=[DataRequired("Enter the date, for example 27 11 2026.")])
    note = TextAreaField("What it found or did", validators=[DataRequired("Say what it found or did."),
                                                             Length(max=eqa_services.NOTE_MAX)],
                         render_kw={"rows": 4})


def _centre_choices(centres, flagged_ids=frozenset()):
    return choices([("", "Choose a centre")] + [
        (c.id, f"{c.name} ({c.centre_number}){' – flagged' if c.id in flagged_ids else ''}") for c in centres])


def _page(form: FollowUpForm):
    view = eqa_services.overview(utcnow())
    form.centre.choices = _centre_choices(view.centres, {f.centre.id for f in view.flagged})
    status = 422 if form.errors else 200
    return render_template("admin/eqa/index.html", view=view, form=form,
                           describe=eqa_services.describe_rates), status


@bp.get("/eqa")
@requires_role(*EQA_ROLES)
def index():
    return _page(FollowUpForm())


@bp.post("/eqa/follow-ups")
@requires_role(*EQA_ROLES)
def record_follow_up():
    form = FollowUpForm()
    form.centre.choices = _centre_choices(eqa_services.follow_up_centres())

    def action(form):
        centre = db.session.get(Centre, form.centre.data)
        eqa_services.record_follow_up(centre, form.kind.data, form.happened_on.data, form.note.data,
                                      by=current_user, now=utcnow())

    return act_on(form, action, done="Follow-up recorded.", back=lambda: see_other("admin_eqa.index"), page=_page)
