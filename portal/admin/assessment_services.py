"""The awarding body's handling of a submission (SPEC §6.3): quality check, allocation to an assessor free of
conflicts of interest, the result with its marked result sheet, a lead assessor's sample, and release to the
centre. Plain functions: each takes the submission and the acting awarding-body user, checks the role
(PermissionError, a 403) and the rules (Refused), writes an audit event, and leaves the commit to the caller.

Sampling before release (policy §6.1: "a selection of assessments are sampled ... prior to releasing the
results"): every marked submission may be sampled, and any sampled one may be released. An unsampled one may be
released only once the *first* submission its assessor marked in that calendar month (Europe/London) has been
sampled — so each assessor's work is quality-assured at least once a month before any of it reaches a centre.
The sampler holds the assessment role and is never the assessor who marked it (there is no separate
lead-assessor role in the model).

Results go to the centre's Quality contact, never to the learner: nothing here emails a learner.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from flask import current_app
from sqlalchemy import or_, select

from portal import audit
from portal.auth.models import AccountStatus, Role, User
from portal.db import utcnow
from portal.documents import RefusedDocument, count_words
from portal.documents.ooxml import sniff
from portal.extensions import db
from portal.mail import link_to, queue_email
from portal.rules import Refused
from portal.workdays import LONDON
from tenants.learners.models import Learner
from tenants.models import Centre
from tenants.submissions import naming, storage
from tenants.submissions.models import (
    ConflictOfInterest,
    FileKind,
    Result,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)

# Common reasons for a quality-check rejection (policy §5.1); the person may add their own words.
REJECTION_REASONS = {
    "authenticity": "The signed authenticity cover sheet is missing.",
    "wrong_learner": "The assessment uploaded is for a different learner.",
    "wrong_unit": "The assessment uploaded is for a different unit.",
    "result_sheet_not_word": "The ILMA result sheet is not a Word document (.docx) with the learner details "
                             "filled in.",
    "excessive_length": "The assessment is excessively long for the unit.",
}


def reference(submission: Submission) -> str:
    """How people name a submission: the file-naming convention, e.g. S.Smith-ABC123(1), and the unit code."""
    return f"{naming.submission_stem(submission)} unit {submission.unit.code}"


def _require_assessment_role(by: User) -> None:
    if not by.has_role(Role.ASSESSMENT):
        raise PermissionError("the assessment role is needed")


def _require_status(submission: Submission, *allowed: SubmissionStatus) -> None:
    if submission.status not in allowed:
        raise Refused(f"This submission is {submission.status.label.lower()}, so that cannot be done now.")


def _record(action: str, submission: Submission, by: User, detail: str = "") -> None:
    audit.record(action, actor=by, centre_id=submission.centre_id, subject=reference(submission), detail=detail)


def _tell_centre(submission: Submission, subject: str, body: str) -> None:
    """Email the centre's Quality contact (the centre's only inbox the awarding body writes to about results)."""
    from tenants.staff.services import quality_contact

    centre = db.session.get(Centre, submission.centre_id)
    contact = quality_contact(centre)
    if contact is None or contact.status is not AccountStatus.ACTIVE:
        return
    link = link_to("centre.public.home", slug=centre.slug) if centre.slug else ""
    queue_email(contact.email, subject, f"Dear {contact.name},\n\n{body}\n\nSee your centre's submissions tracker "
                f"on the portal{': ' + link if link else ''}.\n\nILM Assessment Service", centre_id=centre.id)


# --- quality check -------------------------------------------------------------------------------------------

def accept_quality_check(submission: Submission, *, by: User) -> None:
    """The upload is complete and correct: it goes for marking (its 25-working-day clock keeps running)."""
    _require_assessment_role(by)
    _require_status(submission, SubmissionStatus.AWAITING_QC)
    submission.status = SubmissionStatus.MARKING
    submission.qc_decided_at, submission.qc_decided_by_id = utcnow(), by.id
    _record("submission.qc_accepted", submission, by)


def reject_quality_check(submission: Submission, reason: str, *, by: User) -> None:
    """The upload cannot be marked: its clock stops; the centre reads `reason` and uploads a corrected copy with
    the same number, which starts a new 25-working-day clock (tenants/submissions upload)."""
    _require_assessment_role(by)
    _require_status(submission, SubmissionStatus.AWAITING_QC)
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Give the reason the centre will read.", field="detail")
    submission.status = SubmissionStatus.REJECTED
    submission.qc_decided_at, submission.qc_decided_by_id = utcnow(), by.id
    submission.rejection_reason = reason
    _record("submission.qc_rejected", submission, by, reason)
    _tell_centre(submission, f"Submission rejected at quality check: {reference(submission)}",
                 f"We could not accept the submission {reference(submission)} for "
                 f"{submission.learner.full_name} at quality check.\n\nReason: {reason}\n\n"
                 f"Upload a corrected copy with all its documents and the same submission number "
                 f"({submission.number}); it replaces this one and its 25 working day clock starts when it is "
                 f"uploaded.")


# --- conflicts of interest and allocation ----------------------------------------------------------------------

def _require_assessor(assessor: User | None) -> User:
    if assessor is None or not assessor.is_awarding_body or assessor.status is not AccountStatus.ACTIVE \
            or not assessor.has_role(Role.ASSESSMENT):
        raise Refused("Choose an active member of awarding-body staff with the assessment role.", field="assessor")
    return assessor


def record_conflict(assessor: User, *, learner: Learner | None = None, centre: Centre | None = None,
                    note: str = "", by: User) -> ConflictOfInterest:
    """Record that `assessor` must not mark `learner`'s work, or any work from `centre`."""
    _require_assessment_role(by)
    _require_assessor(assessor)
    if learner is None and centre is None:
        raise Refused("Name the learner or the centre the assessor has a conflict of interest with.")
    conflict = ConflictOfInterest(assessor_id=assessor.id, learner_id=learner.id if learner else None,
                                  conflict_centre_id=centre.id if centre else None, note=(note or "").strip(),
                                  recorded_by_id=by.id)
    db.session.add(conflict)
    whom = f"learner {learner.full_name} ({learner.enrolment_number})" if learner else f"centre {centre.name}"
    audit.record("assessment.conflict_recorded", actor=by, centre_id=learner.centre_id if learner else centre.id,
                 subject=assessor.name, detail=f"Conflict of interest with {whom}. {conflict.note}".strip())
    return conflict


def conflict_between(submission: Submission, assessor: User) -> ConflictOfInterest | None:
    """A recorded conflict of interest of `assessor` with the submission's learner or its centre, if any."""
    statement = (select(ConflictOfInterest)
                 .where(ConflictOfInterest.assessor_id == assessor.id,
                        or_(ConflictOfInterest.learner_id == submission.learner_id,
                            ConflictOfInterest.conflict_centre_id == submission.centre_id))
                 .order_by(ConflictOfInterest.id).limit(1))
    return db.session.execute(statement).scalar_one_or_none()


def allocate(submission: Submission, assessor: User, *, by: User) -> None:
    """Give an accepted submission to an assessor with no conflict of interest (re-allocation while unmarked)."""
    _require_assessment_role(by)
    _require_status(submission, SubmissionStatus.MARKING)
    _require_assessor(assessor)
    conflict = conflict_between(submission, assessor)
    if conflict is not None:
        whom = "this learner" if conflict.learner_id == submission.learner_id else "this centre"
        raise Refused(f"{assessor.name} has a recorded conflict of interest with {whom}"
                      f"{': ' + conflict.note if conflict.note else ''}. Choose another assessor.", field="assessor")
    submission.assessor_id, submission.allocated_at = assessor.id, utcnow()
    _record("submission.allocated", submission, by, f"Allocated to {assessor.name}.")


# --- the result --------------------------------------------------------------------------------------------------

def _check_marked_sheet(stream: IO[bytes]) -> None:
    """The marked result sheet must be a Word .docx the portal can read (sniffed, never trusted by its name)."""
    stream.seek(0)
    kind = sniff(stream.read(1024))
    stream.seek(0)
    if kind == "pdf":
        raise Refused("The marked result sheet must be a Word document (.docx), not a PDF: the centre and the "
                      "learner read the assessor's feedback in Word.", field="marked_sheet")
    try:
        count_words(stream)
    except RefusedDocument as refusal:
        raise Refused(f"The marked result sheet must be a Word document (.docx). {refusal.reason}",
                      field="marked_sheet") from None
    finally:
        stream.seek(0)


def _store(submission: Submission, stream: IO[bytes], original_name: str, kind: FileKind,
           download_name: str) -> SubmissionFile:
    """Write the file to UPLOAD_DIR under a generated name (never a name someone chose) and describe it."""
    saved = storage.store(stream, current_app.config["UPLOAD_DIR"], ".docx")
    stored = SubmissionFile(centre_id=submission.centre_id, submission_id=submission.id, kind=kind,
                            original_name=(original_name or download_name)[:255], download_name=download_name,
                            stored_name=saved.stored_name, sha256=saved.sha256, size=saved.size,
                            content_type=saved.content_type)
    db.session.add(stored)
    return stored


def normalise_criteria(text: str) -> str:
    """'ac 1.2;AC3.1 ,  1.3' -> 'AC 1.2, AC 3.1, AC 1.3' (one spelling on the tracker and the invoice)."""
    parts = [p.strip() for p in (text or "").replace(";", ",").replace("\n", ",").split(",")]
    out = []
    for part in filter(None, parts):
        bare = part.upper().removeprefix("AC").strip()
        out.append(f"AC {bare}" if bare and bare[0].isdigit() else part)
    return ", ".join(out)


def record_result(submission: Submission, result: Result, referred_criteria: str, marked_sheet: IO[bytes], *,
                  filename: str = "", by: User) -> SubmissionFile:
    """The allocated assessor's result — pass, or referred with the criteria to rework — and the marked sheet."""
    _require_assessment_role(by)
    _require_status(submission, SubmissionStatus.MARKING)
    if submission.assessor_id != by.id:
        raise PermissionError("only the allocated assessor records the result")
    result = Result(result)
    criteria = normalise_criteria(referred_criteria) if result is Result.REFERRED else ""
    if result is Result.REFERRED and not criteria:
        raise Refused("Give the referred assessment criteria, e.g. AC 1.2, AC 3.1.", field="referred_criteria")
    if marked_sheet is None:
        raise Refused("Upload the marked result sheet (.docx).", field="marked_sheet")
    _check_marked_sheet(marked_sheet)
    stored = _store(submission, marked_sheet, filename, FileKind.MARKED_RESULT_SHEET,
                    naming.download_name(naming.submission_stem(submission), FileKind.MARKED_RESULT_SHEET, ".docx"))
    submission.result, submission.referred_criteria = result, criteria
    submission.status, submission.marked_at = SubmissionStatus.MARKED, utcnow()
    _record("submission.marked", submission, by, f"Result: {result.value}" + (f" ({criteria})" if criteria else ""))
    return stored


# --- sampling and release ------------------------------------------------------------------------------------------

def sample(submission: Submission, note: str = "", *, by: User) -> None:
    """A lead assessor's quality assurance of the marking: someone other than the assessor."""
    _require_assessment_role(by)
    _require_status(submission, SubmissionStatus.MARKED)
    if submission.sampled_at is not None:
        raise Refused("This submission has already been sampled.")
    if by.id == submission.assessor_id:
        raise Refused("A lead assessor other than the assessor who marked it must sample it.")
    submission.sampled_by_id, submission.sampled_at = by.id, utcnow()
    submission.sample_note = (note or "").strip()
    _record("submission.sampled", submission, by, submission.sample_note)


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The UTC start and end of the Europe/London calendar month of `moment`."""
    local = moment.astimezone(LONDON)
    start = datetime(local.year, local.month, 1, tzinfo=LONDON)
    end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def _marked_in(assessor_ids, start: datetime, end: datetime):
    return (select(Submission.id, Submission.assessor_id, Submission.marked_at, Submission.sampled_at)
            .where(Submission.assessor_id.in_(assessor_ids), Submission.marked_at.is_not(None),
                   Submission.marked_at >= start, Submission.marked_at < end,
                   Submission.status.in_((SubmissionStatus.MARKED, SubmissionStatus.RELEASED)))
            .order_by(Submission.marked_at, Submission.id))


@dataclass(frozen=True)
class SampleState:
    """Where a marked submission stands with sampling. `first_id`: the assessor's first of the month."""

    sampled: bool
    first_id: int | None
    first_sampled: bool

    @property
    def releasable(self) -> bool:
        return self.sampled or self.first_sampled

    @property
    def needs_own_sample(self) -> bool:
        return not self.releasable


def sample_states(submissions: list[Submission]) -> dict[int, SampleState]:
    """Sampling state of marked submissions, in one query whatever their number."""
    marked = [s for s in submissions if s.marked_at is not None and s.assessor_id is not None]
    if not marked:
        return {}
    start = month_bounds(min(s.marked_at for s in marked))[0]
    end = month_bounds(max(s.marked_at for s in marked))[1]
    firsts: dict[tuple[int, datetime], tuple[int, bool]] = {}
    for row in db.session.execute(_marked_in({s.assessor_id for s in marked}, start, end)).all():
        key = (row.assessor_id, month_bounds(row.marked_at)[0])
        firsts.setdefault(key, (row.id, row.sampled_at is not None))
    states = {}
    for s in marked:
        first_id, first_sampled = firsts.get((s.assessor_id, month_bounds(s.marked_at)[0]), (None, False))
        states[s.id] = SampleState(sampled=s.sampled_at is not None, first_id=first_id, first_sampled=first_sampled)
    return states


def release(submission: Submission, *, by: User) -> None:
    """Release the result to the centre (the centre's tracker shows it; its Quality contact is emailed)."""
    _require_assessment_role(by)
    _require_status(submission, SubmissionStatus.MARKED)
    state = sample_states([submission])[submission.id]
    if not state.releasable:
        if state.first_id == submission.id:
            raise Refused("This is the first submission its assessor marked this month: a lead assessor must "
                          "sample it before it is released.")
        raise Refused("A lead assessor must first sample the first submission this assessor marked this month "
                      f"(submission #{state.first_id}), or sample this one.")
    submission.status = SubmissionStatus.RELEASED
    submission.released_at, submission.released_by_id = utcnow(), by.id
    _record("submission.released", submission, by, f"Result: {submission.result.value if submission.result else ''}")
    _tell_centre(submission, f"Result released: {reference(submission)}",
                 f"The result for {submission.learner.full_name}, {reference(submission)}, has been released to "
                 f"your centre with the marked result sheet.")
