"""The awarding body's assessment pages (/admin/assessment, SPEC §6.3): the quality-check, marking and release
queues, one submission with the actions of its stage, its files, and conflicts of interest. Thin routes: the
rules are in portal/admin/assessment_services.py.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, render_template, request, send_file
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.admin import assessment_services as assessment
from portal.admin.assessment_queue import (
    PAGE_SIZE,
    QUEUES,
    QueueFilters,
    assessment_queue,
    submission_clocks,
)
from portal.admin.routes import awarding_body_only
from portal.auth.models import Role, User
from portal.auth.services import awarding_body_staff_with
from portal.clocks import worst_state
from portal.db import commit, utcnow
from portal.extensions import db
from portal.forms import ConfirmForm, choices
from portal.rules import Refused
from portal.web import act_on, page_number, render, requires_role, see_other
from tenants.learners.models import Learner
from tenants.learners.services import find_learner
from tenants.models import Centre
from tenants.submissions import storage
from tenants.submissions.models import ConflictOfInterest, Result, Submission, SubmissionFile, SubmissionStatus

bp = Blueprint("admin_assessment", __name__)
bp.before_request(awarding_body_only)  # centre staff: 404, as on every /admin page


# --- forms ---------------------------------------------------------------------------------------------------------

class QueueFilterForm(FlaskForm):
    """GET filters of a queue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    due = SelectField("Deadline", default="", choices=choices([("", "Any"), ("overdue", "Overdue"),
                                                               ("soon", "Due within 1 working day")]))
    assessor = SelectField("Assessor", default="")
    sampled = SelectField("Sampled", default="", choices=choices([("", "Either"), ("yes", "Sampled"),
                                                                  ("no", "Not sampled")]))


class RejectForm(FlaskForm):
    reason = RadioField("Reason", validators=[DataRequired("Choose the reason.")],
                        choices=choices([*assessment.REJECTION_REASONS.items(), ("other", "Another reason")]))
    detail = TextAreaField("What the centre needs to do (required for another reason)",
                           validators=[Length(max=2000)], render_kw={"rows": 3})

    def validate_detail(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError("Say what is wrong: the centre reads this.")

    def reason_text(self) -> str:
        common = assessment.REJECTION_REASONS.get(self.reason.data, "")
        return " ".join(part for part in (common, (self.detail.data or "").strip()) if part)


class AllocateForm(FlaskForm):
    assessor = SelectField("Assessor", coerce=int, validators=[DataRequired("Choose an assessor.")])


class ResultForm(FlaskForm):
    result = RadioField("Result", choices=choices([(Result.PASS.value, "Pass"), (Result.REFERRED.value, "Referred")]),
                        validators=[DataRequired("Choose pass or referred.")])
    referred_criteria = StringField("Referred criteria (when referred)", validators=[Length(max=500)],
                                    description="e.g. AC 1.2, AC 3.1")
    marked_sheet = FileField("Marked result sheet (.docx)", render_kw={"accept": ".docx"})


class SampleForm(FlaskForm):
    note = TextAreaField("Lead assessor's note (optional)", validators=[Optional(), Length(max=2000)],
                         render_kw={"rows": 2})


class ConflictForm(FlaskForm):
    assessor = SelectField("Assessor", coerce=int, validators=[DataRequired("Choose an assessor.")])
    centre = SelectField("Centre", coerce=int, validators=[DataRequired("Choose the centre.")])
    enrolment_number = StringField("Learner's enrolment number (ENR), for a conflict with one learner only",
                                   validators=[Optional(), Length(max=40)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


def _assessor_choices() -> list[SelectChoice]:
    return choices((u.id, f"{u.name} <{u.email}>") for u in awarding_body_staff_with(Role.ASSESSMENT))


# --- queues --------------------------------------------------------------------------------------------------------

@bp.get("/")
@requires_role(Role.ASSESSMENT)
def index():
    """The assessment area opens on the quality-check queue."""
    return queue("quality")


@bp.get("/<any(quality, marking, release):queue_name>")
@requires_role(Role.ASSESSMENT)
def queue(queue_name: str):
    selected = QUEUES[queue_name]
    form = QueueFilterForm(request.args)
    form.assessor.choices = choices([("", "Anyone"), ("me", "Me"), ("none", "Not allocated"),
                                     *((str(u.id), u.name) for u in awarding_body_staff_with(Role.ASSESSMENT))])
    valid = form.validate()
    filters = QueueFilters(page=request.args.get("page", 1, type=page_number), **(
        {name: form[name].data or "" for name in ("due", "assessor", "sampled")} if valid else {}))
    now = utcnow()
    rows, total = assessment_queue(selected, filters, user_id=current_user.id, now=now)
    clocks = {sub.id: submission_clocks(sub, centre.nation, now) for sub, centre, _ in rows}
    samples = assessment.sample_states([sub for sub, _, _ in rows]) if selected.name == "release" else {}
    return render("admin/assessment/queue.html", "admin/assessment/_queue_table.html", form=form, queue=selected,
                  queues=QUEUES, rows=rows, clocks=clocks, worst=worst_state, samples=samples, total=total,
                  page=filters.page, page_size=PAGE_SIZE, reference=assessment.reference,
                  query={k: v for k, v in request.args.items() if k != "page"})


# --- one submission ------------------------------------------------------------------------------------------------

def _submission(submission_id: int) -> Submission:
    return db.get_or_404(Submission, submission_id)


def _submission_page(submission: Submission, status: int = 200, **given):
    centre = db.session.get(Centre, submission.centre_id)
    allocate = given.pop("allocate_form", None) or AllocateForm(prefix="allocate")
    allocate.assessor.choices = _assessor_choices()
    forms = {"confirm_form": ConfirmForm(), "reject_form": RejectForm(prefix="reject"), "allocate_form": allocate,
             "result_form": ResultForm(prefix="result"), "sample_form": SampleForm(prefix="sample"), **given}
    people = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(
        {submission.assessor_id, submission.sampled_by_id, submission.qc_decided_by_id,
         submission.released_by_id} - {None}))).scalars()}
    sample_state = assessment.sample_states([submission]).get(submission.id)
    page = render_template(
        "admin/assessment/submission.html", submission=submission, centre=centre, people=people,
        clocks=submission_clocks(submission, centre.nation, utcnow()), reference=assessment.reference(submission),
        sample_state=sample_state, statuses=SubmissionStatus, **forms)
    return page, status


@bp.get("/submissions/<int:submission_id>")
@requires_role(Role.ASSESSMENT)
def submission(submission_id: int):
    return _submission_page(_submission(submission_id))


@bp.get("/submissions/<int:submission_id>/files/<int:file_id>")
@requires_role(Role.ASSESSMENT)
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
                "Result recorded. A lead assessor's sample may be needed before release.", "result_form")


@bp.post("/submissions/<int:submission_id>/sample")
@requires_role(Role.ASSESSMENT)
def sample(submission_id: int):
    return _act(submission_id, SampleForm(prefix="sample"),
                lambda s, f: assessment.sample(s, f.note.data or "", by=current_user),
                "Sampling recorded.", "sample_form")


@bp.post("/submissions/<int:submission_id>/release")
@requires_role(Role.ASSESSMENT)
def release(submission_id: int):
    return _act(submission_id, ConfirmForm(), lambda s, f: assessment.release(s, by=current_user),
                "Released to the centre: its Quality contact has been emailed.", "confirm_form")


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
    form = _conflict_form()
    if form.validate_on_submit():
        centre = db.session.get(Centre, form.centre.data)
        learner = None
        if form.enrolment_number.data:
            learner = find_learner(centre, form.enrolment_number.data)
            if learner is None:
                form.enrolment_number.errors = [f"No learner with that ENR is registered at {centre.name}."]
        if not form.enrolment_number.errors:
            try:
                assessment.record_conflict(db.session.get(User, form.assessor.data), learner=learner,
                                           centre=None if learner else centre, note=form.note.data or "",
                                           by=current_user)
            except Refused as refused:
                db.session.rollback()
                form.form_errors.append(refused.message)
            else:
                commit()
                flash("Conflict of interest recorded: that assessor will not be allocated this work.", "success")
                return see_other("admin_assessment.conflicts")
    rows = db.session.execute(
        select(ConflictOfInterest, User, Learner, Centre)
        .join(User, User.id == ConflictOfInterest.assessor_id)
        .outerjoin(Learner, Learner.id == ConflictOfInterest.learner_id)
        .outerjoin(Centre, Centre.id == db.func.coalesce(ConflictOfInterest.conflict_centre_id, Learner.centre_id))
        .order_by(User.name, ConflictOfInterest.id)).all()
    page = render_template("admin/assessment/conflicts.html", form=form, rows=rows, queues=QUEUES)
    return page, 422 if form.errors or form.form_errors else 200
