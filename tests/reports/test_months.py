"""Months are London months, counted in SQL from UTC instants: British Summer Time is exact on both databases."""
from __future__ import annotations

import pytest

from tenants.complaints.report_period import Month, Period
from tenants.complaints.reports import Scope, case_rows, compute
from tests.reports.conftest import build_case, centre_stage, utc

# (received, the London month it belongs to). BST 2025: 30 Mar 01:00 UTC to 26 Oct 01:00 UTC;
# BST 2026 starts 29 Mar 01:00 UTC.
EDGES = [
    (utc(2025, 9, 30, 22, 59, 59), Month(2025, 9)),  # 23:59:59 BST on 30 September
    (utc(2025, 9, 30, 23, 0), Month(2025, 10)),  # midnight BST: 1 October
    (utc(2025, 10, 26, 0, 30), Month(2025, 10)),  # 01:30 BST, the night the clocks go back
    (utc(2025, 10, 31, 23, 30), Month(2025, 10)),  # GMT again: still 31 October
    (utc(2025, 10, 31, 23, 59, 59), Month(2025, 10)),
    (utc(2025, 11, 1, 0, 0), Month(2025, 11)),
    (utc(2026, 2, 28, 23, 59, 59), Month(2026, 2)),
    (utc(2026, 3, 29, 0, 30), Month(2026, 3)),  # 00:30 GMT, before the clocks go forward
    (utc(2026, 3, 29, 1, 30), Month(2026, 3)),  # 02:30 BST
    (utc(2026, 3, 31, 22, 59, 59), Month(2026, 3)),
    (utc(2026, 3, 31, 23, 30), Month(2026, 4)),  # 00:30 BST on 1 April
]


@pytest.mark.parametrize(("moment", "month"), EDGES, ids=[str(m) for m, _ in EDGES])
def test_a_moment_belongs_to_its_london_month(moment, month):
    assert Month.of(moment) == month


def test_the_database_counts_each_complaint_in_its_london_month(policy_centre):
    for moment, _ in EDGES:
        build_case(policy_centre, received=moment, stages=[centre_stage(utc(2027, 1, 1))])
    report = compute(Scope.awarding_body(), Period(Month(2025, 9), Month(2026, 4)), utc(2026, 5, 1))
    counted = {month: tally.received for month, tally in report.by_month}
    expected = {month: 0 for month in Period(Month(2025, 9), Month(2026, 4)).months}
    for _, month in EDGES:
        expected[month] += 1
    assert counted == expected
    assert counted[Month(2026, 4)] == 1 and counted[Month(2025, 10)] == 4


def test_the_period_starts_and_ends_at_london_midnight(policy_centre):
    build_case(policy_centre, received=utc(2026, 3, 31, 23, 30), stages=[centre_stage(utc(2027, 1, 1))])
    april, march = Period(Month(2026, 4), Month(2026, 4)), Period(Month(2026, 3), Month(2026, 3))
    assert compute(Scope.awarding_body(), april, utc(2026, 5, 1)).totals.received == 1
    assert compute(Scope.awarding_body(), march, utc(2026, 5, 1)).totals.received == 0
    [row] = case_rows(Scope.awarding_body(), april)
    assert row[2] == "2026-04-01"  # the London date in the export too
    assert march.ends == april.starts == utc(2026, 3, 31, 23, 0)


@pytest.mark.parametrize(("now", "first", "last"), [
    (utc(2026, 3, 31, 23, 30), Month(2025, 5), Month(2026, 4)),  # already April in London
    (utc(2026, 1, 1, 0, 0), Month(2025, 2), Month(2026, 1)),
    (utc(2025, 12, 31, 23, 59), Month(2025, 1), Month(2025, 12)),
])
def test_the_default_period_is_the_last_twelve_london_months(now, first, last):
    period = Period.default(now)
    assert (period.first, period.last, len(period.months)) == (first, last, 12)


def test_month_arithmetic_crosses_years():
    assert Month(2025, 12).plus(1) == Month(2026, 1)
    assert Month(2026, 1).plus(-13) == Month(2024, 12)
    assert Month(2026, 1) - Month(2024, 12) == 13
    assert Period(Month(2025, 11), Month(2026, 2)).label == "Nov 2025 to Feb 2026"
