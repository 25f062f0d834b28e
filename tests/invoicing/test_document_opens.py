"""The Word invoice: what python-docx reads back, and that LibreOffice opens it (converts it to PDF)."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

from docx import Document
from sqlalchemy import select

from portal.extensions import db
from portal.invoicing import services
from portal.invoicing.documents import invoice_docx, invoice_filename
from portal.invoicing.models import Invoice
from tests.invoicing.conftest import london
from tests.services import unavailable


def _invoice(centre, make_learner, submit) -> Invoice:
    """Week of Monday 2 March 2026 at £44.99, VAT 17.5%: one resubmission and a 2-fee excess-length line.

    3 × £44.99 = £134.97; VAT 23.61975 → £23.62; total £158.59. Invoiced Wednesday 11 March; due 10 April.
    """
    sam, jo = make_learner(centre, "Sam", "Smith"), make_learner(centre, "Jo", "Jones")
    submit(sam, 2, london(2026, 3, 3, 10))
    submit(jo, 1, london(2026, 3, 2, 9), word_count=16001, word_limit=8000, excess_fees=2,
           excess_fee_accepted_at=london(2026, 3, 5, 12))
    services.run_invoicing(date(2026, 3, 11))
    db.session.expire_all()
    return db.session.execute(select(Invoice)).unique().scalar_one()


def test_the_document_holds_everything_the_invoice_says(app, fees, centre, make_learner, submit):
    invoice = _invoice(centre, make_learner, submit)
    document = Document(io.BytesIO(invoice_docx(invoice)))
    text = "\n".join(p.text for p in document.paragraphs)
    for expected in (f"Invoice {invoice.reference}", f"To: {centre.name} (centre number {centre.centre_number})",
                     "Invoice date: 11 March 2026",
                     "Period: Monday 2 March 2026 to Sunday 8 March 2026 (Europe/London)",
                     "Payment is due within 30 days of the invoice date, by 10 April 2026. "
                     f"Quote {invoice.reference} with your payment."):
        assert expected in text, expected
    lines, totals = ([[cell.text for cell in row.cells] for row in table.rows] for table in document.tables)
    sam, jo = invoice.lines  # in date order: Sam's upload on the 3rd, Jo's fee accepted on the 5th
    assert lines == [
        ["Item", "Learner", "ENR", "Unit", "Submission", "Date", "Amount"],
        ["Resubmission", "Sam Smith", sam.enrolment_number, sam.unit_code, "2", "3 Mar 2026", "£44.99"],
        ["Excess-length marking fee × 2", "Jo Jones", jo.enrolment_number, jo.unit_code, "1", "5 Mar 2026", "£89.98"],
    ]
    assert totals == [["Subtotal", "£134.97"], ["VAT at 17.5%", "£23.62"], ["Total due", "£158.59"]]
    assert document.core_properties.title == f"Invoice {invoice.reference}"


def test_libreoffice_opens_the_invoice(app, fees, centre, make_learner, submit, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        unavailable("LibreOffice", "soffice is not on PATH (apt-get install libreoffice-writer)")
    invoice = _invoice(centre, make_learner, submit)
    source = tmp_path / invoice_filename(invoice)
    source.write_bytes(invoice_docx(invoice))
    profile = tmp_path / "lo-profile"  # its own profile: another soffice running on the machine cannot block it
    try:
        result = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", "pdf",
             "--outdir", str(tmp_path), str(source)],
            capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"LibreOffice did not convert the invoice within {error.timeout} s") from error
    pdf = tmp_path / f"{source.stem}.pdf"
    assert result.returncode == 0, result.stderr
    assert pdf.exists(), (result.stdout, result.stderr)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 1000
