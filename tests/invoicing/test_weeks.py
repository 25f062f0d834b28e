"""Week windows across the clock changes, and the invoice day with bank holidays (pure functions)."""
from datetime import UTC, date, datetime

from portal.invoicing.weeks import invoice_date, last_due_week, week_bounds, week_of
from portal.workdays import is_working_day
from tests.invoicing.conftest import london


def test_the_march_clock_change_week_ends_at_london_midnight():
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026: the week is 167 hours long.
    start, end = week_bounds(date(2026, 3, 23))
    assert start == datetime(2026, 3, 23, 0, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)  # Monday 30 March 00:00 BST
    assert (end - start).total_seconds() == 167 * 3600
    assert week_of(london(2026, 3, 29, 23, 30)) == date(2026, 3, 23)  # 22:30 UTC on the Sunday
    assert week_of(london(2026, 3, 30, 0, 30)) == date(2026, 3, 30)


def test_the_october_clock_change_week_is_169_hours():
    start, end = week_bounds(date(2026, 10, 19))
    assert start == datetime(2026, 10, 18, 23, 0, tzinfo=UTC)  # Monday 00:00 BST
    assert end == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)  # Monday 00:00 GMT
    assert (end - start).total_seconds() == 169 * 3600
    assert week_of(london(2026, 10, 19, 0, 30)) == date(2026, 10, 19)  # still Sunday 23:30 in UTC
    assert week_of(london(2026, 10, 25, 23, 59)) == date(2026, 10, 19)


def test_invoice_day_is_the_wednesday_after_or_the_next_working_day():
    assert invoice_date(date(2026, 3, 2)) == date(2026, 3, 11)
    # 25 December 2030 is a Wednesday, and Boxing Day a Thursday holiday: Friday 27 December.
    assert date(2030, 12, 25).weekday() == 2
    assert not is_working_day(date(2030, 12, 25)) and not is_working_day(date(2030, 12, 26))
    assert invoice_date(date(2030, 12, 16)) == date(2030, 12, 27)


def test_last_due_week():
    assert last_due_week(date(2026, 3, 11)) == date(2026, 3, 2)  # Wednesday: last week is due
    assert last_due_week(date(2026, 3, 10)) == date(2026, 2, 23)  # Tuesday: last week is not yet
    assert last_due_week(date(2030, 12, 26)) == date(2030, 12, 9)  # Christmas week: waits for Friday
    assert last_due_week(date(2030, 12, 27)) == date(2030, 12, 16)
