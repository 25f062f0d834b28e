"""The centre's submissions pages (SPEC §6.2–6.3): the tracker, the upload, one submission, downloads."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.catalogue.services import approved_units
from portal.db import commit, utcnow
from portal.extensions import db, htmx
from portal.figures import moment
from portal.forms import ConfirmForm, apply_refusal, choices
from portal.rules import Refused
from portal.tenancy import get_or_404, scoped_select
from portal.web import attempt, page_number, partial_or_see_other, record_id, render, see_other
from tenants.context import require_member
from tenants.learners.models import Learner, LearnerStatus
from tenants.submissions import fees, page_cache, storage, tracker, upload
from tenants.submissions.forms import TrackerFilterForm, UploadForm
from tenants.submissions.models import Result, Submission, SubmissionFile, SubmissionStatus

bp = Blueprint("submissions", __name__)
bp.before_request(require_member)

FILES_LOST = "Nothing else was lost, but browsers forget chosen files: choose the files again."


def in_progress_learners() -> list[Learner]:
    return list(db.session.execute(scoped_select(Learner).where(Learner.status == LearnerStatus.IN_PROGRESS,
                                                                 Learner.erased_at.is_(None))
                                   .order_by(Learner.last_name, Learner.first_name, Learner.id)).scalars())


# --- the tracker -------------------------------------------------------------------------------------------------

@bp.get("/")
def tracker_page():
    now = utcnow()
    return page_cache.cached(now, lambda: _tracker_page(now))


def _tracker_page(now) -> tuple[str, datetime | None]:
    """The page, and the moment it stops being true with no write (a date of the centre falls due)."""
    units = approved_units(g.centre)
    form = TrackerFilterForm(request.args)
    form.unit.choices = choices([("", "Any unit")] + [(u.id, f"{u.code} {u.title}") for u in units])
    form.validate()
    filters = tracker.TrackerFilters(status=form.status.data or "", unit=form.unit.data,
                                     learner=form.learner.data or "",
                                     sort=form.sort.data or "uploaded", due=form.due.data or "", now=now,
                                     released_after=request.args.get("released_after", type=moment),
                                     page=request.args.get("page", 1, type=page_number),
                                     after=request.args.get("after", type=record_id),
                                     before=request.args.get("before", type=record_id))
    listing = tracker.tracker(filters)
    rates = tracker.referral_rates(g.centre.id, now)
    return render("submissions/tracker.html", "submissions/_tracker_table.html", centre=g.centre, form=form,
                  listing=listing, query=tracker.query_arguments(filters), now=now,
                  clock=lambda s: tracker.clock(s, now), rates=rates,
                  released_after=filters.released_after, flagged=tracker.referral_flag(rates),
                  Result=Result, Status=SubmissionStatus), listing.next_due


# --- uploading ---------------------------------------------------------------------------------------------------

def _upload_form(units, learners) -> UploadForm:
    form = UploadForm()
    form.learner.choices = choices([("", "Choose a learner")] + [
        (le.id, f"{le.last_name}, {le.first_name} ({le.enrolment_number})") for le in learners])
    form.unit.choices = choices([("", "Choose a unit")] + [(u.id, f"{u.code} {u.title}") for u in units])
    if request.method == "GET":
        form.learner.data = request.args.get("learner", type=record_id)
        form.unit.data = request.args.get("unit", type=record_id)
    return form


def _incoming(storage_file) -> upload.Incoming | None:
    if storage_file is None or not getattr(storage_file, "filename", ""):
        return None
    return upload.Incoming(storage_file.filename, storage_file.stream)


def _upload_page(form, units, status: int = 200):
    warnings = tracker.first_submission_warnings({u.id: f"{u.code} {u.title}" for u in units})
    return render("submissions/upload.html", "submissions/_upload_form.html", centre=g.centre, form=form,
                  warnings=warnings, max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)), status


@bp.route("/new", methods=["GET", "POST"])
def upload_page():
    units, learners = approved_units(g.centre), in_progress_learners()
    form = _upload_form(units, learners)
    if not form.validate_on_submit():
        if form.errors:
            form.form_errors.append(FILES_LOST)
        return _upload_page(form, units, 422 if request.method == "POST" else 200)
    learner = next(le for le in learners if le.id == form.learner.data)
    unit = next(u for u in units if u.id == form.unit.data)
    files = upload.UploadFiles(assessment=_incoming(form.assessment.data),
                               result_sheet=_incoming(form.result_sheet.data),
                               authenticity=_incoming(form.authenticity.data),
                               appendices=[i for i in map(_incoming, form.appendices.data or []) if i])
    try:
        submission = upload.upload_submission(
            g.centre, learner=learner, unit=unit, files=files, cover_page=form.cover_page.data,
            accept_corrected_name=form.accept_corrected_name.data, by=current_user,
            upload_dir=current_app.config["UPLOAD_DIR"], now=utcnow())
        commit()  # files of an upload that does not commit are removed with its transaction (storage.py)
    except upload.StorageUnavailable as failed:
        db.session.rollback()
        form.form_errors.append(failed.message)
        return _upload_page(form, units, 503)
    except upload.UploadRefused as refused:
        db.session.rollback()
        for field_name, message in refused.problems:
            apply_refusal(form, Refused(message, field=field_name))
        form.form_errors.append(FILES_LOST)
        return _upload_page(form, units, 422)
    except IntegrityError:
        # Two uploads of the same learner, unit and number at once: the database keeps one current row.
        db.session.rollback()
        form.form_errors.append("Another upload for this learner and unit was made at the same moment: see the "
                                "tracker before uploading again.")
        return _upload_page(form, units, 409)
    if htmx and not htmx.history_restore_request:
        return _result_panel(submission)
    flash("Uploaded. The word count is below.", "success")
    return see_other("centre.submissions.show", submission_id=submission.id)


def _result_panel(submission: Submission, notice: str = "", error: bool = False):
    return render_template("submissions/_result.html", submission=submission, fee_text=_fee_text(submission),
                           confirm_form=ConfirmForm(), notice=notice, notice_error=error, upload_page=True)


def _fee_text(submission: Submission) -> str:
    return fees.describe_fees(submission.excess_fees, fees.resubmission_fee_pence()) if submission.excess_fees else ""


# --- one submission ----------------------------------------------------------------------------------------------

@bp.get("/<int:submission_id>")
def show(submission_id: int):
    submission = get_or_404(Submission, submission_id)
    return render_template("submissions/show.html", centre=g.centre, files=submission.centre_files,
                           **_page_parts(submission))


def _page_parts(submission: Submission) -> dict:
    """What the submission's page shows of its state: the summary, the clock, the history."""
    now = utcnow()
    return {"submission": submission, "history": tracker.history(submission), "clock": tracker.clock(submission, now),
            "can_resubmit": submission.may_be_resubmitted, "now": now, "fee_text": _fee_text(submission),
            "confirm_form": ConfirmForm()}


def _decide(submission_id: int, action, done: str):
    """A decision on a held submission, from the upload page or the submission's own page. On its own page every
    part that shows the state is redrawn (out of band), not only the part with the buttons."""
    submission = get_or_404(Submission, submission_id)
    message, error = attempt(ConfirmForm(), lambda: action(submission), done=done,
                             invalid="The form expired: reload the page and try again.")
    own_page = bool(htmx and htmx.current_url) and urlsplit(htmx.current_url).path == url_for(
        "centre.submissions.show", submission_id=submission.id)
    return partial_or_see_other("submissions/_result.html", "centre.submissions.show", message=message, error=error,
                                endpoint_values={"submission_id": submission.id}, page_parts=own_page,
                                upload_page=not own_page,
                                **_page_parts(submission))


@bp.post("/<int:submission_id>/withdraw")
def withdraw(submission_id: int):
    return _decide(submission_id, lambda s: upload.withdraw(s, by=current_user),
                   "Withdrawn at no cost. Upload a more concise version: it keeps the same submission number.")


@bp.post("/<int:submission_id>/accept-fee")
def accept_fee(submission_id: int):
    return _decide(submission_id, lambda s: upload.accept_fee(s, by=current_user, now=utcnow(), nation=g.centre.nation),
                   "Fee accepted: the submission is in the quality-check queue and its clock has started.")


@bp.get("/files/<int:file_id>")
def download(file_id: int):
    stored = get_or_404(SubmissionFile, file_id)
    if stored not in stored.submission.centre_files:
        abort(404)
    try:
        path = storage.path_of(current_app.config["UPLOAD_DIR"], stored.stored_name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    return storage.attachment(path, stored.download_name, stored.content_type, stored.size)
