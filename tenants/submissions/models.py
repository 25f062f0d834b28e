"""ILMA submissions (SPEC §6.2–6.3): one learner's work for one unit, numbered 1 (original) to 4, its files,
the awarding body's quality check, marking, sampling and release.

A corrected upload after a quality-check rejection, or a concise version after a withdrawal, replaces the
earlier row with the same number: the earlier row stays for the record with `is_current` false, and the
database holds one current row per (learner, unit, number).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, partial_index, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwned

MAX_SUBMISSION_NUMBER = 4  # the original and three resubmissions


class SubmissionStatus(enum.StrEnum):
    HELD = "held"  # over the word limit: the centre withdraws it or accepts the additional fee
    AWAITING_QC = "awaiting_qc"  # quality check within 5 working days of upload
    REJECTED = "rejected"  # failed the quality check: the centre uploads a corrected copy
    WITHDRAWN = "withdrawn"  # withdrawn by the centre (over the limit, at no cost)
    MARKING = "marking"  # accepted; with an assessor
    MARKED = "marked"  # result recorded; sampling by a lead assessor before release
    RELEASED = "released"  # result released to the centre

    @property
    def label(self) -> str:
        return {"held": "Held: over the word limit", "awaiting_qc": "Awaiting quality check",
                "rejected": "Rejected at quality check", "withdrawn": "Withdrawn", "marking": "Being marked",
                "marked": "Marked, awaiting release", "released": "Result released"}[self.value]


class Result(enum.StrEnum):
    PASS = "pass"
    REFERRED = "referred"


class SampleBasis(enum.StrEnum):
    """Which part of the sampling policy a marked submission was counted under when it was marked."""

    NEW_ASSESSOR = "new_assessor"  # one of its assessor's first N marked submissions: every one is sampled
    MONTHLY = "monthly"  # after those: a percentage of the assessor's marking each London calendar month


class SampleOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # the lead assessor agrees with the decision and the feedback
    ISSUES_FOUND = "issues_found"  # quality issues: not released until mitigated

    @property
    def label(self) -> str:
        return {"confirmed": "Confirmed", "issues_found": "Issues found"}[self.value]


class Mitigation(enum.StrEnum):
    """How issues found in a sample were dealt with before release (SPEC §6.3)."""

    REMARKED = "remarked"  # the assessor recorded the result again, with a new marked result sheet
    CONFIRMED = "confirmed"  # a lead assessor confirmed the result may be released as it stands

    @property
    def label(self) -> str:
        return {"remarked": "Re-marked", "confirmed": "Confirmed by a lead assessor"}[self.value]


class Authenticity(enum.StrEnum):
    SEPARATE_SHEET = "separate_sheet"  # a signed authenticity cover sheet uploaded as its own file
    COVER_PAGE = "cover_page"  # the uploader says it is the assessment's own cover page
    NOT_NEEDED = "not_needed"  # a resubmission: the original for the unit had one


class FileKind(enum.StrEnum):
    ASSESSMENT = "assessment"
    AUTHENTICITY = "authenticity"
    RESULT_SHEET = "result_sheet"
    APPENDIX = "appendix"
    MARKED_RESULT_SHEET = "marked_result_sheet"  # uploaded by the awarding body with the result
    # A marked result sheet replaced by a re-mark after a lead assessor's sample found issues: kept for the
    # record, never shown to the centre.
    SUPERSEDED_SHEET = "superseded_marked_result_sheet"


class Submission(CentreOwned, db.Model):
    """One upload of a learner's assessment for a unit, with the awarding body's handling of it."""

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint(f"number BETWEEN 1 AND {MAX_SUBMISSION_NUMBER}", name="number_range"),
        partial_index("uq_submission_current_number", "learner_id", "unit_id", "number", unique=True,
                      where="is_current"),
        # Sorted and paged by the database (issue 11 §1; migration 0010_perfpages): the tracker's sorts (the "due"
        # sort's index, with its descending columns, follows the class) ...
        Index("ix_submission_tracker_uploaded", "centre_id", "is_current", "uploaded_at", "id"),
        # ... filtered by status (the overview's figures link to these): newest first, and counted from the index.
        Index("ix_submission_tracker_status", "centre_id", "is_current", "status", "uploaded_at", "id"),
        # ... and the awarding body's assessment queues (one status, most urgent clock first).
        Index("ix_submission_queue_qc_due", "status", "is_current", "qc_due", "uploaded_at", "id"),
        Index("ix_submission_queue_sla_due", "status", "is_current", "sla_due", "uploaded_at", "id"),
        # Weekly invoicing reads one centre's items of one week by their billing dates (issue 11 §2).
        Index("ix_submission_centre_clock_started", "centre_id", "clock_started_at"),
        Index("ix_submission_centre_excess_accepted", "centre_id", "excess_fee_accepted_at"),
        # ... and finds the items not yet billed without reading the billed history: only they are in these
        # (partial) indexes, so the work grows with what is due, never with the years already invoiced.
        partial_index("ix_submission_unbilled_resubmission", "centre_id", "clock_started_at",
                      where="number > 1 AND clock_started_at IS NOT NULL AND NOT resubmission_billed"),
        partial_index("ix_submission_unbilled_excess", "centre_id", "excess_fee_accepted_at",
                      where="excess_fees > 0 AND excess_fee_accepted_at IS NOT NULL AND NOT excess_billed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    status: Mapped[SubmissionStatus] = mapped_column(enum_column(SubmissionStatus, "submission_status"),
                                                     default=SubmissionStatus.AWAITING_QC, index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    authenticity: Mapped[Authenticity] = mapped_column(enum_column(Authenticity, "authenticity"))

    # Length: Word's count with text boxes, footnotes and endnotes (portal.documents.count_words).
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    word_count_detail: Mapped[dict] = mapped_column(JSON, default=dict)  # the breakdown, incl. by_colour
    word_count_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    word_limit: Mapped[int | None] = mapped_column(Integer)  # the unit's limit when uploaded
    excess_fees: Mapped[int] = mapped_column(Integer, default=0)  # resubmission fees due for the excess length
    excess_fee_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    excess_fee_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    colour_warning: Mapped[str] = mapped_column(Text, default="")
    # Billing marks (portal/invoicing/services.py), each written in the transaction that writes its invoice line:
    # true once this row's (learner, unit, number) is on an invoice as a resubmission (whichever copy the line
    # names), and once this row's excess-length fee is. A mark only ever says "billed": the billing rules are still
    # applied to every unmarked row, so a row marked late (or never) is at worst read again, never billed twice.
    resubmission_billed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    excess_billed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Clocks (centre's nation): quality check within 5 working days, result within 25, from this upload.
    qc_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The date that matters now (`due_now`), kept by every flush of the row (`_keep_due_at`) so the tracker's
    # "due" sort is an index scan rather than a sort of the centre's whole history.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    qc_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    qc_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")

    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    allocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[Result | None] = mapped_column(enum_column(Result, "submission_result"))
    referred_criteria: Mapped[str] = mapped_column(Text, default="")
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sampling (portal/admin/assessment_services.py): chosen by the sampling policy when marked, or sampled anyway.
    sample_basis: Mapped[SampleBasis | None] = mapped_column(enum_column(SampleBasis, "sample_basis"))
    sample_selected: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    sample_reason: Mapped[str] = mapped_column(String(200), default="")
    sampled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sample_outcome: Mapped[SampleOutcome | None] = mapped_column(enum_column(SampleOutcome, "sample_outcome"))
    sample_note: Mapped[str] = mapped_column(Text, default="")
    mitigation: Mapped[Mitigation | None] = mapped_column(enum_column(Mitigation, "mitigation"))
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mitigated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    mitigation_note: Mapped[str] = mapped_column(Text, default="")
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    learner = relationship("Learner", lazy="joined")
    unit = relationship("Unit", lazy="joined")
    files: Mapped[list[SubmissionFile]] = relationship(back_populates="submission", lazy="selectin",
                                                       order_by="SubmissionFile.id")

    @property
    def may_be_resubmitted(self) -> bool:
        """A released referral with resubmissions left: the centre may upload the next number (SPEC §6.3)."""
        return (self.is_current and self.status is SubmissionStatus.RELEASED and self.result is Result.REFERRED
                and self.number < MAX_SUBMISSION_NUMBER)

    @property
    def is_resubmission(self) -> bool:
        return self.number > 1

    @property
    def centre_files(self) -> list[SubmissionFile]:
        """The files the centre may see. The marked result sheet is part of the result: never shown before
        release. A sheet replaced by a re-mark (a lead assessor found issues in it) is the awarding body's record
        only."""
        released = self.status is SubmissionStatus.RELEASED
        return [f for f in self.files if f.kind is not FileKind.SUPERSEDED_SHEET
                and (released or f.kind is not FileKind.MARKED_RESULT_SHEET)]


# The tracker's "due" sort (tenants.submissions.tracker.SORT_KEYS) in the index's own order, so a page of it is read
# from the index, however deep, within the centre's current submissions (migration 0016_tracker).
Index("ix_submission_tracker_due_order", Submission.centre_id, Submission.is_current, Submission.due_at,
      Submission.uploaded_at.desc(), Submission.id.desc())


class SubmissionFile(CentreOwned, db.Model):
    """A stored file: kept under a generated name in UPLOAD_DIR, never a name the uploader chose."""

    __tablename__ = "submission_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FileKind] = mapped_column(enum_column(FileKind, "file_kind"))
    original_name: Mapped[str] = mapped_column(String(255))  # what the uploader's file was called (display only)
    download_name: Mapped[str] = mapped_column(String(255))  # the correct convention name, e.g. S.Smith-ABC123(1).docx
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # generated
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="files")


class SamplingPolicy(db.Model):
    """The lead assessors' sampling policy, as set by a platform admin. Rows are only ever added: the latest
    applies to results marked from then on (a result's selection is decided, and kept, when it is marked)."""

    __tablename__ = "sampling_policy"
    __table_args__ = (
        CheckConstraint("new_assessor_count BETWEEN 0 AND 50", name="new_assessor_count_range"),
        CheckConstraint("monthly_percent BETWEEN 1 AND 100", name="monthly_percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    new_assessor_count: Mapped[int] = mapped_column(Integer)  # each assessor's first N marked: all sampled
    monthly_percent: Mapped[int] = mapped_column(Integer)  # then this share of each assessor's month (at least 1)
    note: Mapped[str] = mapped_column(Text, default="")
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ConflictOfInterest(db.Model):
    """An assessor must not mark this learner's, or this centre's, work (awarding-body data)."""

    __tablename__ = "conflict_of_interest"
    __table_args__ = (CheckConstraint("learner_id IS NOT NULL OR conflict_centre_id IS NOT NULL",
                                      name="names_learner_or_centre"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    conflict_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


def due_now(status: SubmissionStatus, qc_due: datetime | None, sla_due: datetime | None) -> datetime | None:
    """The date that matters now: the quality-check date while awaiting it, the result date while marking and
    sampling, none otherwise (held, rejected, withdrawn, released)."""
    if status is SubmissionStatus.AWAITING_QC:
        return qc_due
    if status in (SubmissionStatus.MARKING, SubmissionStatus.MARKED):
        return sla_due
    return None


@event.listens_for(Submission, "before_insert")
@event.listens_for(Submission, "before_update")
def _keep_due_at(mapper, connection, submission: Submission) -> None:
    submission.due_at = due_now(SubmissionStatus(submission.status or SubmissionStatus.AWAITING_QC),
                                submission.qc_due, submission.sla_due)
