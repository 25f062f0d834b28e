"""The invoice pages' lists (awarding body: every centre's; a centre: its own), a page at a time: newest week
first, each invoice with its number of lines counted by the database (its lines are never loaded for a list)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from portal.extensions import db
from portal.invoicing.models import Invoice, InvoiceLine
from portal.invoicing.payments import payment_filter
from portal.tenancy import scoped_select

PAGE_SIZE = 50


def _page(statement, page: int) -> tuple[list[tuple[Invoice, int]], int]:
    total = db.session.execute(statement.with_only_columns(func.count(Invoice.id)).order_by(None)).scalar_one()
    lines = (select(func.count(InvoiceLine.id)).where(InvoiceLine.invoice_id == Invoice.id)
             .correlate(Invoice).scalar_subquery())
    rows = db.session.execute(
        statement.add_columns(lines).options(lazyload(Invoice.lines))
        .order_by(Invoice.week_start.desc(), Invoice.number.desc())
        .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return [(invoice, count) for invoice, count in rows], total


def all_invoices(page: int) -> tuple[list[tuple[Invoice, int]], int]:
    """([(invoice, its number of lines)], total) for one page of every centre's invoices: two statements."""
    return _page(select(Invoice), page)


def centre_invoices(page: int, status: str = "", today: date | None = None) -> tuple[list[tuple[Invoice, int]], int]:
    """The same for the current centre's invoices (inside its pages): all, or the unpaid or overdue ones (`status`,
    judged on `today`)."""
    return _page(payment_filter(scoped_select(Invoice), status, today), page)
