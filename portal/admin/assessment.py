"""The awarding body's assessment pages (/admin/assessment, SPEC §6.3): the quality-check, marking and release
queues, one submission with the actions of its stage (a lead assessor's sample and its mitigation among them), its
files, conflicts of interest, and the sampling policy. Thin routes: the rules are in
portal/admin/assessment_services.py and sampling.py; the forms in portal/admin/forms.py.

Who: the assessment role checks, allocates, marks and releases; the lead-assessor role (appointed by a platform
admin) sees the queues and submissions, samples, confirms and releases; a platform admin sets the sampling policy.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from portal.admin import assessment_services as assessment
from portal.admin import sampling
from portal.admin.assessment_queue import (
    PAGE_SIZE,
    QUEUES,
    QueueFilters,
    assessment_queue,
    submission_clocks,
)
from portal.admin.forms import (
    AllocateForm,
    ConfirmResultForm,
    ConflictForm,
    QueueFilterForm,
    RejectForm,
    ResultForm,
    SampleForm,
    SamplingPolicyForm,
)
from portal.admin.routes import awarding_body_only
from portal.auth.models import Role, User
from portal.auth.services import awarding_body_staff_with
from portal.clocks import worst_state
from portal.db import utcnow
from portal.extensions import db
from portal.forms import ConfirmForm, choices
from portal.rules import Refused
from portal.web import act_on, form_page, page_number, render, requires_role, save_form, see_other
from tenants.learners.services import find_learner
from tenants.models import Centre
from tenants.submissions import storage
from tenants.submissions.models import Submission, SubmissionFile, SubmissionStatus

bp = Blueprint("admin_assessment", __name__)
bp.before_request(awarding_body_only)  # centre staff: 404, as on every /admin page


def _assessor_choices() -> list[SelectChoice]:
    return choices((u.id, f"{u.name} <{u.email}>") for u in awarding_body_staff_with(Role.ASSESSMENT))


# --- queues --------------------------------------------------------------------------------------------------------

@bp.get("/")
@requires_role(Role.ASSESSMENT, Role.LEAD_ASSESSOR)
def index():
    """The assessment area opens on the quality-check queue."""
    return queue("quality")


@bp.get("/<any(quality, marking, release):queue_name>")
@requires_role(Role.ASSESSMENT, Role.LEAD_ASSESSOR)
def queue(queue_name: str):
    selected = QUEUES[queue_name]
    form = QueueFilterForm(request.args)
    form.assessor.choices = choices([("", "Anyone"), ("me", "Me"), ("none", "Not allocated"),
                                     *((str(u.id), u.name) for u in awarding_body_staff_with(Role.ASSESSMENT))])
    valid = form.validate()
    filters = QueueFilters(page=request.args.get("page", 1, type=page_number), **(
        {name: form[name].data or "" for name in ("due", "assessor", "sampling")} if valid else {}))
    now = utcnow()
    rows, total = assessment_queue(selected, filters, user_id=current_user.id, now=now)
    clocks = {sub.id: submission_clocks(sub, centre.nation, now) for sub, centre, _ in rows}
    samples = {sub.id: sampling.sampling_state(sub) for sub, _, _ in rows} if selected.name == "release" else {}
    return render("admin/assessment/queue.html", "admin/assessment/_queue_table.html", form=form, queue=selected,
                  queues=QUEUES, rows=rows, clocks=clocks, worst=worst_state, samples=samples, total=total,
                  page=filters.page, page_size=PAGE_SIZE, reference=assessment.reference,
                  policy=sampling.current_policy() if selected.name == "release" else None,
                  query={k: v for k, v in request.args.items() if k != "page"})


# --- one submission ------------------------------------------------------------------------------------------------

def _submission(submission_id: int) -> Submission:
    return db.get_or_404(Submission, submission_id)


def _submission_page(submission: Submission, status: int = 200, **given):
    centre = db.session.get(Centre, submission.centre_id)
    allocate = given.pop("allocate_form", None) or AllocateForm(prefix="allocate")
    allocate.assessor.choices = _assessor_choices()
    forms = {"confirm_form": ConfirmForm(), "reject_form": RejectForm(prefix="reject"), "allocate_form": allocate,
             "result_form": ResultForm(prefix="result"), "sample_form": SampleForm(prefix="sample"),
             "confirm_result_form": ConfirmResultForm(prefix="confirm"), **given}
    people = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(
        {submission.assessor_id, submission.sampled_by_id, submission.qc_decided_by_id, submission.released_by_id,
         submission.mitigated_by_id} - {None}))).scalars()}
    sample_state = sampling.sampling_state(submission) if submission.marked_at else None
    page = render_template(
        "admin/assessment/submission.html", submission=submission, centre=centre, people=people,
        clocks=submission_clocks(submission, centre.nation, utcnow()), reference=assessment.reference(submission),
        sample_state=sample_state, statuses=SubmissionStatus,
        awaiting_mitigation=sampling.awaiting_mitigation(submission), **forms)
    return page, status


@bp.get("/submissions/<int:submission_id>")
@requires_role(Role.ASSESSMENT, Role.LEAD_ASSESSOR)
def submission(submission_id: int):
    return _submission_page(_submission(submission_id))


@bp.get("/submissions/<int:submission_id>/files/<int:file_id>")
@requires_role(Role.ASSESSMENT, Role.LEAD_ASSESSOR)
def download(submission_id: int, file_id: int):
    """A stored file, as an attachment under its convention name (never rendered inline)."""
    stored = db.session.execute(select(SubmissionFile).where(
        SubmissionFile.id == file_id, SubmissionFile.submission_id == submission_id)).scalar_one_or_none()
    try:
        path = storage.path_of(current_app.config["UPLOAD_DIR"], stored.stored_name) if stored else None
    except ValueError:
        path = None
    if path is None or not path.is_file():
        abort(404)
    # Read whole (files are capped at MAX_UPLOAD_MB): a streamed file stays open until the response is closed,
    # which a client that never reads it (or a test) may not do.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _act(submission_id: int, form, action, done: str, form_name: str):
    """Load the submission and act on it through `form` (see portal.web.act_on)."""
    sub = _submission(submission_id)
    return act_on(form, lambda f: action(sub, f), done=done,
                  back=lambda: see_other("admin_assessment.submission", submission_id=submission_id),
                  page=lambda f: _submission_page(_submission(submission_id), 422, **{form_name: f}))


@bp.post("/submissions/<int:submission_id>/accept")
@requires_role(Role.ASSESSMENT)
def accept(submission_id: int):
    return _act(submission_id, ConfirmForm(), lambda s, f: assessment.accept_quality_check(s, by=current_user),
                "Accepted at quality check: it is ready to allocate to an assessor.", "confirm_form")


@bp.post("/submissions/<int:submission_id>/reject")
@requires_role(Role.ASSESSMENT)
def reject(submission_id: int):
    return _act(submission_id, RejectForm(prefix="reject"),
                lambda s, f: assessment.reject_quality_check(s, f.reason_text(), by=current_user),
                "Rejected: the centre's Quality contact has been emailed the reason.", "reject_form")


@bp.post("/submissions/<int:submission_id>/allocate")
@requires_role(Role.ASSESSMENT)
def allocate(submission_id: int):
    form = AllocateForm(prefix="allocate")
    form.assessor.choices = _assessor_choices()
    return _act(submission_id, form,
                lambda s, f: assessment.allocate(s, db.session.get(User, f.assessor.data), by=current_user),
                "Allocated.", "allocate_form")


@bp.post("/submissions/<int:submission_id>/result")
@requires_role(Role.ASSESSMENT)
def record_result(submission_id: int):
    def act(sub, form):
        upload = form.marked_sheet.data
        assessment.record_result(sub, form.result.data, form.referred_criteria.data or "",
                                 upload.stream if upload else None, filename=upload.filename if upload else "",
                                 by=current_user)

    return _act(submission_id, ResultForm(prefix="result"), act,
                "Result recorded. A result selected for sampling is released once a lead assessor has sampled it.",
                "result_form")


@bp.post("/submissions/<int:submission_id>/sample")
@requires_role(Role.LEAD_ASSESSOR)
def sample(submission_id: int):
    return _act(submission_id, SampleForm(prefix="sample"),
                lambda s, f: assessment.sample(s, f.outcome.data, f.note.data or "", by=current_user),
                "Sample recorded.", "sample_form")


@bp.post("/submissions/<int:submission_id>/confirm")
@requires_role(Role.LEAD_ASSESSOR)
def confirm_result(submission_id: int):
    return _act(submission_id, ConfirmResultForm(prefix="confirm"),
                lambda s, f: assessment.confirm_result(s, f.note.data or "", by=current_user),
                "Result confirmed: it may be released.", "confirm_result_form")


@bp.post("/submissions/<int:submission_id>/release")
@requires_role(Role.ASSESSMENT, Role.LEAD_ASSESSOR)
def release(submission_id: int):
    return _act(submission_id, ConfirmForm(), lambda s, f: assessment.release(s, by=current_user),
                "Released to the centre: its Quality contact has been emailed.", "confirm_form")


# --- the sampling policy -----------------------------------------------------------------------------------------

@bp.route("/sampling-policy", methods=["GET", "POST"])
@requires_role(Role.PLATFORM_ADMIN)
def sampling_policy():
    """The lead assessors' sampling policy: what is in force, its history, and the form to change it."""
    policy = sampling.current_policy()
    form = SamplingPolicyForm(data=None if request.method == "POST" else {
        "new_assessor_count": policy.new_assessor_count, "monthly_percent": policy.monthly_percent})

    def page(form):
        history = sampling.policy_history()
        people = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(
            {row.set_by_id for row in history} - {None}))).scalars()}
        return form_page("admin/assessment/sampling_policy.html", form, policy=policy, history=history,
                         people=people, default=sampling.DEFAULT_POLICY, queues=QUEUES)

    return save_form(form, lambda form: sampling.set_policy(form.new_assessor_count.data, form.monthly_percent.data,
                                                            form.note.data or "", by=current_user),
                     done="Sampling policy saved: it applies to results marked from now on.",
                     then=lambda _: see_other("admin_assessment.sampling_policy"), page=page)


# --- conflicts of interest -----------------------------------------------------------------------------------------

def _conflict_form(form: ConflictForm | None = None) -> ConflictForm:
    form = form or ConflictForm()
    form.assessor.choices = _assessor_choices()
    form.centre.choices = choices((c.id, f"{c.name} ({c.centre_number})") for c in db.session.execute(
        select(Centre).where(Centre.centre_number.is_not(None)).order_by(Centre.name)).scalars())
    return form


@bp.route("/conflicts", methods=["GET", "POST"])
@requires_role(Role.ASSESSMENT)
def conflicts():

    def record(form):
        centre = db.session.get(Centre, form.centre.data)
        learner = find_learner(centre, form.enrolment_number.data) if form.enrolment_number.data else None
        if form.enrolment_number.data and learner is None:
            raise Refused(f"No learner with that ENR is registered at {centre.name}.", field="enrolment_number")
        assessment.record_conflict(db.session.get(User, form.assessor.data), learner=learner,
                                   centre=None if learner else centre, note=form.note.data or "", by=current_user)

    return save_form(_conflict_form(), record,
                     done="Conflict of interest recorded: that assessor will not be allocated this work.",
                     then=lambda _: see_other("admin_assessment.conflicts"),
                     page=lambda form: form_page("admin/assessment/conflicts.html", form,
                                                 rows=assessment.recorded_conflicts(), queues=QUEUES))
