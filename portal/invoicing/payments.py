"""Invoice payments (issue 12 §1): finance records when an invoice was paid; unpaid and overdue invoices are
counted on the centre's overview and listed on its invoices page.

An invoice is unpaid until finance records its payment. Its payment is overdue once the payment terms printed on
it (`PAYMENT_TERMS_DAYS` from the invoice date) have run out: the last day of the terms is still on time.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import url_for
from sqlalchemy import func

from portal import audit
from portal.auth.models import User
from portal.figures import Figure, count_of, read_at_once
from portal.invoicing.models import Invoice
from portal.invoicing.services import PAYMENT_TERMS_DAYS, billable_items, pounds
from portal.invoicing.weeks import invoice_date
from portal.rules import Refused
from portal.tenancy import for_centre
from portal.workdays import london_date

UNPAID, OVERDUE = "unpaid", "overdue"
FILTERS = (UNPAID, OVERDUE)


def payment_filter(statement, which: str, today: date):
    """`statement` (a SELECT of invoices) limited to the unpaid ones, or to those whose payment is overdue."""
    if which in FILTERS:
        statement = statement.where(Invoice.paid_on.is_(None))
    if which == OVERDUE:
        statement = statement.where(Invoice.issue_date < today - timedelta(days=PAYMENT_TERMS_DAYS))
    return statement


def record_payment(invoice: Invoice, paid_on: date, *, by: User, today: date) -> None:
    """Record that `invoice` was paid on `paid_on` (not before its invoice date, not in the future)."""
    if invoice.paid_on is not None:
        raise Refused(f"{invoice.reference} is already recorded as paid on {invoice.paid_on:%-d %B %Y}.")
    if not invoice.issue_date <= paid_on <= today:
        raise Refused(f"Enter a payment date from the invoice date ({invoice.issue_date:%-d %B %Y}) to today.")
    invoice.paid_on, invoice.paid_recorded_by_id = paid_on, by.id
    audit.record("invoice_paid", actor=by, centre_id=invoice.centre_id, subject=invoice.reference,
                 detail=f"Paid on {paid_on.isoformat()}, {pounds(invoice.total_pence)}")


def centre_invoice_section(centre, user: User, now: datetime) -> list:
    """The centre overview's invoice figures (its Quality contact's, as the invoice pages are): the next invoice,
    unpaid invoices and those with payment overdue. Three statements whatever the number of invoices."""
    from tenants.overview import Section

    if not user.is_quality_contact:
        return []
    today = london_date(now)
    invoices = for_centre(Invoice, centre)
    values = read_at_once(unpaid=count_of(payment_filter(invoices, UNPAID, today), Invoice.id),
                          overdue=count_of(payment_filter(invoices, OVERDUE, today), Invoice.id),
                          owed=payment_filter(invoices, UNPAID, today).with_only_columns(
                              func.coalesce(func.sum(Invoice.total_pence), 0)))
    items = billable_items(now, centre_id=centre.id)  # what the next invoices will bill, not yet invoiced
    if items:
        week = min(item.week_start for item in items)
        count = sum(1 for item in items if item.week_start == week)
        note = (f"Next invoice: {invoice_date(week):%A %-d %B %Y}, for {count} item{'s' if count != 1 else ''} "
                f"from the week beginning {week:%-d %B}.")
    else:
        note = "Nothing to invoice so far: no resubmission or excess-length fee since your last invoice."
    url = lambda which: url_for("centre.invoicing.index", status=which)  # noqa: E731
    return [Section("Invoices", [
        Figure("Unpaid invoices", values["unpaid"], url(UNPAID),
               detail=f"{pounds(int(values['owed']))} in total" if values["unpaid"] else ""),
        Figure("Payment overdue", values["overdue"], url(OVERDUE), state="overdue"),
    ], note=note, link=("All invoices", url_for("centre.invoicing.index")))]
