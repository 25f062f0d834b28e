"""Awarding-body staff's complaint pages (/admin/complaints): the queue and one case, with the actions of the
awarding body's stages (SPEC §5.3). Each stage is handled by its role; the rules are in tenants/complaints/.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from portal.admin.routes import awarding_body_only
from portal.auth.models import Role, User
from portal.auth.services import awarding_body_staff_with
from portal.clocks import worst_state
from portal.complaints import forms
from portal.complaints.queries import (
    PAGE_SIZE,
    QueueFilters,
    at_awarding_body,
    awarding_body_queue,
    queue_row_clocks,
    stage_clocks,
)
from portal.db import utcnow
from portal.extensions import db
from portal.forms import ConfirmForm, assign_choices
from portal.web import act_on, page_number, render, requires_role, see_other
from tenants.complaints import escalation, handling
from tenants.complaints.models import Audience, Complaint
from tenants.complaints.queries import history
from tenants.complaints.signposting import regulators_for
from tenants.complaints.stages import is_final_awarding_body_stage, nation_of

bp = Blueprint("admin_complaints", __name__)
bp.before_request(awarding_body_only)  # centre staff: 404, as on every /admin page

HANDLERS = (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR)  # each stage needs its own one of these
READERS = (*HANDLERS, Role.PLATFORM_ADMIN)  # read-only for a reader without the stage's role


@bp.get("/")
@requires_role(*READERS)
def queue():
    form = forms.QueueFilterForm(request.args)
    valid = form.validate()
    filters = QueueFilters(page=request.args.get("page", 1, type=page_number), **(
        {name: form[name].data or "" for name in ("status", "role", "due", "assigned", "route")} if valid else {}))
    now = utcnow()
    rows, total = awarding_body_queue(filters, user_id=current_user.id, now=now)
    clocks = {complaint.id: queue_row_clocks(complaint, stage, now) for complaint, stage in rows}
    return render("admin/complaints/queue.html", "admin/complaints/_queue_table.html", form=form, rows=rows,
                  clocks=clocks, worst=worst_state, total=total, page=filters.page, page_size=PAGE_SIZE,
                  query={k: v for k, v in request.args.items() if k != "page"})


def _case(complaint_id: int) -> Complaint:
    """A case at the awarding body (escalated or direct); a centre-only case does not exist here."""
    complaint = db.session.execute(db.select(Complaint).where(Complaint.id == complaint_id, at_awarding_body())
                                   ).scalar_one_or_none()
    if complaint is None:
        abort(404)
    return complaint


def _assignee_choices(complaint: Complaint) -> list[tuple[int, str]]:
    stage = complaint.current_stage
    if stage is None or stage.role is None:
        return []
    return [(u.id, f"{u.name} <{u.email}>") for u in awarding_body_staff_with(stage.role)]


def _case_page(complaint: Complaint, status: int = 200, **given):
    stage = complaint.current_stage
    open_stage = handling.open_stage(complaint) is not None
    can_act = handling.can_act(current_user, complaint)
    assign = given.pop("assign_form", None) or forms.AssignForm(prefix="assign")
    people = _assignee_choices(complaint)
    if people:
        assign_choices(assign.assignee, people, stage.assigned_to_id)
    else:
        assign.assignee.choices = []
    context = {"confirm_form": ConfirmForm(), "assign_form": assign, "update_form": forms.UpdateForm(prefix="update"),
               "extend_form": forms.ExtendForm(prefix="extend"),
               "announce_form": forms.AnnounceContactForm(prefix="announce"),
               "close_form": forms.CloseStageForm(prefix="close"), **given}
    now = utcnow()
    nation = nation_of(complaint)
    page = render_template(
        "admin/complaints/case.html", complaint=complaint, stage=stage, can_act=can_act, open_stage=open_stage,
        final_stage=can_act and is_final_awarding_body_stage(complaint, stage),
        clocks={s.id: stage_clocks(s, now, nation) for s in complaint.awarding_body_stages},
        updates=history(complaint, (Audience.LEARNER, Audience.AWARDING_BODY)),
        regulators=regulators_for(complaint) if complaint.regulator else [], now=now, **context)
    return page, status


@bp.get("/<int:complaint_id>")
@requires_role(*READERS)
def case(complaint_id: int):
    return _case_page(_case(complaint_id))


def _act(complaint_id: int, form, action, done: str, form_name: str):
    """Load the case and act on its current stage through `form` (see portal.web.act_on)."""
    complaint = _case(complaint_id)
    return act_on(form, lambda f: action(complaint, f), done=done,
                  back=lambda: see_other("admin_complaints.case", complaint_id=complaint_id),
                  page=lambda f: _case_page(_case(complaint_id), 422, **{form_name: f}))


@bp.post("/<int:complaint_id>/acknowledge")
@requires_role(*HANDLERS)
def acknowledge(complaint_id: int):
    return _act(complaint_id, ConfirmForm(), lambda c, f: handling.acknowledge(c, by=current_user),
                "Acknowledged: the complainant has been told.", "confirm_form")


@bp.post("/<int:complaint_id>/assign")
@requires_role(*HANDLERS)
def assign(complaint_id: int):
    form = forms.AssignForm(prefix="assign")
    complaint = _case(complaint_id)
    assign_choices(form.assignee, _assignee_choices(complaint), complaint.current_stage.assigned_to_id)

    def act(c, f):
        assignee = db.session.get(User, f.assignee.data)
        handling.assign(c, assignee, by=current_user)

    return _act(complaint_id, form, act, "Assigned.", "assign_form")


@bp.post("/<int:complaint_id>/updates")
@requires_role(*HANDLERS)
def post_update(complaint_id: int):
    def act(c, f):
        handling.post_update(c, f.body.data, learner_visible=f.audience.data == "learner", by=current_user)

    return _act(complaint_id, forms.UpdateForm(prefix="update"), act, "Saved.", "update_form")


@bp.post("/<int:complaint_id>/extend")
@requires_role(*HANDLERS)
def extend(complaint_id: int):
    return _act(complaint_id, forms.ExtendForm(prefix="extend"),
                lambda c, f: handling.extend(c, f.new_due.data, f.reason.data, f.consent.data, by=current_user),
                "Deadline extended: the complainant has been told the new date and the reason.", "extend_form")


@bp.post("/<int:complaint_id>/centre-contact/announce")
@requires_role(*HANDLERS)
def announce_centre_contact(complaint_id: int):
    return _act(complaint_id, forms.AnnounceContactForm(prefix="announce"),
                lambda c, f: escalation.announce_centre_contact(c, f.reason.data or "", by=current_user),
                "The learner has been told that we will contact the centre. Record the contact once made.",
                "announce_form")


@bp.post("/<int:complaint_id>/centre-contact/record")
@requires_role(*HANDLERS)
def record_centre_contacted(complaint_id: int):
    return _act(complaint_id, ConfirmForm(),
                lambda c, f: escalation.record_centre_contacted(c, by=current_user),
                "Recorded that we contacted the centre.", "confirm_form")


@bp.post("/<int:complaint_id>/close-stage")
@requires_role(*HANDLERS)
def close_stage(complaint_id: int):
    return _act(complaint_id, forms.CloseStageForm(prefix="close"),
                lambda c, f: handling.close_stage(c, f.outcome.data, by=current_user),
                "Stage closed: the complainant has been told the outcome.", "close_form")
