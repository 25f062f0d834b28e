"""The awarding body's public complaint pages (no account): the two routes explained, the direct complaint
form for centres and the public, and tracking of direct cases by their private link (SPEC §5.2, §5.3).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from portal.complaints.forms import DirectComplaintForm, LearnerDecisionForm, ResendForm
from portal.db import commit, utcnow
from portal.extensions import limiter
from portal.web import attempt, form_page, private_page, save_form
from tenants.complaints import escalation, tracking
from tenants.complaints.models import Audience, Subject
from tenants.complaints.queries import history
from tenants.complaints.way_forward import ACCEPT, NEXT_STAGE, way_forward
from tenants.services import approved_centres

bp = Blueprint("complaints", __name__)
SUBMIT_LIMIT = "10 per hour; 30 per day"
DECISION_LIMIT = "30 per hour"
RESEND_LIMIT = "5 per hour; 20 per day"


@bp.get("/")
def index():
    """The two routes: learners go to their centre first; centres and the public can come to us directly."""
    return render_template("awarding_body_complaints/index.html", centres=approved_centres())


@bp.route("/direct", methods=["GET", "POST"])
@limiter.limit(SUBMIT_LIMIT, methods=["POST"])
def direct():
    # Most direct complaints are about a product or service: offered as the starting answer.
    form = DirectComplaintForm(**({} if request.method == "POST" else {"subject": Subject.PRODUCT_SERVICE.value}))
    return save_form(form, lambda form: escalation.submit_direct_complaint(form.details(), from_centre=form.centre),
                     done=None, then=lambda case: _received(*case),
                     page=lambda form: form_page("awarding_body_complaints/direct.html", form,
                                                 centres=approved_centres()))


def _received(complaint, token: str):
    """The answer to a direct complaint: its reference, request number and, once, the private link. Nothing is
    kept in the browser's session, so no later visit on a shared computer shows them; the email keeps them."""
    return private_page(render_template("awarding_body_complaints/received.html", reference=complaint.reference,
                                        service_request_number=complaint.service_request_number,
                                        link=url_for("complaints.track", token=token), stage=complaint.current_stage))


@bp.get("/direct/received")
def received():
    """Where the old redirect after a submission landed (a bookmark, Back): the receipt was shown once."""
    return redirect(url_for("complaints.index"), code=303)


def _case_or_refusal(token: str):
    """The direct case this live link opens, or a 404 page that says how to get a new link."""
    complaint = tracking.find_case(token, None)
    if complaint is None:
        abort(private_page(render_template("awarding_body_complaints/link_refused.html"), status=404))
    return complaint


@bp.get("/track/<token>")
def track(token: str):
    complaint = _case_or_refusal(token)
    return private_page(render_template(
        "awarding_body_complaints/track.html", complaint=complaint, token=token,
        updates=history(complaint, (Audience.LEARNER,)), way=way_forward(complaint), form=LearnerDecisionForm(),
        now=utcnow()))


def _decide(token: str, decision: str):
    """The complainant's decision: the same service as on a centre's tracking pages."""
    complaint = _case_or_refusal(token)
    form = LearnerDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    message, refused = attempt(form, lambda: escalation.learner_decides(complaint, decision),
                               done=lambda done: done, invalid="")
    if refused:
        return private_page(render_template("awarding_body_complaints/refused.html", message=message, token=token),
                            status=409)
    flash(message, "success")
    return private_page(redirect(url_for("complaints.track", token=token)), status=303)


@bp.post("/track/<token>/accept")
@limiter.limit(DECISION_LIMIT)
def accept(token: str):
    return _decide(token, ACCEPT)


@bp.post("/track/<token>/next-stage")
@limiter.limit(DECISION_LIMIT)
def next_stage(token: str):
    return _decide(token, NEXT_STAGE)


@bp.route("/resend", methods=["GET", "POST"])
@limiter.limit(RESEND_LIMIT, methods=["POST"])
def resend():
    """A new private link by email. The answer is the same whether or not the details match a case."""
    form = ResendForm()
    if form.validate_on_submit():
        complaint = tracking.find_for_resend(form.reference.data, form.email.data, None)
        if complaint is not None:
            tracking.resend_link(complaint)
            commit()
        return private_page(render_template("awarding_body_complaints/resent.html"))
    return form_page("awarding_body_complaints/resend.html", form)
