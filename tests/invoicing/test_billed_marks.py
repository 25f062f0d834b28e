"""The billing marks (`Submission.resubmission_billed`, `excess_billed`, issue 11 §2): weekly invoicing finds the
unbilled items through them (partial indexes), without reading the billed history. Each mark is written in the
transaction that writes its invoice line, so a run that fails or is killed between its steps leaves both or
neither, and a re-run bills every item exactly once. A mark only ever says "billed": the billing rules still decide
among the unmarked rows, so a mark missing (rows billed before the marks existed) never bills anything twice.
"""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select, update

from portal.catalogue.models import CentreUnit
from portal.db import commit
from portal.extensions import db
from portal.invoicing import notify, services
from portal.invoicing.models import Invoice, InvoiceLine, LineKind
from portal.workdays import Nation
from tenants.submissions import upload
from tenants.submissions.models import Result, Submission, SubmissionStatus
from tests.conftest import quality_contact_of
from tests.documents.builders import docx_bytes, p, paragraphs
from tests.invoicing.conftest import london

RUN_DAY = date(2026, 3, 18)  # catches up the weeks of 2 and 9 March 2026


def marks() -> dict[int, tuple[bool, bool]]:
    db.session.expire_all()
    return {row.id: (row.resubmission_billed, row.excess_billed) for row in db.session.execute(
        select(Submission.id, Submission.resubmission_billed, Submission.excess_billed))}


def lines() -> list[tuple[int, LineKind]]:
    db.session.expire_all()
    return sorted(tuple(row) for row in db.session.execute(select(InvoiceLine.submission_id, InvoiceLine.kind)))


def history(centre, make_learner, submit, make_staff) -> dict[str, Submission]:
    """Resubmission 2 of four learners: within the limit (Tue 3 Mar); rejected at QC (Wed 4 Mar) then corrected
    (Wed 11 Mar); held, its fee accepted (Mon 9 Mar: a resubmission and an excess line); and one in the week of
    16 March, not yet due on 18 March. Plus an original (number 1), never billed."""
    rows = {"within": submit(make_learner(centre), 2, london(2026, 3, 3, 10))}
    learner = make_learner(centre)
    rows["rejected"] = submit(learner, 2, london(2026, 3, 4, 10), status=SubmissionStatus.REJECTED, is_current=False)
    rows["corrected"] = submit(learner, 2, london(2026, 3, 11, 9), replaces_id=rows["rejected"].id)
    held = submit(make_learner(centre), 2, london(2026, 3, 5, 10), status=SubmissionStatus.HELD, word_count=9001,
                  word_limit=8000, excess_fees=1)
    upload.accept_fee(held, by=make_staff(centre), now=london(2026, 3, 9, 11), nation=Nation.ENGLAND)
    commit()
    rows["accepted"] = held
    rows["next_week"] = submit(make_learner(centre), 2, london(2026, 3, 17, 10))
    rows["original"] = submit(make_learner(centre), 1, london(2026, 3, 3, 10))
    return rows


def test_a_run_marks_what_it_bills_and_every_copy_of_a_billed_number(app, fees, centre, make_learner, submit,
                                                                      make_staff):
    rows = history(centre, make_learner, submit, make_staff)
    assert set(marks().values()) == {(False, False)}
    services.run_invoicing(RUN_DAY)
    ids = {name: row.id for name, row in rows.items()}
    assert lines() == sorted([(ids["within"], LineKind.RESUBMISSION), (ids["rejected"], LineKind.RESUBMISSION),
                              (ids["accepted"], LineKind.RESUBMISSION), (ids["accepted"], LineKind.EXCESS_LENGTH)])
    assert {name: marks()[ident] for name, ident in ids.items()} == {
        "within": (True, False), "rejected": (True, False),
        "corrected": (True, False),  # a copy of a billed number: never billed, never read again
        "accepted": (True, True), "next_week": (False, False), "original": (False, False)}
    # What is left unbilled is what the marks leave: the week of 16 March, invoiced on 25 March.
    assert services.due_work(date(2026, 3, 25)) == [(date(2026, 3, 16), centre.id)]


def _fail_after_the_lines(centre_id, items):
    raise RuntimeError("the worker died after writing the lines, before marking them")


def _fail_after_the_marks(invoice, **kwargs):
    raise RuntimeError("the worker died after marking the items, before the commit")


@pytest.mark.parametrize(("module", "name", "fault"), [
    (services, "mark_billed", _fail_after_the_lines),
    (notify, "notify_invoice", _fail_after_the_marks),
], ids=["between-lines-and-marks", "between-marks-and-commit"])
def test_a_run_failing_between_its_steps_bills_nothing_and_the_rerun_bills_each_item_once(
        app, fees, centre, make_learner, submit, make_staff, monkeypatch, module, name, fault):
    rows = history(centre, make_learner, submit, make_staff)
    with monkeypatch.context() as patched:
        patched.setattr(module, name, fault)
        failed = services.run_invoicing(RUN_DAY)
    assert failed.failures and not failed.created
    assert lines() == [] and set(marks().values()) == {(False, False)}  # neither lines nor marks: one transaction
    assert db.session.execute(select(Invoice.id)).first() is None

    rerun = services.run_invoicing(RUN_DAY)
    assert not rerun.failures and len(rerun.created) == 2  # the weeks of 2 and 9 March
    billed = lines()
    assert len(billed) == len(set(billed)) == 4
    assert marks()[rows["corrected"].id] == (True, False)
    again = services.run_invoicing(RUN_DAY)  # a third run (a job run twice) finds nothing more
    assert not again.created and not again.failures and lines() == billed


def test_rows_billed_before_the_marks_existed_are_never_billed_again(app, fees, centre, make_learner, submit,
                                                                      make_staff):
    """A mark missing (say a database whose lines predate them and were never backfilled) costs a read, not money:
    the rules still see the line."""
    history(centre, make_learner, submit, make_staff)
    services.run_invoicing(RUN_DAY)
    billed = lines()
    db.session.execute(update(Submission).values(resubmission_billed=False, excess_billed=False))
    commit()
    assert services.due_work(RUN_DAY) == []
    services.run_invoicing(date(2026, 3, 25))
    assert len(lines()) == len(billed) + 1  # only the week of 16 March
    services.recompute_billed_marks()  # as migration 0016 and `flask seed-scale` fill them
    commit()
    assert sum(resubmission for resubmission, _ in marks().values()) == 5  # 4 numbers billed, 5 rows (a copy)
    assert sum(excess for _, excess in marks().values()) == 1
    # A mark no line backs is taken away again (the recompute writes the rows whose marks differ, both ways).
    unbilled = submit(make_learner(centre), 2, london(2026, 3, 24, 10)).id  # a week no run has invoiced
    db.session.execute(update(Submission).where(Submission.id == unbilled).values(resubmission_billed=True))
    commit()
    services.recompute_billed_marks()
    commit()
    assert marks()[unbilled] == (False, False)
    assert sum(resubmission for resubmission, _ in marks().values()) == 5


def test_a_corrected_copy_of_a_billed_number_is_marked_at_its_upload(app, fees, centre, make_learner, submit,
                                                                      unit, monkeypatch):
    """The rejected copy was billed in its week; the centre's corrected copy of that number, uploaded later through
    the upload service, starts marked (it would never be billed), so it never joins the rows invoicing reads."""
    learner = make_learner(centre)
    submit(learner, 1, london(2026, 2, 2, 10), status=SubmissionStatus.RELEASED, result=Result.REFERRED)
    rejected = submit(learner, 2, london(2026, 3, 3, 10), status=SubmissionStatus.REJECTED)
    services.run_invoicing(RUN_DAY)
    assert marks()[rejected.id] == (True, False)
    db.session.add(CentreUnit(centre_id=centre.id, unit_id=unit.id))  # the upload asks the catalogue
    commit()
    stem = f"{learner.first_name[0]}.{learner.last_name}-{learner.enrolment_number}(2)"
    files = upload.UploadFiles(
        assessment=upload.Incoming(f"{stem}.docx", io.BytesIO(docx_bytes(paragraphs("My corrected work.")))),
        result_sheet=upload.Incoming("result sheet.docx", io.BytesIO(docx_bytes(paragraphs(
            "ILMA result sheet", f"Learner name: {learner.first_name} {learner.last_name}",
            f"Enrolment number: {learner.enrolment_number}")))),
        authenticity=upload.Incoming("authenticity.docx", io.BytesIO(docx_bytes(p("This is my own work. Signed")))))
    corrected = upload.upload_submission(centre, learner=learner, unit=unit, files=files, cover_page=False,
                                         accept_corrected_name=True, by=quality_contact_of(centre),
                                         upload_dir=app.config["UPLOAD_DIR"], now=london(2026, 3, 19, 9))
    commit()
    assert corrected.replaces_id == rejected.id and corrected.number == 2
    assert marks()[corrected.id] == (True, False)
    assert services.due_work(date(2026, 4, 1)) == []
