"""Uploading a submission (SPEC §6.2): the number, the files and their checks, the word limit, the clocks.

Plain functions with no `request`: the route hands over the files as (name, stream) pairs. A refusal lists
every problem found at once (`UploadRefused.problems`), because the browser forgets chosen files each time.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from sqlalchemy import select

from portal import audit
from portal.catalogue.services import is_approved_for
from portal.documents import SUBMISSION_COLOURS, RefusedDocument, WordCount, count_words, document_text_contains
from portal.documents.ooxml import SAVE_AS_DOCX
from portal.extensions import db
from portal.rules import Refused
from portal.tenancy import belongs_to
from portal.workdays import deadline
from tenants.submissions import fees, naming, storage
from tenants.submissions.models import (
    MAX_SUBMISSION_NUMBER,
    Authenticity,
    FileKind,
    Result,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)

log = logging.getLogger(__name__)

QC_WORKING_DAYS = 5
SLA_WORKING_DAYS = 25
REPLACEABLE = (SubmissionStatus.REJECTED, SubmissionStatus.WITHDRAWN)


@dataclass(frozen=True)
class Incoming:
    """One uploaded file as the route received it: the client's name (display only) and a seekable stream."""

    filename: str
    stream: IO[bytes]


@dataclass
class UploadFiles:
    assessment: Incoming | None
    result_sheet: Incoming | None = None
    authenticity: Incoming | None = None
    appendices: list[Incoming] = field(default_factory=list)


class UploadRefused(Refused):
    """The upload is refused; `problems` holds (form field, message) pairs, all of them."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


# --- which number -------------------------------------------------------------------------------------------

def current_submissions(learner, unit) -> list[Submission]:
    """The learner's current submissions for the unit, by number."""
    return list(db.session.execute(
        select(Submission).where(Submission.learner_id == learner.id, Submission.unit_id == unit.id,
                                 Submission.is_current.is_(True)).order_by(Submission.number)).scalars())


def next_number(learner, unit) -> tuple[int, Submission | None]:
    """(number, the row it replaces) for a new upload of `learner`'s work for `unit`, or Refused with the reason.

    1 for the first; the same number replacing a rejected or withdrawn upload; n + 1 only after a released
    referral of n (n < 4)."""
    rows = current_submissions(learner, unit)
    if not rows:
        return 1, None
    latest = rows[-1]
    if latest.status in REPLACEABLE:
        return latest.number, latest
    if latest.status is not SubmissionStatus.RELEASED:
        raise Refused(f"Submission ({latest.number}) for this learner and unit is still in progress "
                      f"({latest.status.label.lower()}). A resubmission can be made only after a referral.",
                      field="unit")
    if latest.result is Result.PASS:
        raise Refused("This learner has passed this unit: there is nothing to resubmit.", field="unit")
    if latest.number >= MAX_SUBMISSION_NUMBER:
        raise Refused(f"This learner has made all {MAX_SUBMISSION_NUMBER} submissions for this unit (the original "
                      "and three resubmissions).", field="unit")
    return latest.number + 1, None


def authenticity_on_file(learner, unit) -> bool:
    """Whether the current original (number 1) for the unit had an authenticity sheet or cover page."""
    original = db.session.execute(
        select(Submission).where(Submission.learner_id == learner.id, Submission.unit_id == unit.id,
                                 Submission.number == 1, Submission.is_current.is_(True))).scalar_one_or_none()
    return original is not None and original.authenticity in (Authenticity.SEPARATE_SHEET, Authenticity.COVER_PAGE)


# --- checking the files ---------------------------------------------------------------------------------------

@dataclass
class Checked:
    """A file that passed its checks, with the extension its content decided."""

    kind: FileKind
    incoming: Incoming
    extension: str
    count: WordCount | None = None


def _document(incoming: Incoming, *, images: bool = False) -> tuple[str, WordCount]:
    """Extension and count of a Word .docx or PDF (or, if `images`, a PNG/JPEG); RefusedDocument otherwise."""
    kind = storage.sniff_kind(incoming.stream)
    if images and kind in ("png", "jpeg"):
        return (".png" if kind == "png" else ".jpg"), WordCount()
    count = count_words(incoming.stream)
    incoming.stream.seek(0)
    return (".pdf" if count.approximate else ".docx"), count


def _check_result_sheet(incoming: Incoming, learner, problems: list) -> Checked | None:
    if storage.sniff_kind(incoming.stream) != "zip":
        problems.append(("result_sheet", f"The result sheet must be a Word document (.docx): assessors type their "
                                         f"feedback into it. {SAVE_AS_DOCX}"))
        return None
    try:
        found = document_text_contains(incoming.stream, [learner.full_name, learner.enrolment_number])
    except RefusedDocument as refusal:
        problems.append(("result_sheet", refusal.reason))
        return None
    incoming.stream.seek(0)
    missing = [label for label, needle in (("the learner's name", learner.full_name),
                                           ("the enrolment number (ENR)", learner.enrolment_number))
               if not found[needle]]
    if missing:
        problems.append(("result_sheet", f"The result sheet does not contain {' or '.join(missing)} "
                                         f"({learner.full_name}, {learner.enrolment_number}). Fill in the learner "
                                         "details on the result sheet and upload it again."))
        return None
    return Checked(FileKind.RESULT_SHEET, incoming, ".docx")


def check_files(files: UploadFiles, *, learner, number: int, authenticity_needed: bool, cover_page: bool,
                accept_corrected_name: bool) -> list[Checked]:
    """Every file's checks; UploadRefused listing all problems, or the checked files (assessment first)."""
    problems: list[tuple[str, str]] = []
    checked: list[Checked] = []
    if files.assessment is None:
        problems.append(("assessment", "Choose the learner's assessment file."))
    else:
        try:
            extension, count = _document(files.assessment)
            checked.append(Checked(FileKind.ASSESSMENT, files.assessment, extension, count))
        except RefusedDocument as refusal:
            problems.append(("assessment", refusal.reason))
        name = naming.check_name(files.assessment.filename, first_name=learner.first_name,
                                 last_name=learner.last_name, enrolment_number=learner.enrolment_number,
                                 number=number)
        if not name.ok and not accept_corrected_name:
            problems.append(("assessment", f"The file name {name.given} does not follow the convention: "
                                           f"{'; '.join(name.problems)}. The correct name is {name.expected}. Rename "
                                           "the file, or tick “Store it under the correct name” if it is the right "
                                           "learner's work."))
    if files.result_sheet is None:
        problems.append(("result_sheet", "Choose the learner's ILMA result sheet (.docx)."))
    elif (sheet := _check_result_sheet(files.result_sheet, learner, problems)) is not None:
        checked.append(sheet)
    if files.authenticity is None and authenticity_needed and not cover_page:
        problems.append(("authenticity", "The first submission for a unit needs the learner's signed authenticity "
                                         "cover sheet: choose the file, or tick the box if it is the assessment's "
                                         "own cover page."))
    extras = [(FileKind.AUTHENTICITY, "authenticity", files.authenticity)] if files.authenticity else []
    extras += [(FileKind.APPENDIX, "appendices", item) for item in files.appendices]
    for kind, field_name, incoming in extras:
        try:
            extension, _ = _document(incoming, images=True)
            checked.append(Checked(kind, incoming, extension))
        except RefusedDocument as refusal:
            problems.append((field_name, f"{naming.stem_of(incoming.filename)}: {refusal.reason}"))
    if problems:
        raise UploadRefused(problems)
    return checked


# --- recording it -----------------------------------------------------------------------------------------------

def colour_warning(count: WordCount, number: int) -> str:
    """For a resubmission: a warning when no text is in the colour expected for its number."""
    if number == 1:
        return ""
    colour = SUBMISSION_COLOURS[number]
    if count.approximate:
        return (f"Font colours cannot be read from a PDF: check that new text is in {colour}, or upload the Word "
                "document.")
    if not count.by_colour.get(colour, 0):
        ordinal = {2: "first", 3: "second", 4: "third"}[number]
        return f"No {colour} text found: the {ordinal} resubmission marks new text in {colour}."
    return ""


def start_clock(submission: Submission, now: datetime, nation) -> None:
    """The submission enters the quality-check queue: its 5 and 25 working-day clocks start now."""
    submission.status = SubmissionStatus.AWAITING_QC
    submission.clock_started_at = now
    submission.qc_due = deadline(now, QC_WORKING_DAYS, nation)
    submission.sla_due = deadline(now, SLA_WORKING_DAYS, nation)


def upload_submission(centre, *, learner, unit, files: UploadFiles, cover_page: bool, accept_corrected_name: bool,
                      by, upload_dir: str | os.PathLike, now: datetime) -> Submission:
    """Check and record an upload: files stored under generated names, word count, held or in the QC queue.
    Refused unless the catalogue says the centre is approved for the unit and the learner is the centre's."""
    if not is_approved_for(centre, unit):
        raise UploadRefused([("unit", "Your centre is not approved for this unit.")])
    if not belongs_to(learner, centre):
        raise UploadRefused([("learner", "Choose one of your centre's learners.")])
    try:
        number, replaces = next_number(learner, unit)
    except Refused as refused:
        raise UploadRefused([(refused.field or "unit", refused.message)]) from None
    authenticity_needed = number == 1 or not authenticity_on_file(learner, unit)
    checked = check_files(files, learner=learner, number=number, authenticity_needed=authenticity_needed,
                          cover_page=cover_page, accept_corrected_name=accept_corrected_name)
    count = checked[0].count
    stem = naming.learner_stem(learner, number)
    if replaces is not None:
        replaces.is_current = False
        db.session.flush()  # the partial unique index allows one current row per number: retire the old one first
    submission = Submission(
        centre_id=centre.id, learner_id=learner.id, unit_id=unit.id, number=number, uploaded_at=now,
        uploaded_by_id=by.id, replaces_id=replaces.id if replaces else None,
        # A copy of a number already billed as a resubmission is never billed again (portal/invoicing/services.py).
        resubmission_billed=bool(replaces and replaces.resubmission_billed),
        authenticity=(Authenticity.SEPARATE_SHEET if files.authenticity else Authenticity.COVER_PAGE if cover_page
                      else Authenticity.NOT_NEEDED),
        word_count=count.total, word_count_detail=count.as_dict(), word_count_approximate=count.approximate,
        word_limit=unit.word_limit, excess_fees=fees.excess_fees(count.total, unit.word_limit),
        colour_warning=colour_warning(count, number))
    if submission.excess_fees:
        submission.status = SubmissionStatus.HELD  # its clock starts only when the fee is accepted
    else:
        start_clock(submission, now, centre.nation)
    _store_files(submission, checked, stem, upload_dir, now)  # removed again if this transaction does not commit
    db.session.add(submission)
    db.session.flush()
    audit.record("submission_uploaded", actor=by, centre_id=centre.id, subject=stem,
                 detail=f"{count.total} words; {submission.status.label}")
    return submission


class StorageUnavailable(Refused):
    """The files could not be written (disk full, I/O error): nothing was recorded."""


def _store_files(submission: Submission, checked: list[Checked], stem: str, upload_dir, now: datetime) -> None:
    """Store each checked file under a generated name and attach its record."""
    appendix = 0
    for item in checked:
        try:
            saved = storage.store(item.incoming.stream, upload_dir, item.extension)
        except OSError as error:
            log.exception("storing an upload failed")
            raise StorageUnavailable(
                "The files could not be stored: the portal's file storage is full or failing "
                f"({os.strerror(error.errno) if error.errno else type(error).__name__}). Nothing was recorded. "
                "Try again later; if it keeps failing, tell the awarding body.") from error
        appendix += item.kind is FileKind.APPENDIX
        submission.files.append(SubmissionFile(
            centre_id=submission.centre_id, kind=item.kind,
            original_name=naming.stem_of(item.incoming.filename)[:200] + item.extension,
            download_name=naming.download_name(stem, item.kind, item.extension,
                                               appendix if item.kind is FileKind.APPENDIX else 0),
            stored_name=saved.stored_name, sha256=saved.sha256, size=saved.size,
            content_type=saved.content_type, uploaded_at=now))


# --- the centre's choice for a held submission ------------------------------------------------------------------

def withdraw(submission: Submission, *, by) -> None:
    """Withdraw a held submission at no cost: a concise version may then be uploaded with the same number."""
    if submission.status is not SubmissionStatus.HELD or not submission.is_current:
        raise Refused("Only a submission held for its length can be withdrawn.")
    submission.status = SubmissionStatus.WITHDRAWN
    audit.record("submission_withdrawn", actor=by, centre_id=submission.centre_id, subject=str(submission.id))


def accept_fee(submission: Submission, *, by, now: datetime, nation) -> None:
    """The centre accepts the additional marking fee: the submission joins the quality-check queue, clocks start."""
    if submission.status is not SubmissionStatus.HELD or not submission.is_current:
        raise Refused("Only a submission held for its length has a fee to accept.")
    submission.excess_fee_accepted_at = now
    submission.excess_fee_accepted_by_id = by.id
    start_clock(submission, now, nation)
    audit.record("submission_fee_accepted", actor=by, centre_id=submission.centre_id, subject=str(submission.id),
                 detail=f"{submission.excess_fees} resubmission fee(s)")


# --- orphan files ------------------------------------------------------------------------------------------------

ORPHAN_GRACE_SECONDS = 3600  # an upload in progress has written its files and not yet committed its rows


def check_upload_dir(upload_dir: str | os.PathLike, *, now: float,
                     grace_seconds: int = ORPHAN_GRACE_SECONDS) -> storage.Check:
    """Files in UPLOAD_DIR that no submission references (orphans), and referenced files that are missing."""
    from portal.tenancy import ALL_CENTRES

    # The upload directory is shared by every centre: a file is an orphan only if no centre's row names it.
    referenced = set(db.session.execute(select(SubmissionFile.stored_name)
                                        .execution_options(**{ALL_CENTRES: True})).scalars())
    return storage.check(upload_dir, referenced=referenced, now=now, grace_seconds=grace_seconds)
