"""Invoicing records: invoices and their lines, and the job runs that made them.

Exactly-once lives here, in constraints: one invoice per (centre, week), one line per (submission, kind) ever,
invoice numbers unique (and gap-free: taken from `portal.counters` in the invoice's own transaction).
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwned


class LineKind(enum.StrEnum):
    RESUBMISSION = "resubmission"
    EXCESS_LENGTH = "excess_length"

    @property
    def label(self) -> str:
        return {"resubmission": "Resubmission", "excess_length": "Excess-length marking fee"}[self.value]


class Invoice(CentreOwned, db.Model):
    """One centre's invoice for one week (Monday `week_start` to Sunday, Europe/London)."""

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("centre_id", "week_start", name="uq_invoice_centre_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, index=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issue_date: Mapped[date] = mapped_column(Date)  # the scheduled invoice day (Wednesday, or the next working day)
    subtotal_pence: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer)
    total_pence: Mapped[int] = mapped_column(Integer)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_run.id", ondelete="SET NULL"))
    # Payment, recorded by finance (migration 0010_dashboards): unpaid while NULL.
    paid_on: Mapped[date | None] = mapped_column(Date, index=True)
    paid_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    centre = relationship("Centre", lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", lazy="selectin",
                                                    order_by="(InvoiceLine.occurred_at, InvoiceLine.id)",
                                                    cascade="all, delete-orphan")

    @property
    def reference(self) -> str:
        return f"INV-{self.number:06d}"

    @property
    def payment_due(self) -> date:
        """The last day of the payment terms printed on the invoice."""
        from portal.invoicing.services import PAYMENT_TERMS_DAYS

        return self.issue_date + timedelta(days=PAYMENT_TERMS_DAYS)


class InvoiceLine(CentreOwned, db.Model):
    """One billed item. The unique key means a submission's fee of a kind is billed once, ever."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("submission_id", "kind", name="uq_invoice_line_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind, "invoice_line_kind"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="RESTRICT"))
    learner_name: Mapped[str] = mapped_column(String(200))
    enrolment_number: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)  # the submission number
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # upload, or the excess fee's acceptance
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_pence: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"  # no end recorded within its timeout: its process was killed or lost

    @property
    def can_rerun(self) -> bool:
        return self in (RunStatus.FAILED, RunStatus.ABANDONED)


class JobRun(db.Model):
    """One run of a scheduled job, kept for the admins' job page (status, what it did, the error)."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)  # "invoicing", "reminders", "policy_reviews"
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, "job_run_status"), default=RunStatus.RUNNING,
                                              index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    rerun_of_id: Mapped[int | None] = mapped_column(ForeignKey("job_run.id", ondelete="SET NULL"))


class ReminderSent(db.Model):
    """A reminder that went out: the unique key sends each (thing, threshold, person) once."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("kind", "object_id", "threshold", "recipient", name="uq_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # complaint_acknowledge, complaint_first_response, complaint_stage, quality_check, marking, policy_review
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[str] = mapped_column(String(20))  # due_soon, overdue
    recipient: Mapped[str] = mapped_column(String(254))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), index=True)
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_email.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
