"""Learners registered at the centre (any member of its staff): list and search, register, edit, status."""
from flask import Blueprint, g, request
from flask_login import current_user

from portal.tenancy import get_or_404
from portal.web import attempt, form_page, page_number, partial_or_see_other, render, save_form, see_other
from tenants.context import require_member
from tenants.learners import services
from tenants.learners.forms import STATUS_LABELS, LearnerForm, LearnerSearchForm, LearnerStatusForm
from tenants.learners.models import Learner, LearnerStatus

bp = Blueprint("learners", __name__)
bp.before_request(require_member)


@bp.get("/")
def index():
    form = LearnerSearchForm(request.args)
    form.validate()
    status = LearnerStatus(form.status.data) if form.status.data and not form.status.errors else None
    query = form.q.data if form.q.data and not form.q.errors else ""
    page = request.args.get("page", 1, type=page_number)
    rows, total = services.search_learners(g.centre, query, status=status, page=page)
    return render("learners/index.html", "learners/_table.html", centre=g.centre, form=form, learners=rows,
                  total=total, page=page, page_size=services.PAGE_SIZE, labels=STATUS_LABELS,
                  status_form=LearnerStatusForm())


@bp.route("/new", methods=["GET", "POST"])
def add():
    return save_form(LearnerForm(), lambda form: services.add_learner(g.centre, form.details(), by=current_user),
                     done=lambda learner: f"Registered {learner.full_name} ({learner.enrolment_number}).",
                     then=lambda _: see_other("centre.learners.index"),
                     page=lambda form: form_page("learners/form.html", form, centre=g.centre, learner=None))


@bp.route("/<int:learner_id>/edit", methods=["GET", "POST"])
def edit(learner_id: int):
    learner = get_or_404(Learner, learner_id)
    form = LearnerForm() if request.method == "POST" else LearnerForm.of(learner)
    return save_form(form, lambda form: services.update_learner(g.centre, learner, form.details(), by=current_user),
                     done=lambda _: f"Saved {learner.full_name}'s details.",
                     then=lambda _: see_other("centre.learners.index"),
                     page=lambda form: form_page("learners/form.html", form, centre=g.centre, learner=learner,
                                                 labels=STATUS_LABELS, status_form=LearnerStatusForm()))


@bp.post("/<int:learner_id>/status")
def set_status(learner_id: int):
    """Completed, or back in progress: answers with the learner's row (htmx) or a redirect."""
    learner = get_or_404(Learner, learner_id)
    form = LearnerStatusForm()
    message, error = attempt(
        form, lambda: services.set_status(g.centre, learner, LearnerStatus(form.status.data), by=current_user),
        done=lambda _: f"{learner.full_name}'s qualification is now {STATUS_LABELS[learner.status].lower()}.",
        invalid="Choose the learner's status.")
    return partial_or_see_other("learners/_row.html", "centre.learners.index", message=message, error=error,
                                learner=learner, labels=STATUS_LABELS, status_form=LearnerStatusForm())
