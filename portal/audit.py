"""The audit log: who did what, when, at which centre."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwnedOptional


class AuditEvent(CentreOwnedOptional, db.Model):
    """One recorded event. Rows are only ever added."""

    __tablename__ = "audit_event"
    may_be_recorded_without_centre = True  # e.g. a sign-in by awarding-body staff, whatever page it comes from

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User", lazy="joined")
    centre = relationship("Centre", lazy="joined")


def record(action: str, *, actor=None, centre_id: int | None = None, subject: str = "", detail: str = "") -> None:
    """Add an audit event to the current transaction (it commits with the change it describes)."""
    db.session.add(AuditEvent(action=action, actor_id=getattr(actor, "id", None), centre_id=centre_id,
                              subject=subject, detail=detail))
