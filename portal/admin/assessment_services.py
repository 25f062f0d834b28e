"""The awarding body's handling of a submission (SPEC §6.3): quality check, allocation to an assessor free of
conflicts of interest, the result with its marked result sheet, a lead assessor's sample, and release to the
centre. Plain functions: each takes the submission and the acting awarding-body user, checks the role
(PermissionError, a 403) and the rules (Refused), writes an audit event, and leaves the commit to the caller.

Sampling before release (policy §6.1; the rules and the sampling policy are in portal/admin/sampling.py):
when a result is recorded the sampling policy decides whether it is selected for a lead assessor's sample. Only
holders of the lead-assessor role (appointed by a platform admin) sample, never the assessor who marked it; a
sample is confirmed, or finds issues (with notes). A selected result waits for its sample, and a result with
issues waits until it is mitigated — re-marked by its assessor, or confirmed by a lead assessor — before release.

Results go to the centre's Quality contact, never to the learner: nothing here emails a learner.
"""
from __future__ import annotations

from typing import IO

from flask import current_app
from sqlalchemy import or_, select

from portal import audit
from portal.admin import sampling
from portal.auth.models import AccountStatus, Role, User
from portal.db import utcnow
from portal.documents import RefusedDocument, count_words
from portal.documents.ooxml import sniff
from portal.extensions import db
from portal.mail import link_to, queue_email
from portal.rules import Refused
from tenants.learners.models import Learner
from tenants.models import Centre
from tenants.submissions import naming, storage
from tenants.submissions.models import (
    ConflictOfInterest,
    FileKind,
    Mitigation,
    Result,
    SampleOutcome,
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


def _require_lead_assessor(by: User) -> None:
    if not by.has_role(Role.LEAD_ASSESSOR):
        raise PermissionError("the lead assessor role is needed")


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
    """The allocated assessor's result — pass, or referred with the criteria to rework — and the marked sheet.

    The same form re-marks a result whose sample found issues (the mitigation of SPEC §6.3): the new result and
    sheet replace the old (kept for the record, never shown to the centre) and the result may then be released."""
    _require_assessment_role(by)
    remark = submission.status is SubmissionStatus.MARKED and sampling.awaiting_mitigation(submission)
    if not remark:
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
    if remark:
        earlier = f"{submission.result.value}" + (f" ({submission.referred_criteria})"
                                                  if submission.referred_criteria else "")
        for old in submission.files:
            if old.kind is FileKind.MARKED_RESULT_SHEET:
                old.kind = FileKind.SUPERSEDED_SHEET
    stored = _store(submission, marked_sheet, filename, FileKind.MARKED_RESULT_SHEET,
                    naming.download_name(naming.submission_stem(submission), FileKind.MARKED_RESULT_SHEET, ".docx"))
    submission.result, submission.referred_criteria = result, criteria
    outcome = f"Result: {result.value}" + (f" ({criteria})" if criteria else "")
    if remark:
        submission.mitigation, submission.mitigated_by_id = Mitigation.REMARKED, by.id
        submission.mitigated_at = utcnow()
        submission.mitigation_note = f"Re-marked after the sample; the earlier result was {earlier}."
        _record("submission.remarked", submission, by, f"{outcome}. {submission.mitigation_note}")
        return stored
    submission.status, submission.marked_at = SubmissionStatus.MARKED, utcnow()
    selection = sampling.selection_for(submission, submission.marked_at)
    submission.sample_basis, submission.sample_selected = selection.basis, selection.selected
    submission.sample_reason = selection.reason[:200]
    _record("submission.marked", submission, by,
            f"{outcome}. {'Selected for sampling' if selection.selected else 'Sampling'}: {selection.reason}.")
    return stored


# --- sampling and release ------------------------------------------------------------------------------------------

def _tell_assessor(submission: Submission, subject: str, body: str) -> None:
    assessor = db.session.get(User, submission.assessor_id) if submission.assessor_id else None
    if assessor is not None and assessor.status is AccountStatus.ACTIVE:
        link = link_to("admin_assessment.submission", submission_id=submission.id)
        queue_email(assessor.email, subject, f"Dear {assessor.name},\n\n{body}\n\n{link}\n\nILM Assessment Service")


def sample(submission: Submission, outcome: SampleOutcome | str, note: str = "", *, by: User) -> None:
    """A lead assessor's sample of a marked result: *confirmed*, or *issues found* with notes saying what they are
    (the assessor reads them to re-mark; the result is held until the issues are mitigated)."""
    _require_lead_assessor(by)
    _require_status(submission, SubmissionStatus.MARKED)
    if submission.sampled_at is not None:
        raise Refused("This submission has already been sampled.")
    if by.id == submission.assessor_id:
        raise Refused("A lead assessor other than the assessor who marked it must sample it.")
    try:
        outcome = SampleOutcome(outcome)
    except ValueError:
        raise Refused("Choose the outcome of the sample: confirmed, or issues found.", field="outcome") from None
    note = (note or "").strip()
    if outcome is SampleOutcome.ISSUES_FOUND and not note:
        raise Refused("Say what the issues are, with the decision or the feedback: the assessor reads this to "
                      "re-mark it.", field="note")
    submission.sampled_by_id, submission.sampled_at = by.id, utcnow()
    submission.sample_outcome, submission.sample_note = outcome, note
    _record("submission.sampled", submission, by, f"{outcome.label}." + (f" {note}" if note else ""))
    if outcome is SampleOutcome.ISSUES_FOUND:
        _tell_assessor(submission, f"Issues found in a sample of your marking: {reference(submission)}",
                       f"{by.name} sampled your marking of {reference(submission)} and found issues:\n\n{note}\n\n"
                       f"The result is held until you re-mark it (record the result again with a new marked result "
                       f"sheet) or a lead assessor confirms it.")


def confirm_result(submission: Submission, note: str, *, by: User) -> None:
    """A lead assessor confirms that a result whose sample found issues may be released as it stands (the other
    mitigation besides a re-mark), saying why."""
    _require_lead_assessor(by)
    _require_status(submission, SubmissionStatus.MARKED)
    if not sampling.awaiting_mitigation(submission):
        raise Refused("Only a result whose sample found issues, not yet dealt with, is confirmed this way.")
    if by.id == submission.assessor_id:
        raise Refused("You marked this result: another lead assessor confirms it.")
    note = (note or "").strip()
    if not note:
        raise Refused("Say why the result can be released as it stands.", field="note")
    submission.mitigation, submission.mitigated_at, submission.mitigated_by_id = Mitigation.CONFIRMED, utcnow(), by.id
    submission.mitigation_note = note
    _record("submission.result_confirmed", submission, by, f"Issues found in the sample; result confirmed: {note}")


def release(submission: Submission, *, by: User) -> None:
    """Release the result to the centre (the centre's tracker shows it; its Quality contact is emailed) — once
    sampling allows it (portal/admin/sampling.py)."""
    if not by.has_role(Role.ASSESSMENT, Role.LEAD_ASSESSOR):
        raise PermissionError("the assessment or lead assessor role is needed")
    _require_status(submission, SubmissionStatus.MARKED)
    state = sampling.sampling_state(submission)
    if not state.releasable:
        raise Refused(state.blocked)
    submission.status = SubmissionStatus.RELEASED
    submission.released_at, submission.released_by_id = utcnow(), by.id
    _record("submission.released", submission, by, f"Result: {submission.result.value if submission.result else ''}"
            f" · sampling: {state.label.lower()}")
    _tell_centre(submission, f"Result released: {reference(submission)}",
                 f"The result for {submission.learner.full_name}, {reference(submission)}, has been released to "
                 f"your centre with the marked result sheet.")


def recorded_conflicts() -> list:
    """Every recorded conflict of interest with its assessor, learner (if any) and centre, by assessor."""
    return db.session.execute(
        select(ConflictOfInterest, User, Learner, Centre)
        .join(User, User.id == ConflictOfInterest.assessor_id)
        .outerjoin(Learner, Learner.id == ConflictOfInterest.learner_id)
        .outerjoin(Centre, Centre.id == db.func.coalesce(ConflictOfInterest.conflict_centre_id, Learner.centre_id))
        .order_by(User.name, ConflictOfInterest.id)).all()
