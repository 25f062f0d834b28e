"""Hand-worked reports: every count and share of a small known world (tests/reports/conftest.py `known`)."""
from __future__ import annotations

import pytest

from portal.workdays import Nation
from tenants.complaints.models import Category, Kind
from tenants.complaints.report_period import Month, Period
from tenants.complaints.reports import Scope, Share, compute
from tests.reports.conftest import NOW, PERIOD, serving


def tallies(rows):
    return {key: (t.received, t.resolved, t.on_time, t.escalated) for key, t in rows}


def stages(report):
    return {row.label: (row.reached, row.closed, row.closed_on_time) for row in report.by_stage}


def test_a_centres_report_counts_its_own_learner_route_complaints(app, known):
    a, _, _ = known
    with serving(app, a):
        report = compute(Scope.current_centre(), PERIOD, NOW)
    totals = report.totals
    assert (totals.received, totals.resolved, totals.on_time, totals.escalated) == (5, 3, 1, 1)
    assert totals.on_time_share == Share(1, 3) and totals.on_time_share.percent == 33
    assert tallies(report.by_month) == {Month(2026, 1): (1, 1, 1, 0), Month(2026, 2): (2, 1, 0, 0),
                                        Month(2026, 3): (1, 1, 0, 1), Month(2026, 4): (1, 0, 0, 0)}
    assert tallies(report.by_category) == {
        Category.CUSTOMER_FOCUS: (0, 0, 0, 0), Category.WEBSITE: (1, 0, 0, 0), Category.INCORRECT_PRODUCT: (0, 0, 0, 0),
        Category.CERTIFICATE_LATE: (1, 0, 0, 0), Category.PROCESS_NOT_FOLLOWED: (1, 1, 0, 1),
        Category.FINANCE: (2, 2, 1, 0), Category.OTHER: (0, 0, 0, 0)}
    # By name, centre stages only: c5 went further than A's stages (its line is "escalated"), and its
    # awarding-body stage is not the centre's to see; its stage 1 was still closed (late) by A.
    assert stages(report) == {"Stage 1: investigation": (3, 4, 2), "Stage 2: review": (1, 1, 1)}
    assert [row.label for row in report.by_stage] == ["Stage 1: investigation", "Stage 2: review"]
    assert report.stages_closed == Share(3, 5) and report.stages_closed.percent == 60
    assert report.referred == {Kind.MALPRACTICE: 1, Kind.RESULT_DISPUTE: 1}
    now = report.now
    assert (now.open_at_centre, now.open_at_awarding_body, now.overdue_at_centre, now.overdue_at_awarding_body) \
        == (3, 0, 2, 0)  # c3, c4, c7 open; c4 and c7 past their deadline (c7 whatever the period)
    assert report.by_centre == []


def test_the_awarding_bodys_report_counts_every_centre_and_the_direct_route(app, known):
    report = compute(Scope.awarding_body(), PERIOD, NOW)
    totals = report.totals
    assert (totals.received, totals.resolved, totals.on_time, totals.escalated) == (9, 5, 3, 1)
    assert str(totals.on_time_share) == "60%"
    assert tallies(report.by_month) == {Month(2026, 1): (2, 2, 2, 0), Month(2026, 2): (2, 1, 0, 0),
                                        Month(2026, 3): (2, 2, 1, 1), Month(2026, 4): (3, 0, 0, 0)}
    assert dict(tallies(report.by_category))[Category.FINANCE] == (3, 3, 2, 0)
    assert stages(report) == {"Centre stage 1": (5, 5, 3), "Centre stage 2": (1, 1, 1),
                              "Awarding body stage 2": (1, 1, 1), "Direct: stage one": (2, 1, 1)}
    assert [row.label for row in report.by_stage] == ["Centre stage 1", "Centre stage 2", "Awarding body stage 2",
                                                      "Direct: stage one"]
    assert report.stages_closed == Share(6, 8)
    assert report.referred == {Kind.MALPRACTICE: 1, Kind.RESULT_DISPUTE: 1}
    now = report.now
    assert (now.open_at_centre, now.open_at_awarding_body, now.overdue_at_centre, now.overdue_at_awarding_body) \
        == (4, 1, 3, 1)
    table = {row.name: (row.tally.received, row.tally.resolved, row.tally.on_time, row.tally.escalated,
                        row.referred, row.now.open, row.now.overdue) for row in report.by_centre}
    assert table == {"Fife College": (2, 1, 1, 0, 0, 1, 1), "Northgate Training": (5, 3, 1, 1, 2, 3, 2),
                     "Direct to the awarding body": (2, 1, 1, 0, 0, 1, 1)}
    assert [row.name for row in report.by_centre][-1] == "Direct to the awarding body"


@pytest.mark.parametrize(("nation", "received", "centres"), [
    (Nation.ENGLAND, 5, ["Northgate Training"]),
    (Nation.SCOTLAND, 3, ["Fife College", "Direct to the awarding body"]),  # d2 came from a Scottish centre
    (Nation.WALES, 0, []),
])
def test_the_nation_filter_keeps_the_centres_of_that_nation(app, known, nation, received, centres):
    report = compute(Scope.awarding_body(nation), PERIOD, NOW)
    assert report.totals.received == received
    assert [row.name for row in report.by_centre] == centres


def test_an_agreed_extension_is_the_deadline_in_force(app, known):
    """c3 closed six days after its policy date, a day before the extended one: on time."""
    report = compute(Scope.awarding_body(), Period(Month(2026, 2), Month(2026, 2)), NOW)
    assert stages(report) == {"Centre stage 1": (1, 2, 1), "Centre stage 2": (1, 1, 1)}  # c2's stage 1 was late


def test_shares_round_halves_up_and_say_nothing_of_nothing():
    assert [Share(1, 8).percent, Share(1, 200).percent, Share(2, 3).percent, Share(0, 5).percent] == [13, 1, 67, 0]
    assert Share(0, 0).percent is None and str(Share(0, 0)) == "–"


def test_one_statement_built_once_serves_every_centre_and_every_period(app, known):
    """The report's statement is built once per scope and number of months, every value bound at execution:
    run for centre A, then B, then A again, and for a later period of the same length, each has its own figures."""
    a, b, _ = known
    later = Period(Month(2026, 2), Month(2026, 5))  # as long as PERIOD: the same statement
    figures = []
    for centre, period in ((a, PERIOD), (b, PERIOD), (a, PERIOD), (a, later)):
        with serving(app, centre):
            totals = compute(Scope.current_centre(), period, NOW).totals
        figures.append((totals.received, totals.resolved, totals.on_time, totals.escalated))
    assert figures == [(5, 3, 1, 1), (2, 1, 1, 0), (5, 3, 1, 1), (4, 2, 0, 1)]
    assert compute(Scope.awarding_body(), later, NOW).totals.received == 7
