"""The notification emails of a new invoice: the centre's Quality contact and awarding-body finance.

Queued in the invoice's own transaction (portal.mail.queue_email), so they are sent once, after it commits,
and never for an invoice that rolled back.
"""
from __future__ import annotations

from portal.invoicing.models import Invoice
from portal.mail import link_to, queue_email


def notify_invoice(invoice: Invoice, *, line_count: int | None = None, finance: list[str] | None = None) -> None:
    """Queue the emails. `line_count` and `finance` (the recipients) spare a statement each when the caller knows."""
    from portal.invoicing.services import finance_recipients, pounds
    from tenants.staff.services import quality_contact

    centre = invoice.centre
    subject = f"Invoice {invoice.reference} for {centre.name}: week of {invoice.week_start:%-d %B %Y}"
    lines = len(invoice.lines) if line_count is None else line_count
    summary = (f"Invoice {invoice.reference} for {centre.name} covers resubmissions and agreed excess-length fees "
               f"in the week beginning {invoice.week_start:%A %-d %B %Y}.\n\n"
               f"Lines: {lines}\nSubtotal: {pounds(invoice.subtotal_pence)}\n"
               f"VAT: {pounds(invoice.vat_pence)}\nTotal: {pounds(invoice.total_pence)}\n\n")
    contact = quality_contact(centre)
    if contact is not None and centre.slug:
        url = link_to("centre.invoicing.download", slug=centre.slug, invoice_id=invoice.id)
        queue_email(contact.email, subject, summary + f"Download the invoice (Word): {url}\n", centre_id=centre.id)
    url = link_to("admin_invoicing.download", invoice_id=invoice.id)
    for email in finance_recipients() if finance is None else finance:
        queue_email(email, subject, summary + f"Download the invoice (Word): {url}\n", centre_id=centre.id)
