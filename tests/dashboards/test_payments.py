"""Recording invoice payments; the centre's invoices filtered to the unpaid ones and those overdue."""
from __future__ import annotations

from datetime import timedelta

from portal.db import utcnow
from portal.extensions import db
from portal.invoicing.models import Invoice
from portal.workdays import london_date
from tests.conftest import quality_contact_of
from tests.dashboards.conftest import invoices


def _invoices(centre):
    return db.session.query(Invoice).filter_by(centre_id=centre.id).order_by(Invoice.issue_date).all()


def test_finance_records_a_payment_once_and_never_before_the_invoice_date(centre, client, auth, make_admin):
    invoices(centre, utcnow())
    unpaid = [i for i in _invoices(centre) if i.paid_on is None][0]
    auth.sign_in(make_admin("finance"))
    too_early = unpaid.issue_date - timedelta(days=1)
    response = client.post(f"/admin/invoices/{unpaid.id}/paid", data={"paid_on": too_early.isoformat()})
    assert response.status_code == 303
    db.session.refresh(unpaid)
    assert unpaid.paid_on is None
    assert "Enter a payment date from the invoice date" in client.get("/admin/invoices").get_data(as_text=True)
    refused = client.post(f"/admin/invoices/{unpaid.id}/paid", data={"paid_on": ""})
    # The error summary links to the date field of the invoice's own row (each row has one).
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'href="#paid-on-{unpaid.id}"' in page and f'id="paid-on-{unpaid.id}"' in page
    today = london_date(utcnow())
    assert client.post(f"/admin/invoices/{unpaid.id}/paid", data={"paid_on": today.isoformat()}).status_code == 303
    db.session.refresh(unpaid)
    assert unpaid.paid_on == today
    client.post(f"/admin/invoices/{unpaid.id}/paid", data={"paid_on": today.isoformat()})
    assert "already recorded as paid" in client.get("/admin/invoices").get_data(as_text=True)
    assert client.post(f"/admin/invoices/{unpaid.id}/paid", data={"paid_on": ""}).status_code == 422


def test_the_centre_lists_its_unpaid_and_overdue_invoices(centre, client, auth):
    invoices(centre, utcnow())
    auth.sign_in(quality_contact_of(centre))
    everything = client.get(f"/c/{centre.slug}/invoices/").get_data(as_text=True)
    unpaid = client.get(f"/c/{centre.slug}/invoices/?status=unpaid").get_data(as_text=True)
    overdue = client.get(f"/c/{centre.slug}/invoices/?status=overdue").get_data(as_text=True)
    count = lambda html: html.count('<th scope="row">INV-')  # noqa: E731
    assert (count(everything), count(unpaid), count(overdue)) == (3, 2, 1)
    assert "Paid " in everything and '<span class="tag tag-overdue">Overdue</span>' in overdue
    assert client.get(f"/c/{centre.slug}/invoices/?status=nonsense").status_code == 404
