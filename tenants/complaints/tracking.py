"""Private tracking links: 256 random bits, only the SHA-256 stored, expiring, re-sendable.

Each notification email carries a fresh link (only hashes are stored, so an old token cannot be sent
again). Re-sending on request revokes every earlier link of the case, so a forwarded or leaked link
stops working the moment the learner asks for a new one.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.db import utcnow
from portal.extensions import db
from portal.mail import link_to
from portal.tenancy import ALL_CENTRES
from portal.tokens import new_token, token_hash
from tenants.complaints.models import Complaint, Route, TrackingLink
from tenants.complaints.notify import notify_once


def issue_link(complaint: Complaint, *, revoke_earlier: bool = False) -> str:
    """Make a new link for the case (revoking the earlier ones if asked). Returns the token (never stored)."""
    now = utcnow()
    if revoke_earlier:
        db.session.execute(update(TrackingLink)
                           .where(TrackingLink.complaint_id == complaint.id, TrackingLink.revoked_at.is_(None))
                           .values(revoked_at=now).execution_options(synchronize_session=False))
    token, stored = new_token()
    db.session.add(TrackingLink(complaint_id=complaint.id, centre_id=complaint.centre_id, token_hash=stored,
                                expires_at=now + timedelta(days=current_app.config["TRACKING_LINK_DAYS"])))
    return token


def home_centre_id(complaint: Complaint) -> int | None:
    """Whose pages follow the case: the centre's (learner route), or the awarding body's (None) for a direct
    complaint — even one made by a centre, which is about the awarding body, not a case the centre handles."""
    return complaint.centre_id if complaint.route is Route.CENTRE else None


def tracking_url(complaint: Complaint, token: str) -> str:
    if home_centre_id(complaint) is not None:
        return link_to("centre.complaints.track", slug=complaint.centre.slug, token=token)
    return link_to("complaints.track", token=token)


def find_case(token: str, centre_id: int | None) -> Complaint | None:
    """The case a live link opens — only on the pages of the case's own centre (None: the awarding body's)."""
    # The link is found by its hash alone; the centre is checked below, so another centre's link is a 404.
    link = db.session.execute(select(TrackingLink).where(TrackingLink.token_hash == token_hash(token))
                              .execution_options(**{ALL_CENTRES: True})).scalar_one_or_none()
    if link is None or link.revoked_at is not None or link.expires_at <= utcnow():
        return None
    if home_centre_id(link.complaint) != centre_id:
        return None
    return link.complaint


def resend_link(complaint: Complaint) -> None:
    """Send a fresh link (revoking the old ones) to the complainant's email."""
    token = issue_link(complaint, revoke_earlier=True)
    db.session.flush()
    notify_once(complaint, f"link:{token[:8]}", complaint.complainant_email,
                f"Your link to follow complaint {complaint.reference}",
                f"Hello {complaint.complainant_name},\n\nHere is a new private link to follow complaint "
                f"{complaint.reference}:\n{tracking_url(complaint, token)}\n\nEarlier links no longer work. "
                "Keep this link private: anyone with it can read your case.\n")


def find_for_resend(reference: str, email: str, centre_id: int | None) -> Complaint | None:
    """The case with this reference and complainant email at this centre, if any (exact, case-insensitive)."""
    statement = select(Complaint).where(Complaint.reference == reference.strip().upper())
    # References are unique portal-wide; the centre and the email are checked below.
    complaint = db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalar_one_or_none()
    if complaint is None or home_centre_id(complaint) != centre_id \
            or complaint.complainant_email.lower() != email.strip().lower():
        return None
    return complaint
