"""The period of a complaint report: Europe/London calendar months (tenants/complaints/reports.py).

A month starts at London midnight, which is 00:00 UTC in winter and 23:00 UTC the day before in summer
(British Summer Time): `Month.starts` gives that instant, so the database can bucket UTC times exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from portal.workdays import LONDON, to_london

DEFAULT_MONTHS = 12
MAX_MONTHS = 120  # ten years: beyond any retention period, and a bounded CASE in the report's SQL


@dataclass(frozen=True, order=True)
class Month:
    """A Europe/London calendar month."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        london = to_london(moment)
        return cls(london.year, london.month)

    @classmethod
    def parse(cls, value: date) -> Month:
        return cls(value.year, value.month)

    def plus(self, months: int) -> Month:
        index = self.index + months
        return Month(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """The month as one number (year * 12 + month - 1): what `Complaint.report_month` stores."""
        return self.year * 12 + self.month - 1

    def __sub__(self, other: Month) -> int:
        return (self.year - other.year) * 12 + self.month - other.month

    @property
    def starts(self) -> datetime:
        """The UTC instant at which the month starts in London (midnight GMT or BST)."""
        return datetime(self.year, self.month, 1, tzinfo=LONDON).astimezone(UTC)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return date(self.year, self.month, 1).strftime("%b %Y")


@dataclass(frozen=True)
class Period:
    """Complaints received from the start of `first` to the end of `last` (London months, inclusive)."""

    first: Month
    last: Month

    @classmethod
    def default(cls, now: datetime) -> Period:
        last = Month.of(now)
        return cls(last.plus(1 - DEFAULT_MONTHS), last)

    @property
    def months(self) -> list[Month]:
        return [self.first.plus(i) for i in range(self.last - self.first + 1)]

    @property
    def starts(self) -> datetime:
        return self.first.starts

    @property
    def ends(self) -> datetime:
        return self.last.plus(1).starts

    @property
    def label(self) -> str:
        return self.first.label if self.first == self.last else f"{self.first.label} to {self.last.label}"
