"""The report says how long complaint records are kept (COMPLAINT_RETENTION_YEARS), and warns when the period
reaches back before it: the lead's purge deletes those cases, so old months count fewer."""
from __future__ import annotations

import pytest

from portal.db import utcnow
from tenants.complaints.report_period import Month
from tests.conftest import Auth, quality_contact_of


@pytest.fixture
def app_overrides():
    return {"COMPLAINT_RETENTION_YEARS": 1}


def test_the_configured_retention_period_is_stated(policy_centre, client):
    Auth(client).sign_in(quality_contact_of(policy_centre))
    this_month = Month.of(utcnow())
    recent = client.get(f"/c/{policy_centre.slug}/reports?start={this_month.iso}&end={this_month.iso}")
    body = recent.get_data(as_text=True)
    assert "Complaint records are kept for 1 year after a complaint" in body
    assert "are no longer kept" not in body
    older = client.get(f"/c/{policy_centre.slug}/reports?start={this_month.plus(-30).iso}&end={this_month.iso}")
    assert "are no longer kept, so months before then may show fewer complaints" in older.get_data(as_text=True)
