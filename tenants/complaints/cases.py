"""Centre staff's case pages: the queue and one case, with the centre-stage actions."""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user

from portal.db import utcnow
from portal.forms import ConfirmForm, assign_choices
from portal.tenancy import get_or_404
from portal.web import act_on, page_number, render, see_other
from tenants.complaints import handling
from tenants.complaints.forms import AssignForm, CloseStageForm, ExtendForm, QueueFilterForm, UpdateForm
from tenants.complaints.models import Audience, Complaint, Route
from tenants.complaints.queries import PAGE_SIZE, QueueFilters, centre_queue, clock_state, history
from tenants.context import require_member
from tenants.staff.services import staff_of

bp = Blueprint("cases", __name__)
bp.before_request(require_member)


@bp.get("/")
def queue():
    form = QueueFilterForm(request.args)
    form.validate()
    filters = QueueFilters(status=form.status.data or "active", due=form.due.data or "",
                           category=form.category.data or "", assigned=form.assigned.data or "",
                           stage=form.stage.data if not form.stage.errors else None,
                           page=request.args.get("page", 1, type=page_number))
    now = utcnow()
    rows, total = centre_queue(filters, user_id=current_user.id, now=now, nation=g.centre.nation)
    return render("complaints/queue.html", "complaints/_queue_table.html", centre=g.centre, form=form,
                  complaints=rows, total=total, page=filters.page, page_size=PAGE_SIZE, now=now,
                  clock=lambda c: clock_state(c.current_stage, now, g.centre.nation))


def _case(complaint_id: int) -> Complaint:
    complaint = get_or_404(Complaint, complaint_id)
    if complaint.route is not Route.CENTRE:
        abort(404)
    return complaint


def _case_page(complaint: Complaint, status: int = 200, **forms):
    stage = complaint.current_stage
    assign = forms.pop("assign_form", None) or AssignForm()
    assign_choices(assign.assignee, ((u.id, u.name) for u in staff_of(g.centre) if u.status.value == "active"),
                   stage.assigned_to_id if stage else None)
    context = {"update_form": UpdateForm(), "extend_form": ExtendForm(), "close_form": CloseStageForm(),
               "confirm_form": ConfirmForm(), "assign_form": assign, **forms}
    now = utcnow()
    page = render_template("complaints/case.html", centre=g.centre, complaint=complaint,
                           can_act=handling.can_act(current_user, complaint),
                           updates=history(complaint, (Audience.LEARNER, Audience.CENTRE), centre_level_only=True),
                           clock=clock_state(stage, now, g.centre.nation), now=now, **context)
    return page, status


@bp.get("/<int:complaint_id>")
def case(complaint_id: int):
    return _case_page(_case(complaint_id))


def _act(complaint_id: int, form, action, done: str, form_name: str):
    """Load the centre's case and act on its current stage through `form` (see portal.web.act_on)."""
    complaint = _case(complaint_id)
    return act_on(form, lambda f: action(complaint, f), done=done,
                  back=lambda: see_other("centre.cases.case", complaint_id=complaint_id),
                  page=lambda f: _case_page(complaint, 422, **{form_name: f}))


@bp.post("/<int:complaint_id>/acknowledge")
def acknowledge(complaint_id: int):
    return _act(complaint_id, ConfirmForm(), lambda c, f: handling.acknowledge(c, by=current_user),
                "Acknowledged: the learner has been told.", "confirm_form")


@bp.post("/<int:complaint_id>/assign")
def assign(complaint_id: int):
    form = AssignForm()
    people = {u.id: u for u in staff_of(g.centre)}
    stage = _case(complaint_id).current_stage
    assign_choices(form.assignee, ((u.id, u.name) for u in people.values()), stage.assigned_to_id if stage else None)
    return _act(complaint_id, form, lambda c, f: handling.assign(c, people[f.assignee.data], by=current_user),
                "Assigned.", "assign_form")


@bp.post("/<int:complaint_id>/updates")
def post_update(complaint_id: int):
    return _act(complaint_id, UpdateForm(),
                lambda c, f: handling.post_update(c, f.body.data, learner_visible=f.audience.data == "learner",
                                                  by=current_user),
                "Saved.", "update_form")


@bp.post("/<int:complaint_id>/extend")
def extend(complaint_id: int):
    return _act(complaint_id, ExtendForm(),
                lambda c, f: handling.extend(c, f.new_due.data, f.reason.data, f.consent.data, by=current_user),
                "Deadline extended: the learner has been told the new date and the reason.", "extend_form")


@bp.post("/<int:complaint_id>/close-stage")
def close_stage(complaint_id: int):
    return _act(complaint_id, CloseStageForm(), lambda c, f: handling.close_stage(c, f.outcome.data, by=current_user),
                "Stage closed: the learner has been told the outcome.", "close_form")
