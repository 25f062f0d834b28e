"""The centre's overview (issue 12 §1): each figure, the filtered list its link opens, the last visit, and a
fixed number of statements whatever the centre holds."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.db import utcnow
from portal.extensions import db
from portal.visits import OverviewVisit, since_last_visit
from tests.conftest import quality_contact_of
from tests.dashboards.conftest import (
    centre_complaints,
    centre_submissions,
    figures_on,
    invoices,
    listed_total,
)

EXPECTED = {
    "Waiting for acknowledgement": 2,
    "Acknowledgement overdue": 1,
    "Stage 1: investigation: response due within 1 working day": 1,
    "Stage 1: investigation: response overdue": 1,
    "Stage 2: review: response due within 1 working day": 0,
    "Stage 2: review: response overdue": 1,
    "Stage 3: final review: response due within 1 working day": 0,
    "Stage 3: final review: response overdue": 0,
    "Held over the word limit: waiting for your decision": 1,
    "Awaiting quality check": 2,
    "Quality check overdue": 1,
    "Waiting for a result (marking or release)": 2,
    "Result overdue": 1,
    "Results released in the last 30 days": 1,
    "Account requests waiting for your decision": 1,
    "Unpaid invoices": 2,
    "Payment overdue": 1,
}


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def full_centre(overview_centre, make_staff):
    centre, version = overview_centre
    now = utcnow()
    centre_complaints(centre, version, now)
    centre_submissions(centre, now)
    invoices(centre, now)
    make_staff(centre, status="pending", name="Ana Lopes")
    return centre, version


def test_every_figure_counts_the_list_its_link_opens(full_centre, client, auth):
    centre, _ = full_centre
    auth.sign_in(quality_contact_of(centre))
    page = client.get(f"/c/{centre.slug}/staff/")
    assert page.status_code == 200
    shown = figures_on(page.get_data(as_text=True))
    assert {label: figure.count for label, figure in shown.items()} == EXPECTED
    for label, figure in shown.items():
        listed = client.get(figure.url)
        assert listed.status_code == 200, (label, figure.url)
        html = listed.get_data(as_text=True)
        if "/invoices/" in figure.url:
            assert html.count('<th scope="row">INV-') == figure.count, label
        elif "/staff/accounts" in figure.url:
            assert "Ana Lopes" in html
        else:
            assert listed_total(html) == figure.count, (label, figure.url)


def test_the_overview_shows_the_policy_review_the_invoice_total_and_the_trend(full_centre, client, auth):
    centre, version = full_centre
    auth.sign_in(quality_contact_of(centre))
    html = client.get(f"/c/{centre.slug}/staff/").get_data(as_text=True)
    assert f"Review due by <strong>{version.review_due:%-d %B %Y}</strong>" in html
    assert "£36.00 in total" in html  # the two unpaid invoices
    assert "Complaints received per month" in html and "Share of resolved complaints resolved within target" in html
    assert "Referral rate: not flagged" in html


def test_staff_who_are_not_the_quality_contact_see_no_invoices_or_account_requests(full_centre, client, auth,
                                                                                  make_staff):
    centre, _ = full_centre
    auth.sign_in(make_staff(centre))
    shown = figures_on(client.get(f"/c/{centre.slug}/staff/").get_data(as_text=True))
    assert "Unpaid invoices" not in shown and "Account requests waiting for your decision" not in shown
    assert shown["Waiting for acknowledgement"].count == 2


def test_results_released_since_the_last_visit(full_centre, client, auth):
    centre, _ = full_centre
    user = quality_contact_of(centre)
    auth.sign_in(user)
    client.get(f"/c/{centre.slug}/staff/")  # the first visit
    visit = db.session.get(OverviewVisit, (user.id, "centre"))
    visit.last_seen_at = utcnow() - timedelta(minutes=20)  # the last view of that visit was 20 minutes ago...
    visit.since = utcnow() - timedelta(minutes=45)  # ...and the visit began 45 minutes ago
    db.session.commit()
    shown = figures_on(client.get(f"/c/{centre.slug}/staff/").get_data(as_text=True))
    # Within the same visit: still since 45 minutes ago, so the result released an hour ago is not new.
    assert shown["Results released since your last visit"].count == 0
    visit = db.session.get(OverviewVisit, (user.id, "centre"))
    db.session.refresh(visit)
    visit.last_seen_at, visit.since = utcnow() - timedelta(hours=2), None
    db.session.commit()
    shown = figures_on(client.get(f"/c/{centre.slug}/staff/").get_data(as_text=True))
    figure = shown["Results released since your last visit"]
    assert figure.count == 1  # a new visit: counted from the last view two hours ago
    assert listed_total(client.get(figure.url).get_data(as_text=True)) == 1


def test_a_visit_is_a_run_of_views_less_than_the_idle_limit_apart(make_admin):
    user_id, now = make_admin().id, utcnow()
    assert since_last_visit(user_id, "centre", now) is None  # the first ever: no last visit
    db.session.flush()
    assert since_last_visit(user_id, "centre", now + timedelta(minutes=10)) is None  # the same visit
    assert since_last_visit(user_id, "centre", now + timedelta(minutes=45)) == now + timedelta(minutes=10)
    assert since_last_visit(user_id, "centre", now + timedelta(minutes=50)) == now + timedelta(minutes=10)
    assert since_last_visit(user_id, "awarding_body", now) is None  # each overview keeps its own visits
    db.session.rollback()


def test_the_overview_runs_a_fixed_number_of_statements(overview_centre, client, auth, make_staff, count_queries):
    centre, version = overview_centre
    auth.sign_in(quality_contact_of(centre))
    url = f"/c/{centre.slug}/staff/"
    client.get(url)  # the first visit records itself; every later one updates the record
    sizes = []
    for size, batches in enumerate((1, 2)):
        now = utcnow()
        for _ in range(batches):
            centre_complaints(centre, version, now)
            centre_submissions(centre, now)
        invoices(centre, now, weeks_earlier=20 * size)
        make_staff(centre, status="pending")
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        sizes.append(len(statements))
    assert sizes[0] == sizes[1], sizes
    assert sizes[0] <= 25, sizes
