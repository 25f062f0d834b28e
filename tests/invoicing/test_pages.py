"""Invoice pages and documents, the CLI, and reminders sent once."""
from __future__ import annotations

import io
from datetime import date

from docx import Document

from portal.invoicing import services
from portal.invoicing.models import Invoice
from tests.conftest import Auth, quality_contact_of
from tests.invoicing.conftest import london


def test_centre_downloads_its_invoice_and_another_centre_gets_404(app, fees, centre, other_centre, make_learner,
                                                                  submit):
    submit(make_learner(centre, "Sam", "Smith"), 2, london(2026, 3, 3, 9))
    services.run_invoicing(date(2026, 3, 11))
    invoice = app.extensions["sqlalchemy"].session.query(Invoice).one()
    client = app.test_client()
    assert Auth(client).sign_in(quality_contact_of(centre)).status_code == 303
    page = client.get(f"/c/{centre.slug}/invoices/")
    assert page.status_code == 200 and invoice.reference in page.get_data(as_text=True)
    response = client.get(f"/c/{centre.slug}/invoices/{invoice.id}.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert invoice.reference in text and centre.name in text and "Payment is due within 30 days" in text
    tables = Document(io.BytesIO(response.data)).tables
    assert tables[0].rows[1].cells[1].text == "Sam Smith"
    assert [row.cells[1].text for row in tables[1].rows] == ["£44.99", "£7.87", "£52.86"]

    other = app.test_client()
    assert Auth(other).sign_in(quality_contact_of(other_centre)).status_code == 303
    assert other.get(f"/c/{other_centre.slug}/invoices/{invoice.id}.docx").status_code == 404


def test_cli_runs_invoicing_and_prints_what_it_did(app, fees, centre, make_learner, submit):
    submit(make_learner(centre), 2, london(2026, 3, 3, 9))
    result = app.test_cli_runner().invoke(args=["invoices", "run", "--as-of", "2026-03-11"])
    assert result.exit_code == 0, result.output
    assert "created INV-000001" in result.output and "week of 2026-03-02" in result.output
    again = app.test_cli_runner().invoke(args=["invoices", "run", "--as-of", "2026-03-11"])
    assert "nothing to invoice" in again.output


def test_quality_check_reminder_sent_once(app, centre, make_learner, submit, make_admin):
    from jobs.reminders import OVERDUE, submission_reminders
    from portal.db import commit
    from portal.invoicing.models import ReminderSent

    assessor = make_admin("assessment")
    submit(make_learner(centre), 1, london(2026, 3, 2, 9), qc_due=london(2026, 3, 9, 23, 59))
    now = london(2026, 3, 10, 9)
    assert submission_reminders(now) == 1
    commit()
    assert submission_reminders(now) == 0
    [sent] = app.extensions["sqlalchemy"].session.query(ReminderSent).all()
    assert (sent.kind, sent.threshold, sent.recipient) == ("quality_check", OVERDUE, assessor.email)


def test_the_invoice_pages_show_a_page_of_invoices_with_their_line_counts(app, fees, centre, make_learner, submit,
                                                                          make_admin, count_queries):
    """Issue 11 §1: both invoice pages are paged by the database (50 a page, newest week first), and a line count is
    counted, not loaded: the same statements for 2 invoices as for 52."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.invoicing.listing import PAGE_SIZE

    submit(make_learner(centre, "Sam", "Smith"), 2, london(2026, 3, 3, 9))
    services.run_invoicing(date(2026, 3, 11))
    first = db.session.query(Invoice).one()
    admin, member = app.test_client(), app.test_client()
    assert Auth(admin).sign_in(make_admin("finance")).status_code == 303
    assert Auth(member).sign_in(quality_contact_of(centre)).status_code == 303
    pages = {"/admin/invoices": admin, f"/c/{centre.slug}/invoices/": member}

    made = []

    def older(n: int) -> None:
        for _ in range(n):
            made.append(i := len(made))
            db.session.add(Invoice(centre_id=centre.id, week_start=first.week_start - timedelta(weeks=i + 1),
                                   number=first.number + i + 1, issue_date=first.issue_date - timedelta(weeks=i + 1),
                                   subtotal_pence=0, vat_rate_bp=2000, vat_pence=0, total_pence=0))
        db.session.commit()

    def statements(url: str, client) -> int:
        with count_queries() as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    older(1)
    few = {url: statements(url, client) for url, client in pages.items()}
    older(PAGE_SIZE)  # 52 invoices: two pages
    for url, client in pages.items():
        assert statements(url, client) == few[url]
        page = client.get(url).get_data(as_text=True)
        assert page.count("Download INV-") == PAGE_SIZE and first.reference in page
        assert f">{len(first.lines)}</td>" in page  # the newest invoice's lines, counted
        assert "Page 1 of 2" in page and "Next page" in page
        second = client.get(url + "?page=2").get_data(as_text=True)
        assert second.count("Download INV-") == 2 and first.reference not in second and "Previous page" in second
