"""The awarding body's fee schedule: the resubmission fee and the VAT rate, each in force from a London date.

Platform, not invoicing: a centre's upload page shows what an over-length submission would cost, and the
weekly invoices price their lines, from the same schedule. Money is integer pence; rates are basis points.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, utcnow
from portal.extensions import db


class FeeSchedule(db.Model):
    """The fees in force from `effective_from` (a London date) until the next schedule starts."""

    __tablename__ = "fee_schedule"
    __table_args__ = (
        CheckConstraint("resubmission_fee_pence >= 0", name="fee_not_negative"),
        CheckConstraint("vat_rate_bp BETWEEN 0 AND 10000", name="vat_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    resubmission_fee_pence: Mapped[int] = mapped_column(Integer)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 2000 = 20%
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class NoFeeSchedule(LookupError):
    """No fee schedule was in force on the day asked about."""


def fee_schedule_on(day: date) -> FeeSchedule:
    """The fee schedule in force on `day`."""
    statement = (select(FeeSchedule).where(FeeSchedule.effective_from <= day)
                 .order_by(FeeSchedule.effective_from.desc()).limit(1))
    schedule = db.session.execute(statement).scalar_one_or_none()
    if schedule is None:
        raise NoFeeSchedule(f"no fee schedule in force on {day.isoformat()}")
    return schedule


@dataclass(frozen=True)
class Fees:
    """The figures of one fee schedule, as plain values (they outlive the transaction that read them)."""

    effective_from: date
    resubmission_fee_pence: int
    vat_rate_bp: int


class FeeBook:
    """Every fee schedule, read in one statement: a run that prices many lines looks each day up in memory."""

    def __init__(self, schedules: list[Fees]) -> None:
        self._schedules = sorted(schedules, key=lambda schedule: schedule.effective_from)
        self._starts = [schedule.effective_from for schedule in self._schedules]

    def on(self, day: date) -> Fees:
        """The fees in force on `day` (as `fee_schedule_on`, without a statement)."""
        at = bisect_right(self._starts, day)
        if at == 0:
            raise NoFeeSchedule(f"no fee schedule in force on {day.isoformat()}")
        return self._schedules[at - 1]


def fee_book() -> FeeBook:
    """Every schedule, for pricing many days at once."""
    rows = db.session.execute(select(FeeSchedule.effective_from, FeeSchedule.resubmission_fee_pence,
                                     FeeSchedule.vat_rate_bp))
    return FeeBook([Fees(*row) for row in rows])


def fee_schedules() -> list[FeeSchedule]:
    """Every schedule, the latest start first."""
    return list(db.session.execute(select(FeeSchedule).order_by(FeeSchedule.effective_from.desc())).scalars())


def vat_on(subtotal_pence: int, vat_rate_bp: int) -> int:
    """VAT in pence on a non-negative subtotal, rounded half up (basis points: 2000 = 20%)."""
    return (subtotal_pence * vat_rate_bp + 5_000) // 10_000
