"""Invoicing rules and exactly-once (SPEC §7), run in-process on the test database (SQLite or PostgreSQL)."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.counters import Counter
from portal.extensions import db
from portal.invoicing import services
from portal.invoicing.models import Invoice, InvoiceLine, JobRun, LineKind, RunStatus
from portal.invoicing.runs import run_invoicing_recorded
from portal.tenancy import for_all_centres
from tests.invoicing.conftest import london


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.execute(select(Invoice).order_by(Invoice.number)).unique().scalars())


def counter_value() -> int:
    return db.session.execute(select(Counter.value).where(Counter.name == "invoice")).scalar_one_or_none() or 0


def test_hand_worked_week(app, fees, centre, make_learner, submit, mailbox):
    """Week of Monday 2 March 2026, invoiced on Wednesday 11 March. Fee £44.99, VAT 17.5%.

    Sam: #1 on Mon 2 Mar (an original: not billed); #2 on Tue 3 Mar (billed); #2 again on Thu 5 Mar after a
    quality-check rejection (same number: not billed again). Jo: #3 on Sun 8 Mar 23:30 (billed); an 8,001-word
    #1 whose fee (1 × £44.99) was accepted on Fri 6 Mar (billed). #2 of Ann on Mon 9 Mar is next week's.

      3 lines × £44.99 = £134.97; VAT 17.5% = 23.61975 → £23.62; total £158.59.
    """
    sam, jo, ann = make_learner(centre), make_learner(centre, "Jo", "Jones"), make_learner(centre, "Ann", "Ash")
    submit(sam, 1, london(2026, 3, 2, 10))
    first = submit(sam, 2, london(2026, 3, 3, 10), is_current=False)
    submit(sam, 2, london(2026, 3, 5, 10), replaces_id=first.id)
    third = submit(jo, 3, london(2026, 3, 8, 23, 30))
    long_one = submit(jo, 1, london(2026, 3, 4, 9), unit_row=None, word_count=8001, word_limit=8000,
                      excess_fees=1, excess_fee_accepted_at=london(2026, 3, 6, 12))
    submit(ann, 2, london(2026, 3, 9, 9))

    assert services.run_invoicing(date(2026, 3, 10)).created == []  # Tuesday: not due yet
    report = services.run_invoicing(date(2026, 3, 11))

    [invoice] = invoices()
    assert report.created == [(invoice.reference, centre.name, date(2026, 3, 2), 15859)]
    assert invoice.week_start == date(2026, 3, 2) and invoice.issue_date == date(2026, 3, 11)
    assert [(line.kind, line.submission_id, line.number, line.amount_pence) for line in invoice.lines] == [
        (LineKind.RESUBMISSION, first.id, 2, 4499), (LineKind.EXCESS_LENGTH, long_one.id, 1, 4499),
        (LineKind.RESUBMISSION, third.id, 3, 4499)]
    assert invoice.lines[0].learner_name == "Sam Smith" and invoice.lines[0].enrolment_number == sam.enrolment_number
    assert (invoice.subtotal_pence, invoice.vat_pence, invoice.total_pence) == (13497, 2362, 15859)
    assert invoice.number == 1
    qc = mailbox.last_to(f"qc{centre.slug.split('-')[1]}@example.org")
    assert invoice.reference in qc["Subject"]

    assert services.run_invoicing(date(2026, 3, 11)).created == []  # the same run again: nothing new
    assert len(invoices()) == 1 and counter_value() == 1


def test_excess_length_fee_for_an_8001_word_submission(app, fees, centre, make_learner, submit):
    learner = make_learner(centre)
    submission = submit(learner, 1, london(2026, 5, 4, 9), word_count=8001, word_limit=8000, excess_fees=1,
                        excess_fee_accepted_at=london(2026, 5, 5, 9))
    services.run_invoicing(date(2026, 5, 13))
    [invoice] = invoices()
    [line] = invoice.lines
    assert (line.kind, line.submission_id, line.quantity, line.amount_pence) == (
        LineKind.EXCESS_LENGTH, submission.id, 1, 4499)


def test_centres_with_nothing_get_nothing(app, fees, centre, other_centre, make_learner, submit):
    submit(make_learner(centre), 2, london(2026, 5, 5, 9))
    services.run_invoicing(date(2026, 5, 13))
    assert [i.centre_id for i in invoices()] == [centre.id]


@pytest.mark.parametrize(("upload", "week", "not_yet", "due"), [
    (london(2026, 3, 29, 23, 30), date(2026, 3, 23), date(2026, 3, 31), date(2026, 4, 1)),  # BST began that day
    (london(2026, 10, 25, 23, 30), date(2026, 10, 19), date(2026, 10, 27), date(2026, 10, 28)),  # GMT again
    (london(2026, 10, 19, 0, 15), date(2026, 10, 19), date(2026, 10, 27), date(2026, 10, 28)),  # 23:15 UTC Sunday
], ids=["march-sunday-2330", "october-sunday-2330", "october-monday-0015"])
def test_clock_change_weeks(app, fees, centre, make_learner, submit, upload, week, not_yet, due):
    submit(make_learner(centre), 2, upload)
    assert services.run_invoicing(not_yet).created == []
    services.run_invoicing(due)
    [invoice] = invoices()
    assert invoice.week_start == week


def test_christmas_2030_wednesday_is_invoiced_on_friday_27th(app, fees, centre, make_learner, submit):
    submit(make_learner(centre), 2, london(2030, 12, 18, 9))  # week of Monday 16 December 2030
    assert services.run_invoicing(date(2030, 12, 25), now=london(2030, 12, 25, 6)).created == []
    assert services.run_invoicing(date(2030, 12, 26), now=london(2030, 12, 26, 6)).created == []
    services.run_invoicing(date(2030, 12, 27), now=london(2030, 12, 27, 6))
    [invoice] = invoices()
    assert (invoice.week_start, invoice.issue_date) == (date(2030, 12, 16), date(2030, 12, 27))


def test_scheduler_down_three_weeks_catches_up_oldest_first(app, fees, centre, other_centre, make_learner, submit):
    a, b = make_learner(centre), make_learner(other_centre)
    for week_day in (date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)):
        submit(a, 2, london(week_day.year, week_day.month, week_day.day + 1, 9), unit_row=None)
        a = make_learner(centre)  # a new learner each week keeps (learner, unit, number) distinct
    submit(b, 2, london(2026, 6, 9, 9))
    # Nothing ran on 10, 17 or 24 June; the run on Wednesday 24 June finds three weeks due.
    report = services.run_invoicing(date(2026, 6, 24))
    assert [(i.centre_id, i.week_start, i.number) for i in invoices()] == [
        (centre.id, date(2026, 6, 1), 1), (centre.id, date(2026, 6, 8), 2), (other_centre.id, date(2026, 6, 8), 3),
        (centre.id, date(2026, 6, 15), 4)]
    assert len(report.created) == 4
    assert services.run_invoicing(date(2026, 6, 25)).created == []


def test_a_failure_half_way_then_a_rerun_leaves_the_books_right(app, fees, make_centre, make_learner, submit,
                                                                monkeypatch):
    centres = [make_centre() for _ in range(3)]
    for centre in centres:
        submit(make_learner(centre), 2, london(2026, 7, 7, 9))
    broken = centres[1].id
    real = services.make_lines

    def failing(centre_id, items, *rest):
        if centre_id == broken:
            raise RuntimeError("disk full")
        return real(centre_id, items, *rest)

    monkeypatch.setattr(services, "make_lines", failing)
    run, _ = run_invoicing_recorded(date(2026, 7, 15))
    assert run.status is RunStatus.FAILED and "disk full" in run.error
    assert [(i.centre_id, i.number) for i in invoices()] == [(centres[0].id, 1), (centres[2].id, 2)]
    assert counter_value() == 2  # the failed centre's number went back with its transaction

    monkeypatch.setattr(services, "make_lines", real)
    rerun, _ = run_invoicing_recorded(date(2026, 7, 15), rerun_of=run.id)
    assert rerun.status is RunStatus.SUCCEEDED
    assert sorted((i.centre_id, i.number) for i in invoices()) == [
        (centres[0].id, 1), (centres[1].id, 3), (centres[2].id, 2)]
    counts = db.session.execute(select(Invoice.centre_id, Invoice.week_start, func.count())
                                .group_by(Invoice.centre_id, Invoice.week_start)).all()
    assert {c for _, _, c in counts} == {1}
    assert db.session.execute(select(func.count()).select_from(JobRun)).scalar() == 2


def test_two_runs_at_once_make_one_invoice_per_centre(app, fees, make_centre, make_learner, submit):
    """Two workers on the same week at the same moment (threads, each with its own session and connection)."""
    centres = [make_centre() for _ in range(3)]
    for centre in centres:
        submit(make_learner(centre), 2, london(2026, 9, 1, 9))
    centre_ids = sorted(c.id for c in centres)
    db.session.remove()
    start = threading.Barrier(2)
    errors = []

    def worker():
        with app.app_context():
            for_all_centres()  # as the invoicing job says for itself (jobs.job): the awarding body's work
            try:
                start.wait()
                services.run_invoicing(date(2026, 9, 9))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    found = invoices()
    assert sorted(i.centre_id for i in found) == centre_ids
    assert [i.number for i in found] == [1, 2, 3]
    assert counter_value() == 3
    assert db.session.execute(select(func.count()).select_from(InvoiceLine)).scalar() == 3
