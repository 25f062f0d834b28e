"""Notifications about a case, each sent once (the database's unique key holds "once")."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.mail import queue_email
from portal.tenancy import ALL_CENTRES
from tenants.complaints.models import Complaint, ComplaintNotice


def notify_once(complaint: Complaint, event: str, recipient: str, subject: str, body: str) -> bool:
    """Queue the email unless this event was already notified to this recipient. True if queued."""
    existing = db.session.execute(
        select(ComplaintNotice.id).where(ComplaintNotice.complaint_id == complaint.id,
                                         ComplaintNotice.event == event, ComplaintNotice.recipient == recipient)
        # Notices of a case at the awarding body's stages are read outside the centre's pages too.
        .execution_options(**{ALL_CENTRES: True})).first()
    if existing:
        return False
    email = queue_email(recipient, subject, body, centre_id=complaint.centre_id)
    db.session.add(ComplaintNotice(complaint_id=complaint.id, centre_id=complaint.centre_id, event=event,
                                   recipient=recipient, email_id=email.id))
    return True
