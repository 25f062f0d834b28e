"""When each person last looked at their overview, so it can say what happened "since your last visit".

A visit is a run of overview views with less than the session's idle limit between them (30 minutes by
default: the sign-in ends after that anyway). Within a visit the overview keeps counting from the same moment —
reloading it does not make "results released since your last visit" drop to nought — and the next visit
counts from the last view of this one.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, case, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.auth.sessions import idle_limit
from portal.db import UTCDateTime
from portal.extensions import db


class OverviewVisit(db.Model):
    """One person's visits to one overview (the centre's, or the awarding body's)."""

    __tablename__ = "overview_visit"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    overview: Mapped[str] = mapped_column(String(20), primary_key=True)  # "centre", "awarding_body"
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the latest view
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last view of the visit before this one


def since_last_visit(user_id: int, overview: str, now: datetime) -> datetime | None:
    """Record a view of `overview` at `now`; the moment the current visit counts from (None on a first visit).
    One statement on every view but the first: an UPDATE that reads the old row and returns the new `since` (the
    right-hand sides of SET see the row as it was). The caller commits."""
    quiet_since = now - idle_limit()  # a view after this long without one starts a new visit
    row = db.session.execute(
        update(OverviewVisit)
        .where(OverviewVisit.user_id == user_id, OverviewVisit.overview == overview)
        .values(since=case((OverviewVisit.last_seen_at <= quiet_since, OverviewVisit.last_seen_at),
                           else_=OverviewVisit.since),
                last_seen_at=now)
        .returning(OverviewVisit.since)
        .execution_options(synchronize_session=False)).first()
    if row is None:
        db.session.add(OverviewVisit(user_id=user_id, overview=overview, last_seen_at=now, since=None))
        return None
    return row.since
