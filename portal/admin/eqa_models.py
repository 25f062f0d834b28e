"""The External Quality Assurer's follow-up of a centre flagged for its referral rate (SPEC §6.3)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwned


class FollowUpKind(enum.StrEnum):
    VISIT = "visit"
    ACTION = "action"

    @property
    def label(self) -> str:
        return {"visit": "Visit", "action": "Action"}[self.value]


class EqaFollowUp(CentreOwned, db.Model):
    """A visit to a centre, or another action, recorded by an External Quality Assurer. Rows are only added.

    `rates` keeps the centre's and the service's referral rates as the page showed them when it was recorded:
    the figures move every month, the reason for the follow-up should not."""

    __tablename__ = "eqa_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FollowUpKind] = mapped_column(enum_column(FollowUpKind, "eqa_follow_up_kind"))
    happened_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    rates: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    centre = relationship("Centre", lazy="joined")
    recorded_by = relationship("User", lazy="joined")
