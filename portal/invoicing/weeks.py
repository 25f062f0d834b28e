"""Invoice weeks: Monday 00:00 to Sunday 24:00 Europe/London, and the day each week is invoiced.

Boundaries are London midnights converted to UTC, so a week holding a clock change is 167 or 169 hours
long and a Sunday 23:30 upload in summer (22:30 UTC) stays in its own week.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from portal.workdays import LONDON, london_date, next_working_day

INVOICE_WEEKDAY_OFFSET = 9  # Monday of week W + 9 days = the Wednesday after W


def week_start_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_of(moment: datetime) -> date:
    """The Monday (London) of the invoice week holding an aware moment."""
    return week_start_of(london_date(moment))


def london_midnight(day: date) -> datetime:
    """00:00 London time on `day`, in UTC (midnight is never inside a UK clock change)."""
    return datetime.combine(day, time(0, 0), tzinfo=LONDON).astimezone(UTC)


def week_bounds(week_start: date) -> tuple[datetime, datetime]:
    """[start, end) of the week in UTC."""
    if week_start.weekday() != 0:
        raise ValueError(f"{week_start} is not a Monday")
    return london_midnight(week_start), london_midnight(week_start + timedelta(days=7))


def invoice_date(week_start: date) -> date:
    """The Wednesday after the week, or the next English working day if that Wednesday is a bank holiday."""
    return next_working_day(week_start + timedelta(days=INVOICE_WEEKDAY_OFFSET))


def last_due_week(as_of: date) -> date:
    """The latest week whose invoice day is on or before `as_of` (every earlier week is due too)."""
    week = week_start_of(as_of) - timedelta(days=7)
    while invoice_date(week) > as_of:
        week -= timedelta(days=7)
    return week
