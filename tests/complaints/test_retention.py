"""Complaint records are kept for the retention period (default 3 years after closing) and then removed."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.db import utcnow
from portal.extensions import db
from tenants.complaints.models import Complaint, ComplaintStage, ComplaintUpdate, TrackingLink
from tenants.complaints.retention import purge_expired, retention_cutoff


def test_default_retention_is_three_years(app):
    now = utcnow().replace(year=2030, month=6, day=1)
    assert retention_cutoff(now) == now.replace(year=2027)
    leap = now.replace(year=2032, month=2, day=29)
    assert retention_cutoff(leap) == leap.replace(year=2029, day=28)


@pytest.mark.parametrize("closed_days_ago, open_case, kept", [
    pytest.param(None, True, True, id="open-case-kept"),
    pytest.param(365 * 3 - 2, False, True, id="closed-under-three-years"),
    pytest.param(365 * 3 + 2, False, False, id="closed-over-three-years"),
])
def test_purge(policy_centre, complain, closed_days_ago, open_case, kept):
    complaint, _ = complain(policy_centre)
    reference = complaint.reference
    if not open_case:
        complaint.closed_at = utcnow() - timedelta(days=closed_days_ago)
        db.session.commit()
    removed = purge_expired(utcnow())
    db.session.commit()
    assert (reference not in removed) is kept
    counts = [db.session.execute(select(func.count()).select_from(model)).scalar_one()
              for model in (Complaint, ComplaintStage, ComplaintUpdate, TrackingLink)]
    assert all(counts) if kept else not any(counts)


def test_retention_period_is_configurable(app, policy_centre, complain):
    app.config["COMPLAINT_RETENTION_YEARS"] = 1
    complaint, _ = complain(policy_centre)
    complaint.closed_at = utcnow() - timedelta(days=400)
    db.session.commit()
    reference = complaint.reference
    assert purge_expired(utcnow()) == [reference]


def test_cli_dry_run_and_purge(app, policy_centre, complain):
    complaint, _ = complain(policy_centre)
    complaint.closed_at = utcnow() - timedelta(days=365 * 4)
    db.session.commit()
    reference = complaint.reference
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["complaints", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "would remove 1" in dry.output and reference in dry.output
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 1
    done = runner.invoke(args=["complaints", "purge"])
    assert done.exit_code == 0 and "removed 1" in done.output
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 0
