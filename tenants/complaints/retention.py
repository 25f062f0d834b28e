"""Keeping complaint records for the retention period (COMPLAINT_RETENTION_YEARS, default 3) and no longer.

A case's clock starts when it closes (resolved, or recorded and referred elsewhere); open cases are kept.
The purge removes the case with its stages, history, links and notification records; the audit log keeps
its one-line events (reference only), which is what an auditor needs to see that a case existed.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from portal import audit
from portal.extensions import db
from portal.tenancy import ALL_CENTRES
from tenants.complaints.models import Complaint, ComplaintNotice, ComplaintStage, ComplaintUpdate, TrackingLink


def retention_cutoff(now: datetime) -> datetime:
    """Cases closed before this moment are past the retention period."""
    years = current_app.config["COMPLAINT_RETENTION_YEARS"]
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def expired_cases(now: datetime) -> list[tuple[int, str, int | None]]:
    """(id, reference, centre_id) of every case past the retention period."""
    statement = (select(Complaint.id, Complaint.reference, Complaint.centre_id)
                 .where(Complaint.closed_at.is_not(None), Complaint.closed_at < retention_cutoff(now))
                 # Retention is a system job over every centre's closed cases.
                 .execution_options(**{ALL_CENTRES: True}))
    return [tuple(row) for row in db.session.execute(statement)]


def purge_expired(now: datetime) -> list[str]:
    """Delete every case past the retention period, children first. Returns the references removed."""
    cases = expired_cases(now)
    ids = [case_id for case_id, _, _ in cases]
    if not ids:
        return []
    for child in (ComplaintNotice, TrackingLink, ComplaintUpdate, ComplaintStage):
        db.session.execute(delete(child).where(child.complaint_id.in_(ids)).execution_options(
            synchronize_session=False))
    db.session.execute(delete(Complaint).where(Complaint.id.in_(ids)).execution_options(synchronize_session=False))
    for _, reference, centre_id in cases:
        audit.record("complaint_purged", centre_id=centre_id, subject=reference,
                     detail=f"retention period of {current_app.config['COMPLAINT_RETENTION_YEARS']} years ended")
    return [reference for _, reference, _ in cases]
