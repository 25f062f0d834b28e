"""Weekly invoicing's SQL statements grow with the centres invoiced, never with the lines or the history (issue 11)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.invoicing import services
from portal.invoicing.models import InvoiceLine
from tests.invoicing.conftest import london

FIRST_WEEK = date(2026, 1, 5)  # a Monday


def resubmit(make_learner, submit, centre, week: date, how_many: int) -> None:
    """`how_many` resubmissions of the centre on the Tuesday of `week` (a learner each: distinct numbers)."""
    for n in range(how_many):
        submit(make_learner(centre), 2, london(week.year, week.month, week.day + 1, 9, n))


def statements_of_the_run(count_queries, week: date) -> int:
    with count_queries() as statements:
        report = services.run_invoicing(week + timedelta(days=9))  # the Wednesday after the week
    assert report.failures == [] and report.created
    return len(statements)


def test_a_run_costs_the_same_statements_for_one_line_or_many_and_short_or_long_history(
        app, fees, make_centre, make_learner, submit, count_queries):
    centres = [make_centre(), make_centre()]
    weeks = [FIRST_WEEK + timedelta(weeks=n) for n in range(8)]
    for centre in centres:  # a first run creates the invoice counter's row: not part of what is compared
        resubmit(make_learner, submit, centre, weeks[0], 1)
    services.run_invoicing(weeks[0] + timedelta(days=9))

    for centre in centres:
        resubmit(make_learner, submit, centre, weeks[1], 1)
    one_line = statements_of_the_run(count_queries, weeks[1])

    for centre in centres:
        resubmit(make_learner, submit, centre, weeks[2], 6)
    many_lines = statements_of_the_run(count_queries, weeks[2])

    for week in weeks[3:7]:  # a longer history: four more weeks of billed resubmissions
        for centre in centres:
            resubmit(make_learner, submit, centre, week, 3)
        services.run_invoicing(week + timedelta(days=9))
    for centre in centres:
        resubmit(make_learner, submit, centre, weeks[7], 1)
    long_history = statements_of_the_run(count_queries, weeks[7])

    # A run that invoices one centre only: the difference is one invoice's statements.
    resubmit(make_learner, submit, centres[0], weeks[7] + timedelta(weeks=1), 1)
    one_centre = statements_of_the_run(count_queries, weeks[7] + timedelta(weeks=1))

    lines = db.session.execute(select(func.count()).select_from(InvoiceLine)).scalar_one()
    assert lines == 2 * (1 + 1 + 6 + 4 * 3 + 1) + 1
    assert one_line == many_lines == long_history, (one_line, many_lines, long_history)
    per_invoice = one_line - one_centre
    assert one_centre - per_invoice == 3, (one_line, one_centre)  # due work, fee book, finance: once per run
