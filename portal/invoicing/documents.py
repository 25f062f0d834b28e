"""The invoice as a Word document (python-docx): made from the stored invoice, so it is the same every time."""
from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from docx.shared import Pt

from portal.invoicing.models import Invoice
from portal.invoicing.services import PAYMENT_TERMS_DAYS, pounds
from portal.workdays import to_london

AWARDING_BODY = "Centre Portal awarding body"


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.reference}.docx"


def invoice_docx(invoice: Invoice) -> bytes:
    """The .docx bytes of `invoice`."""
    document = Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    document.core_properties.title = f"Invoice {invoice.reference}"
    document.core_properties.author = AWARDING_BODY
    centre = invoice.centre
    week_end = invoice.week_start + timedelta(days=6)
    document.add_heading(f"Invoice {invoice.reference}", level=0)
    document.add_paragraph(f"From: {AWARDING_BODY}")
    billed = document.add_paragraph(f"To: {centre.name}")
    if centre.centre_number:
        billed.add_run(f" (centre number {centre.centre_number})")
    if centre.address:
        document.add_paragraph(centre.address)
    document.add_paragraph(f"Invoice date: {invoice.issue_date:%-d %B %Y}")
    document.add_paragraph(f"Period: Monday {invoice.week_start:%-d %B %Y} to Sunday {week_end:%-d %B %Y} "
                           "(Europe/London)")

    table = document.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("Item", "Learner", "ENR", "Unit", "Submission", "Date", "Amount"),
                           strict=True):
        cell.text = title
    for line in invoice.lines:
        quantity = f" × {line.quantity}" if line.quantity != 1 else ""
        values = (f"{line.kind.label}{quantity}", line.learner_name, line.enrolment_number, line.unit_code,
                  str(line.number), f"{to_london(line.occurred_at):%-d %b %Y}", pounds(line.amount_pence))
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value

    totals = document.add_table(rows=3, cols=2)
    totals.style = "Table Grid"
    rate = f"{invoice.vat_rate_bp / 100:g}%"
    for row, (label, amount) in zip(totals.rows, (("Subtotal", invoice.subtotal_pence),
                                                  (f"VAT at {rate}", invoice.vat_pence),
                                                  ("Total due", invoice.total_pence)), strict=True):
        row.cells[0].text, row.cells[1].text = label, pounds(amount)
    document.add_heading("Payment terms", level=2)
    due = invoice.issue_date + timedelta(days=PAYMENT_TERMS_DAYS)
    document.add_paragraph(f"Payment is due within {PAYMENT_TERMS_DAYS} days of the invoice date, by "
                           f"{due:%-d %B %Y}. Quote {invoice.reference} with your payment.")
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()
