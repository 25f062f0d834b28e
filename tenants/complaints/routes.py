"""A centre's public complaint pages: no account, "centre process first" (SPEC §5.2)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from portal.db import commit, utcnow
from portal.extensions import limiter
from portal.web import attempt, form_page, private_page, save_form
from tenants.complaints import escalation, intake, tracking
from tenants.complaints.forms import ComplaintForm, ConfirmEscalationForm, ReferralForm, ResendForm, TriageForm
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Audience, Kind
from tenants.complaints.queries import history
from tenants.complaints.way_forward import ACCEPT, ESCALATE, NEXT_STAGE, Eligibility, eligibility, way_forward
from tenants.policy.services import current_version

bp = Blueprint("complaints", __name__)
SUBMIT_LIMIT = "10 per hour; 30 per day"
KIND_ENDPOINTS = {"complaint": "centre.complaints.new", "malpractice": "centre.complaints.malpractice",
                  "result_dispute": "centre.complaints.result_dispute"}


@bp.get("/")
def start():
    """The policy summary and the triage question (a GET form: choosing sends nothing)."""
    form = TriageForm(request.args, meta={"csrf": False})
    if request.args.get("step") == "triage" and form.validate():
        return redirect(url_for(KIND_ENDPOINTS[form.kind.data]), code=303)
    return form_page("complaints/start.html", form, centre=g.centre, policy=current_version(g.centre))


def _referral_details(form: ReferralForm) -> ComplaintDetails:
    return ComplaintDetails(name=form.name.data, email=form.email.data, summary=form.summary.data,
                            enrolment_number=form.enrolment_number.data or "", key_dates=form.key_dates.data or "")


def _received(complaint, token: str | None):
    """The answer to a submission: the reference and, once, the private link. Nothing is kept in the browser's
    session, so no later visit (nor another centre's page) shows either; the email keeps them."""
    link = url_for("centre.complaints.track", token=token) if token else None
    return private_page(render_template("complaints/received.html", centre=g.centre, reference=complaint.reference,
                                        link=link, stage=complaint.current_stage))


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(SUBMIT_LIMIT, methods=["POST"])
def new():
    return save_form(ComplaintForm(), lambda form: intake.submit_complaint(g.centre, form.details()),
                     done=None, then=lambda case: _received(*case),
                     page=lambda form: form_page("complaints/new.html", form, centre=g.centre,
                                                 policy=current_version(g.centre)))


def _referral(kind: Kind):
    return save_form(ReferralForm(), lambda form: intake.record_referral(g.centre, kind, _referral_details(form)),
                     done=None, then=lambda complaint: _received(complaint, None),
                     page=lambda form: form_page("complaints/referral.html", form, centre=g.centre, kind=kind.value))


@bp.route("/malpractice", methods=["GET", "POST"])
@limiter.limit(SUBMIT_LIMIT, methods=["POST"])
def malpractice():
    return _referral(Kind.MALPRACTICE)


@bp.route("/result-dispute", methods=["GET", "POST"])
@limiter.limit(SUBMIT_LIMIT, methods=["POST"])
def result_dispute():
    return _referral(Kind.RESULT_DISPUTE)


@bp.get("/received")
def received():
    """Where the old redirect after a submission landed (a bookmark, Back): the receipt was shown once."""
    return redirect(url_for("centre.complaints.start"), code=303)


def _case_or_refusal(token: str):
    complaint = tracking.find_case(token, g.centre.id)
    if complaint is None:
        response = render_template("complaints/link_refused.html", centre=g.centre)
        abort(private_page(response, status=404))
    return complaint


@bp.get("/track/<token>")
def track(token: str):
    complaint = _case_or_refusal(token)
    return private_page(render_template(
        "complaints/track.html", centre=g.centre, complaint=complaint, token=token,
        updates=history(complaint, (Audience.LEARNER,)), way=way_forward(complaint), form=ConfirmEscalationForm(),
        now=utcnow()))


def _decide(token: str, decision: str):
    """The learner's decision: the same service as on the awarding body's tracking pages."""
    complaint = _case_or_refusal(token)
    form = ConfirmEscalationForm()
    if not form.validate_on_submit():
        abort(400)
    message, refused = attempt(form, lambda: escalation.learner_decides(complaint, decision),
                               done=lambda done: done, invalid="")
    if refused:
        return private_page(render_template("complaints/refused.html", centre=g.centre, message=message, token=token),
                            status=409)
    flash(message, "success")
    return redirect(url_for("centre.complaints.track", token=token), code=303)


@bp.post("/track/<token>/accept")
@limiter.limit("30 per hour")
def accept(token: str):
    return _decide(token, ACCEPT)


@bp.post("/track/<token>/next-stage")
@limiter.limit("30 per hour")
def next_stage(token: str):
    return _decide(token, NEXT_STAGE)


@bp.post("/track/<token>/escalate")
@limiter.limit("30 per hour")
def escalate(token: str):
    return _decide(token, ESCALATE)


@bp.route("/resend-link", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def resend_link():
    """Lost the link? Same answer whether or not the case exists; a match gets a new link (old ones revoked)."""
    form = ResendForm()
    if form.validate_on_submit():
        complaint = tracking.find_for_resend(form.reference.data, form.email.data, g.centre.id)
        if complaint is not None:
            tracking.resend_link(complaint)
            commit()
        return render_template("complaints/link_sent.html", centre=g.centre, email=form.email.data)
    return form_page("complaints/resend.html", form, centre=g.centre)


@bp.route("/escalate", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def escalate_without_link():
    """Escalation starts from the private link; this page explains, checks a reference, and refuses plainly."""
    form = ResendForm()
    verdict = None
    if form.validate_on_submit():
        complaint = tracking.find_for_resend(form.reference.data, form.email.data, g.centre.id)
        if complaint is None:
            verdict = Eligibility(None, f"We could not find a complaint to {g.centre.name} with that "
                                                   "reference and email address. You must complain to the centre "
                                                   "first, under its complaints process.")
        else:
            verdict = eligibility(complaint)
            if verdict.allowed:
                tracking.resend_link(complaint)
                commit()
    return form_page("complaints/escalate.html", form, centre=g.centre, verdict=verdict)
