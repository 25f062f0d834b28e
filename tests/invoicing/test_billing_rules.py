"""Invoicing rules decided in issue 9 §7 (SPEC §7), as hand-worked tables:

* a resubmission is billed in the week it enters the quality-check queue — at upload when within the limit,
  when its excess fee is accepted when it was held — and a held one withdrawn and never uploaded again is not
  billed; a corrected upload of the same number is still one line;
* VAT is charged at the rate in force on the invoice's issue date (its tax point), not the week's Sunday;
* a run "as of" a date never invoices a week that has not ended (refused, with a reason, and nothing recorded).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.db import utcnow
from portal.extensions import db
from portal.fees import FeeSchedule
from portal.invoicing import services
from portal.invoicing.models import Invoice, InvoiceLine, JobRun, LineKind
from portal.rules import Refused
from portal.workdays import Nation, london_date
from tenants.submissions import upload
from tenants.submissions.models import SubmissionStatus
from tests.invoicing.conftest import london

RESUB, EXCESS = LineKind.RESUBMISSION, LineKind.EXCESS_LENGTH
WEEK_2_MAR, WEEK_9_MAR = date(2026, 3, 2), date(2026, 3, 9)


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.execute(select(Invoice).order_by(Invoice.week_start, Invoice.number)).unique().scalars())


def billed() -> set[tuple[date, str, LineKind, int, date]]:
    """(invoice week, learner's first name, kind, submission number, the line's London date) for every line."""
    return {(invoice.week_start, line.learner_name.split()[0], line.kind, line.number, london_date(line.occurred_at))
            for invoice in invoices() for line in invoice.lines}


def _held(submit, learner, number, at):
    return submit(learner, number, at, status=SubmissionStatus.HELD, word_count=9001, word_limit=8000, excess_fees=1)


# Each history happens to resubmission 2 of one learner (Fee £44.99, VAT 17.5%, see the `fees` fixture). The run is
# on Wednesday 18 March 2026, catching up the weeks of 2 and 9 March. Expected: the lines billed, as
# (week, kind, London date).
HISTORIES = {
    "uploaded within the limit on Tue 3 Mar: billed that week": (
        "within", {(WEEK_2_MAR, RESUB, date(2026, 3, 3))}),
    "held on Tue 3 Mar, withdrawn, never uploaded again: not billed": (
        "withdrawn", set()),
    "held on Thu 5 Mar, still held (no choice made): not billed yet": (
        "still_held", set()),
    "held on Thu 5 Mar, fee accepted Mon 9 Mar: billed in the week of 9 Mar, with the excess fee": (
        "accepted", {(WEEK_9_MAR, RESUB, date(2026, 3, 9)), (WEEK_9_MAR, EXCESS, date(2026, 3, 9))}),
    "held Sun 8 Mar 23:30, fee accepted Mon 9 Mar 00:10 (London): the week of 9 Mar": (
        "accepted_after_midnight", {(WEEK_9_MAR, RESUB, date(2026, 3, 9)), (WEEK_9_MAR, EXCESS, date(2026, 3, 9))}),
    "held Thu 5 Mar, withdrawn, concise copy uploaded Tue 10 Mar: one line, the week of 9 Mar": (
        "withdrawn_then_concise", {(WEEK_9_MAR, RESUB, date(2026, 3, 10))}),
    "uploaded Tue 3 Mar, rejected at QC, corrected copy Wed 11 Mar: one line, the week of 2 Mar": (
        "rejected_then_corrected", {(WEEK_2_MAR, RESUB, date(2026, 3, 3))}),
    "held Thu 5 Mar, withdrawn; concise copy Tue 10 Mar rejected; corrected Thu 12 Mar: one line, 10 Mar": (
        "concise_rejected_corrected", {(WEEK_9_MAR, RESUB, date(2026, 3, 10))}),
}


def _history(kind, learner, submit, user):
    """Build the history through the held submission's real services (withdraw, accept_fee) where there are some."""
    if kind == "within":
        submit(learner, 2, london(2026, 3, 3, 10))
    elif kind == "withdrawn":
        upload.withdraw(_held(submit, learner, 2, london(2026, 3, 3, 10)), by=user)
    elif kind == "still_held":
        _held(submit, learner, 2, london(2026, 3, 5, 10))
    elif kind in ("accepted", "accepted_after_midnight"):
        at, accepted = ((london(2026, 3, 5, 10), london(2026, 3, 9, 11)) if kind == "accepted"
                        else (london(2026, 3, 8, 23, 30), london(2026, 3, 9, 0, 10)))
        held = _held(submit, learner, 2, at)
        upload.accept_fee(held, by=user, now=accepted, nation=Nation.ENGLAND)
    elif kind in ("withdrawn_then_concise", "concise_rejected_corrected"):
        held = _held(submit, learner, 2, london(2026, 3, 5, 10))
        upload.withdraw(held, by=user)
        held.is_current = False
        status = SubmissionStatus.REJECTED if kind == "concise_rejected_corrected" else SubmissionStatus.AWAITING_QC
        concise = submit(learner, 2, london(2026, 3, 10, 9), replaces_id=held.id, status=status,
                         is_current=status is not SubmissionStatus.REJECTED)
        if status is SubmissionStatus.REJECTED:
            submit(learner, 2, london(2026, 3, 12, 9), replaces_id=concise.id)
    elif kind == "rejected_then_corrected":
        first = submit(learner, 2, london(2026, 3, 3, 10), status=SubmissionStatus.REJECTED, is_current=False)
        submit(learner, 2, london(2026, 3, 11, 9), replaces_id=first.id)
    db.session.commit()


@pytest.mark.parametrize(("kind", "expected"), list(HISTORIES.values()), ids=list(HISTORIES))
def test_a_resubmission_is_billed_in_the_week_it_enters_the_quality_check_queue(
        app, fees, centre, make_learner, submit, make_staff, kind, expected):
    learner = make_learner(centre, "Sam")
    _history(kind, learner, submit, make_staff(centre))
    services.run_invoicing(date(2026, 3, 18))
    assert billed() == {(week, "Sam", line_kind, 2, day) for week, line_kind, day in expected}
    # Whatever happens next to these rows, nothing is billed twice.
    services.run_invoicing(date(2026, 4, 1))
    assert len(billed()) == len(expected)


def test_a_number_billed_under_the_old_rule_is_not_billed_again(app, fees, centre, make_learner, submit):
    """A copy already on an invoice (say, the held one, billed at its upload before this rule) covers the number."""
    learner = make_learner(centre)
    held = _held(submit, learner, 2, london(2026, 3, 3, 10))
    services.invoice_centre_week(centre.id, WEEK_2_MAR)  # nothing: held rows never entered the queue
    assert invoices() == []
    db.session.add(Invoice(centre_id=centre.id, week_start=WEEK_2_MAR, number=900, issue_date=date(2026, 3, 11),
                           subtotal_pence=4499, vat_rate_bp=1750, vat_pence=787, total_pence=5286, lines=[
                               InvoiceLine(centre_id=centre.id, kind=RESUB, submission_id=held.id,
                                           learner_name="Sam Smith", enrolment_number="X", unit_code="U",
                                           number=2, occurred_at=held.uploaded_at, quantity=1,
                                           unit_price_pence=4499, amount_pence=4499)]))
    held.status, held.is_current = SubmissionStatus.WITHDRAWN, False
    db.session.commit()
    submit(learner, 2, london(2026, 3, 10, 9), replaces_id=held.id)
    services.run_invoicing(date(2026, 3, 18))
    assert [i.number for i in invoices()] == [900]


# --- VAT at the tax point -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("new_rate_from", "as_of", "expected"), [
    # Week of 2 March 2026 (Mon 2 – Sun 8), invoiced on Wednesday 11 March. One line: £44.99.
    # 17.5% → 787.325 → £7.87; 20% → 899.8 → £9.00; 15% → 674.85 → £6.75.
    (date(2026, 3, 9), date(2026, 3, 11), (date(2026, 3, 11), 2000, 900, 5399)),  # new rate from Mon 9: issue wins
    (date(2026, 3, 11), date(2026, 3, 11), (date(2026, 3, 11), 2000, 900, 5399)),  # from the issue day itself
    (date(2026, 3, 12), date(2026, 3, 11), (date(2026, 3, 11), 1750, 787, 5286)),  # from the day after: not yet
    (date(2026, 3, 8), date(2026, 3, 11), (date(2026, 3, 11), 2000, 900, 5399)),  # from the Sunday: in force too
    # A catch-up run on Wed 18 March issues the invoice that day: the rate in force on 18 March.
    (date(2026, 3, 16), date(2026, 3, 18), (date(2026, 3, 18), 2000, 900, 5399)),
    (date(2026, 3, 19), date(2026, 3, 18), (date(2026, 3, 18), 1750, 787, 5286)),
], ids=["changed-monday-after", "changed-on-issue-day", "changed-day-after-issue", "changed-on-sunday",
        "catch-up-after-change", "catch-up-before-change"])
def test_vat_is_charged_at_the_rate_in_force_on_the_issue_date(app, fees, centre, make_learner, submit,
                                                               new_rate_from, as_of, expected):
    db.session.add(FeeSchedule(effective_from=new_rate_from, resubmission_fee_pence=4499, vat_rate_bp=2000))
    db.session.commit()
    submit(make_learner(centre), 2, london(2026, 3, 4, 10))
    services.run_invoicing(as_of)
    [invoice] = invoices()
    assert invoice.week_start == WEEK_2_MAR
    assert (invoice.issue_date, invoice.vat_rate_bp, invoice.vat_pence, invoice.total_pence) == expected
    assert invoice.subtotal_pence == 4499


def test_lines_keep_the_fee_of_their_own_date_while_vat_follows_the_issue_date(app, fees, centre, make_learner,
                                                                                submit):
    """Fee £44.99 until Sat 7 March, then £50.00 with VAT 20% from Sun 8 March.

    Week of 2 March: Fri 6 Mar at £44.99, Sun 8 Mar at £50.00 → £94.99; VAT 20% (in force on Wed 11 March)
    = 18.998 → £19.00; total £113.99.
    """
    db.session.add(FeeSchedule(effective_from=date(2026, 3, 8), resubmission_fee_pence=5000, vat_rate_bp=2000))
    db.session.commit()
    submit(make_learner(centre), 2, london(2026, 3, 6, 10))
    submit(make_learner(centre), 3, london(2026, 3, 8, 10))
    services.run_invoicing(date(2026, 3, 11))
    [invoice] = invoices()
    assert [line.unit_price_pence for line in invoice.lines] == [4499, 5000]
    assert (invoice.subtotal_pence, invoice.vat_rate_bp, invoice.vat_pence, invoice.total_pence) == (
        9499, 2000, 1900, 11399)


# --- a run "as of" a date whose week has not ended --------------------------------------------------------------

THURSDAY_3_DEC = london(2026, 12, 3, 10)  # the week of Monday 30 November is under way


@pytest.mark.parametrize(("as_of", "message"), [
    (date(2026, 12, 9), "Invoicing as of Wednesday 9 December 2026 would invoice the week of Monday 30 November "
                        "to Sunday 6 December 2026, which has not ended yet: a resubmission made later that week "
                        "would never be billed. Run it on or after Wednesday 9 December 2026."),
    (date(2027, 1, 20), "which has not ended yet"),
    (date(2026, 12, 8), "Invoicing as of Tuesday 8 December 2026 would date invoices in the future: an invoice "
                        "is dated the day it is made (its tax point). Run it as of today, 3 December 2026, or an "
                        "earlier date."),
])
def test_a_run_as_of_a_date_whose_week_has_not_ended_is_refused(app, fees, centre, make_learner, submit, as_of,
                                                                message):
    submit(make_learner(centre), 2, london(2026, 12, 1, 10))
    with pytest.raises(Refused) as refused:
        services.run_invoicing(as_of, now=THURSDAY_3_DEC)
    assert message in refused.value.message
    assert invoices() == []


def test_the_issue_9_reproduction_bills_the_late_upload_once_the_week_has_ended(app, fees, centre, make_learner,
                                                                                submit):
    """Thu 3 Dec 2026: `--as-of 2026-12-09` is refused; an upload a minute later that week is billed on 9 Dec."""
    early = submit(make_learner(centre), 2, london(2026, 12, 3, 9, 59))
    with pytest.raises(Refused):
        services.run_invoicing(date(2026, 12, 9), now=THURSDAY_3_DEC)
    late = submit(make_learner(centre), 2, london(2026, 12, 3, 10, 1))
    report = services.run_invoicing(date(2026, 12, 9), now=london(2026, 12, 9, 6))
    [invoice] = invoices()
    assert {line.submission_id for line in invoice.lines} == {early.id, late.id}
    assert len(report.created) == 1


def test_runs_that_are_allowed(app):
    """Today's date, and any past date, never reach a week that has not ended."""
    services.check_as_of(date(2026, 12, 3), THURSDAY_3_DEC)  # the week of 23 Nov: invoiced Wed 2 Dec
    services.check_as_of(date(2026, 12, 2), THURSDAY_3_DEC)
    services.check_as_of(date(2026, 3, 11), THURSDAY_3_DEC)
    services.check_as_of(date(2026, 12, 9), london(2026, 12, 9, 6))  # the scheduled run on the Wednesday


def test_the_cli_refuses_with_the_reason_and_records_no_run(app, fees, centre, make_learner, submit):
    submit(make_learner(centre), 2, london(2026, 12, 1, 10))
    today = london_date(utcnow())
    sunday_after_next = today - timedelta(days=today.weekday()) + timedelta(days=13)  # this week is then due
    result = app.test_cli_runner().invoke(args=["invoices", "run", "--as-of", sunday_after_next.isoformat()])
    assert result.exit_code == 1
    assert "which has not ended yet" in result.output
    assert invoices() == []
    assert db.session.execute(select(func.count()).select_from(JobRun)).scalar() == 0
