"""Erasing a learner's personal data at their request (UK GDPR Article 17), by the centre's Quality contact.

Rows are anonymised, never deleted, so that every figure built from them — the complaint reports, the tracker,
the awarding body's referral rates, invoices — is the same after an erasure as before. What goes:

* the learner's name, email, ENR (replaced by ERASED<id>) and qualification;
* their submissions' files, from the database and from the disk (once the erasure commits);
* in each of their closed complaints, everything they wrote and their contact details
  (`tenants.complaints.retention.anonymise`, the rule the retention purge uses for when a case is closed);
* their name, email and ENR wherever staff wrote them: rejection reasons, sampling notes, case outcomes and
  updates, the audit log's entries about them, emails sent to them.

Refused while something is still being done for the learner: an open complaint, or a submission with the
awarding body (held, awaiting the quality check, being marked, awaiting release). Kept unchanged: invoice lines
the awarding body issued (VAT records, kept six years) — see docs/learners-data.md.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from portal import audit
from portal.auth.models import User
from portal.extensions import db
from portal.rules import Refused
from portal.tenancy import belongs_to
from tenants.complaints.retention import ERASED, anonymise, is_closed
from tenants.learner_data.records import LearnerRecords
from tenants.models import Centre
from tenants.submissions import storage
from tenants.submissions.models import Submission, SubmissionStatus

WITH_THE_AWARDING_BODY = (SubmissionStatus.HELD, SubmissionStatus.AWAITING_QC, SubmissionStatus.MARKING,
                          SubmissionStatus.MARKED)
SUBMISSION_TEXTS = ("rejection_reason", "sample_note", "sample_reason", "mitigation_note", "colour_warning")


class Redactor:
    """Replaces a person's names, email addresses and ENR in free text written about them."""

    def __init__(self, *, names: Iterable[str], emails: Iterable[str], enrolment_number: str, pseudonym: str):
        words = {word for name in names for word in re.split(r"[\s.]+", name) if len(word) >= 2}
        whole = sorted({" ".join(name.split()) for name in names if name.strip()}, key=len, reverse=True)
        self.rules = [(re.compile(re.escape(email), re.IGNORECASE), ERASED) for email in emails if email]
        self.rules.append((re.compile(rf"\b{re.escape(enrolment_number)}\b", re.IGNORECASE), pseudonym))
        self.rules += [(re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), ERASED)
                       for name in [*whole, *sorted(words, key=len, reverse=True)]]

    def __call__(self, text: str) -> str:
        for pattern, replacement in self.rules:
            text = pattern.sub(replacement, text or "")
        return text


@dataclass
class Plan:
    """What an erasure would do: refused for `blockers`; otherwise erases and keeps what it says."""

    blockers: list[str] = field(default_factory=list)
    files: int = 0
    submissions: int = 0
    complaints: int = 0
    audit_events: int = 0
    billed: int = 0  # fees billed, or to be billed, for the learner's submissions: their invoice lines are kept


def _billed(submission: Submission) -> int:
    """Invoice lines a submission gives (portal/invoicing): a resubmission's fee, an accepted excess fee."""
    return int(submission.is_resubmission and submission.clock_started_at is not None) + int(
        submission.excess_fee_accepted_at is not None)


def plan(records: LearnerRecords) -> Plan:
    """What erasing `records` would do, and what stops it."""
    learner = records.learner
    result = Plan(files=len(records.files), submissions=len(records.submissions),
                  complaints=len(records.complaints), audit_events=len(records.audit_events),
                  billed=sum(_billed(submission) for submission in records.submissions))
    if learner.erased_at is not None:
        result.blockers.append("This learner's data has already been erased.")
        return result
    for matched in records.complaints:
        if not is_closed(matched.complaint):
            result.blockers.append(
                f"Complaint {matched.complaint.reference} is still open: it is being handled for the learner. "
                "Erase their data once it is closed (resolved, or accepted by the learner).")
    for submission in records.submissions:
        if submission.is_current and submission.status in WITH_THE_AWARDING_BODY:
            result.blockers.append(
                f"Submission {submission.number} for unit {submission.unit.code} is "
                f"{submission.status.label.lower()}: the awarding body is still working on it. Erase the learner's "
                "data once its result is released (or, if it is held, once you have withdrawn it).")
    return result


def confirm(records: LearnerRecords, typed: str) -> None:
    """The confirmation step: the Quality contact types the learner's ENR."""
    if (typed or "").strip().upper() != records.learner.enrolment_number.upper():
        raise Refused(f"Type {records.learner.enrolment_number}, the learner's enrolment number, to confirm.",
                      field="enrolment_number")


def erase(centre: Centre, records: LearnerRecords, *, by: User, typed: str, upload_dir, now: datetime) -> Plan:
    """Erase the learner's personal data (refused with the reasons while `plan` has blockers). The files go from
    the disk when the caller's transaction commits."""
    if not (by.is_quality_contact and belongs_to(by, centre) and belongs_to(records.learner, centre)):
        raise PermissionError("only the centre's Quality contact erases a learner's data")
    confirm(records, typed)
    done = plan(records)
    if done.blockers:
        raise Refused(" ".join(done.blockers))
    learner = records.learner
    pseudonym = f"ERASED{learner.id}"
    redact = Redactor(names=[learner.full_name, *(m.complaint.complainant_name for m in records.complaints)],
                      emails=[learner.email or "", *(m.complaint.complainant_email for m in records.complaints)],
                      enrolment_number=learner.enrolment_number, pseudonym=pseudonym)
    for submission in records.submissions:
        for name in SUBMISSION_TEXTS:
            setattr(submission, name, redact(getattr(submission, name)))
    storage.remove_when_committed(upload_dir, [stored.stored_name for stored in records.files])
    for stored in records.files:
        db.session.delete(stored)
    for matched in records.complaints:
        anonymise(matched.complaint, redact)
    for event in records.audit_events:
        event.subject, event.detail = redact(event.subject)[:200], redact(event.detail)
    learner.first_name, learner.last_name, learner.email = "Erased", "learner", None
    learner.enrolment_number, learner.qualification, learner.erased_at = pseudonym, "", now
    audit.record("learner_erased", actor=by, centre_id=centre.id, subject=pseudonym,
                 detail=f"Personal data erased at the learner's request: {done.files} file(s) deleted; "
                        f"{done.submissions} submission(s) and {done.complaints} complaint(s) anonymised; "
                        f"{done.audit_events} audit event(s) redacted. Kept unchanged: {done.billed} invoice "
                        "line(s) (VAT records).")
    return done
