"""The awarding body's handling of a submission, service by service: each allowed transition and each refusal."""
from __future__ import annotations

import io
from datetime import datetime

import pytest

from portal.admin import assessment_services as assessment
from portal.audit import AuditEvent
from portal.db import commit, utcnow
from portal.extensions import db
from portal.rules import Refused
from tenants.submissions.models import ConflictOfInterest, FileKind, Result, SampleOutcome, SubmissionStatus
from tests.assessment.factory import make_learner, make_submission
from tests.documents.builders import docx_bytes, p, pdf_bytes

S = SubmissionStatus
MARKED_SHEET = docx_bytes(p("AC 1.1 met. AC 1.2 not yet: explain the model."))
LEGACY_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument".encode("utf-16-le") + b"\0" * 1024


def sheet(data: bytes = MARKED_SHEET):
    return io.BytesIO(data)


def actions(submission) -> list[str]:
    return list(db.session.execute(db.select(AuditEvent.action).where(
        AuditEvent.centre_id == submission.centre_id, AuditEvent.action.like("submission.%"))
        .order_by(AuditEvent.id)).scalars())


# --- quality check -----------------------------------------------------------------------------------------------

def test_accept_moves_to_marking_and_records_the_decision(centre, checker):
    sub = make_submission(centre)
    assessment.accept_quality_check(sub, by=checker)
    commit()
    assert sub.status is S.MARKING
    assert sub.qc_decided_at is not None and sub.qc_decided_by_id == checker.id
    assert actions(sub) == ["submission.qc_accepted"]


def test_reject_stops_the_clock_keeps_the_reason_and_emails_the_quality_contact(centre, checker, mailbox):
    sub = make_submission(centre)
    learner_email = sub.learner.email
    assessment.reject_quality_check(sub, "  The signed authenticity cover sheet is missing.  ", by=checker)
    commit()
    assert sub.status is S.REJECTED
    assert sub.rejection_reason == "The signed authenticity cover sheet is missing."
    assert sub.qc_decided_at is not None
    message = mailbox.last_to(_qc_email(centre))
    assert "authenticity cover sheet is missing" in message.get_content()
    assert "same submission number (1)" in message.get_content()
    assert not mailbox.to(learner_email)
    assert actions(sub) == ["submission.qc_rejected"]


def _qc_email(centre):
    from tests.conftest import quality_contact_of

    return quality_contact_of(centre).email


def test_reject_needs_a_reason(centre, checker):
    sub = make_submission(centre)
    with pytest.raises(Refused, match="reason"):
        assessment.reject_quality_check(sub, "   ", by=checker)
    assert sub.status is S.AWAITING_QC


@pytest.mark.parametrize("status", [s for s in S if s is not S.AWAITING_QC])
def test_quality_check_only_while_awaiting_it(centre, checker, status):
    sub = make_submission(centre, status=status)
    with pytest.raises(Refused):
        assessment.accept_quality_check(sub, by=checker)
    with pytest.raises(Refused):
        assessment.reject_quality_check(sub, "Wrong unit", by=checker)


def test_every_action_needs_the_assessment_role(centre, make_admin, assessor):
    """...and sampling needs the lead assessor's; release needs one of the two."""
    other = make_admin("platform_admin", "quality", "finance", "customer_service", "team_leader", "director")
    sub = make_submission(centre)
    with pytest.raises(PermissionError):
        assessment.accept_quality_check(sub, by=other)
    with pytest.raises(PermissionError):
        assessment.reject_quality_check(sub, "Wrong unit", by=other)
    marking = make_submission(centre, status=S.MARKING)
    with pytest.raises(PermissionError):
        assessment.allocate(marking, assessor, by=other)
    with pytest.raises(PermissionError):
        assessment.record_conflict(assessor, centre=centre, by=other)
    marked = make_submission(centre, status=S.MARKED, assessor_id=assessor.id, marked_at=utcnow())
    with pytest.raises(PermissionError, match="lead assessor role"):
        assessment.sample(marked, "confirmed", by=other)
    with pytest.raises(PermissionError, match="lead assessor role"):
        assessment.sample(marked, "confirmed", by=make_admin("assessment"))  # an assessor is not a lead assessor
    with pytest.raises(PermissionError, match="lead assessor role"):
        assessment.confirm_result(marked, "It stands", by=make_admin("assessment"))
    with pytest.raises(PermissionError):
        assessment.release(marked, by=other)


# --- allocation and conflicts of interest -----------------------------------------------------------------------

def test_allocate_to_an_assessor(centre, checker, assessor):
    sub = make_submission(centre, status=S.MARKING)
    assessment.allocate(sub, assessor, by=checker)
    commit()
    assert sub.assessor_id == assessor.id and sub.allocated_at is not None
    assert actions(sub) == ["submission.allocated"]


@pytest.mark.parametrize("status", [s for s in S if s is not S.MARKING])
def test_allocate_only_while_being_marked(centre, checker, assessor, status):
    with pytest.raises(Refused):
        assessment.allocate(make_submission(centre, status=status), assessor, by=checker)


def test_allocate_only_to_active_awarding_body_staff_with_the_assessment_role(centre, checker, make_admin,
                                                                             make_staff):
    sub = make_submission(centre, status=S.MARKING)
    finance = make_admin("finance")
    closed = make_admin("assessment")
    closed.status = "closed"
    db.session.commit()
    for person in (finance, closed, make_staff(centre), None):
        with pytest.raises(Refused, match="assessment role"):
            assessment.allocate(sub, person, by=checker)
    assert sub.assessor_id is None


def test_a_conflict_with_the_learner_refuses_allocation(centre, checker, assessor, make_admin):
    sub = make_submission(centre, status=S.MARKING)
    assessment.record_conflict(assessor, learner=sub.learner, note="Line manager of the learner", by=checker)
    commit()
    with pytest.raises(Refused, match="conflict of interest with this learner: Line manager"):
        assessment.allocate(sub, assessor, by=checker)
    # Another learner of the same centre is fine; another assessor is fine.
    assessment.allocate(make_submission(centre, status=S.MARKING), assessor, by=checker)
    assessment.allocate(sub, make_admin("assessment"), by=checker)


def test_a_conflict_with_the_centre_refuses_allocation(centre, other_centre, checker, assessor):
    sub = make_submission(centre, status=S.MARKING)
    assessment.record_conflict(assessor, centre=centre, note="Used to teach there", by=checker)
    commit()
    with pytest.raises(Refused, match="conflict of interest with this centre"):
        assessment.allocate(sub, assessor, by=checker)
    assessment.allocate(make_submission(other_centre, status=S.MARKING), assessor, by=checker)


def test_a_conflict_names_a_learner_or_a_centre(centre, checker, assessor):
    with pytest.raises(Refused, match="learner or the centre"):
        assessment.record_conflict(assessor, by=checker)
    conflict = assessment.record_conflict(assessor, centre=centre, by=checker)
    commit()
    assert db.session.get(ConflictOfInterest, conflict.id).conflict_centre_id == centre.id
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "assessment.conflict_recorded")
                               ).scalar_one()
    assert event.centre_id == centre.id


# --- the result --------------------------------------------------------------------------------------------------

def allocated(centre, assessor, **values):
    return make_submission(centre, status=S.MARKING, assessor_id=assessor.id, allocated_at=utcnow(), **values)


def test_pass_with_the_marked_sheet(centre, assessor, app):
    sub = allocated(centre, assessor)
    stored = assessment.record_result(sub, "pass", "AC 9.9", sheet(), filename="marked.docx", by=assessor)
    commit()
    assert sub.status is S.MARKED and sub.result is Result.PASS and sub.referred_criteria == ""
    assert sub.marked_at is not None
    assert stored.kind is FileKind.MARKED_RESULT_SHEET
    assert stored.download_name == f"S.Smith-{sub.learner.enrolment_number}(1) marked result sheet.docx"
    with open(f"{app.config['UPLOAD_DIR']}/{stored.stored_name}", "rb") as saved:
        assert saved.read() == MARKED_SHEET
    assert actions(sub) == ["submission.marked"]


def test_referred_with_its_criteria(centre, assessor):
    sub = allocated(centre, assessor)
    assessment.record_result(sub, Result.REFERRED, "ac 1.2; AC3.1", sheet(), by=assessor)
    assert sub.result is Result.REFERRED and sub.referred_criteria == "AC 1.2, AC 3.1"


def test_referred_needs_the_criteria(centre, assessor):
    sub = allocated(centre, assessor)
    with pytest.raises(Refused, match="referred assessment criteria") as refused:
        assessment.record_result(sub, Result.REFERRED, " , ", sheet(), by=assessor)
    assert refused.value.field == "referred_criteria"
    assert sub.status is S.MARKING


@pytest.mark.parametrize(("data", "message"), [
    (pdf_bytes("Marked sheet"), "not a PDF"),
    (LEGACY_DOC, "old-style Word document"),
    (b"Just some text", "not a Word document"),
    (b"", "empty"),
])
def test_the_marked_sheet_must_be_a_docx(centre, assessor, data, message):
    sub = allocated(centre, assessor)
    with pytest.raises(Refused, match=message) as refused:
        assessment.record_result(sub, Result.PASS, "", sheet(data), filename="marked.docx", by=assessor)
    assert refused.value.field == "marked_sheet"
    assert sub.status is S.MARKING and not [f for f in sub.files if f.kind is FileKind.MARKED_RESULT_SHEET]


def test_only_the_allocated_assessor_records_the_result(centre, assessor, checker):
    sub = allocated(centre, assessor)
    with pytest.raises(PermissionError):
        assessment.record_result(sub, Result.PASS, "", sheet(), by=checker)
    unallocated = make_submission(centre, status=S.MARKING)
    with pytest.raises(PermissionError):
        assessment.record_result(unallocated, Result.PASS, "", sheet(), by=checker)


@pytest.mark.parametrize("status", [s for s in S if s is not S.MARKING])
def test_result_only_while_being_marked(centre, assessor, status):
    sub = make_submission(centre, status=status, assessor_id=assessor.id)
    with pytest.raises(Refused):
        assessment.record_result(sub, Result.PASS, "", sheet(), by=assessor)


# --- sampling and release (the rules in detail: tests/assessment/test_sampling.py) --------------------------------

def marked(centre, assessor, at: datetime | None = None, **values):
    return make_submission(centre, status=S.MARKED, assessor_id=assessor.id, result=Result.PASS,
                           marked_at=at or utcnow(), qc_decided_at=utcnow(), **values)


def test_sample_by_a_lead_assessor(centre, assessor, lead):
    sub = marked(centre, assessor)
    assessment.sample(sub, "confirmed", "Feedback clear and decisions valid.", by=lead)
    commit()
    assert sub.sampled_by_id == lead.id and sub.sampled_at and sub.sample_note.startswith("Feedback clear")
    assert sub.sample_outcome is SampleOutcome.CONFIRMED
    with pytest.raises(Refused, match="already been sampled"):
        assessment.sample(sub, "confirmed", by=lead)


def test_the_assessor_does_not_sample_their_own_marking(centre, make_admin):
    both = make_admin("assessment", "lead_assessor")  # a lead assessor who also marks
    sub = marked(centre, both)
    with pytest.raises(Refused, match="other than the assessor"):
        assessment.sample(sub, "confirmed", by=both)
    assert sub.sampled_at is None


@pytest.mark.parametrize("status", [s for s in S if s is not S.MARKED])
def test_sample_and_release_only_once_marked(centre, assessor, lead, status):
    sub = make_submission(centre, status=status, assessor_id=assessor.id, marked_at=utcnow())
    with pytest.raises(Refused, match="so that cannot be done now"):
        assessment.sample(sub, "confirmed", by=lead)
    with pytest.raises(Refused, match="so that cannot be done now"):
        assessment.release(sub, by=lead)


def test_release_emails_the_centre_never_the_learner(centre, assessor, lead, mailbox):
    sub = marked(centre, assessor, sample_selected=True, sample_reason="new assessor")
    assessment.sample(sub, "confirmed", by=lead)
    assessment.release(sub, by=lead)
    commit()
    assert sub.status is S.RELEASED and sub.released_at is not None and sub.released_by_id == lead.id
    body = mailbox.last_to(_qc_email(centre)).get_content()
    assert "has been released" in body and sub.learner.full_name in body
    assert not mailbox.to(sub.learner.email)
    assert actions(sub) == ["submission.sampled", "submission.released"]


def test_a_learner_is_never_emailed(centre, checker, assessor, lead, mailbox):
    learner = make_learner(centre, enr="LRN1")
    sub = make_submission(centre, learner=learner)
    assessment.accept_quality_check(sub, by=checker)
    assessment.allocate(sub, assessor, by=checker)
    assessment.record_result(sub, Result.REFERRED, "AC 2.1", sheet(), by=assessor)
    assessment.sample(sub, "issues_found", "Feedback does not say what AC 2.1 needs.", by=lead)
    assessment.record_result(sub, Result.REFERRED, "AC 2.1", sheet(), by=assessor)  # the re-mark
    assessment.release(sub, by=lead)
    commit()
    assert not mailbox.to(learner.email)
    assert sub.status is S.RELEASED
