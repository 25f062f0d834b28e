"""A centre's complaints policy: the working draft the Quality contact edits, and published versions."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwned
from portal.workdays import to_london

REVIEW_YEARS = 3  # SPEC §5.1: the policy is due for review every three years


class PolicyTemplate(enum.StrEnum):
    AWARDING_BODY_MODEL = "awarding_body_model"
    THREE_STAGE = "three_stage"

    @property
    def label(self) -> str:
        return {"awarding_body_model": "The awarding body's model policy (2, 8, 2 and 10 working days)",
                "three_stage": "Three-stage policy (2, 4 and 15 working days)"}[self.value]


class ComplaintPolicy(CentreOwned, db.Model):
    """The centre's working draft (one per centre). Complaints run under a published version, never this."""

    __tablename__ = "complaint_policy"
    __table_args__ = (UniqueConstraint("centre_id", name="uq_complaint_policy_centre"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[PolicyTemplate] = mapped_column(enum_column(PolicyTemplate, "policy_template"))
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    acknowledge_days: Mapped[int] = mapped_column(Integer, default=2)
    contact_details: Mapped[str] = mapped_column(Text, default="")
    confidentiality: Mapped[str] = mapped_column(Text, default="")
    signposting: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    stages: Mapped[list[PolicyStage]] = relationship(
        back_populates="policy", order_by="PolicyStage.position", cascade="all, delete-orphan", lazy="selectin")


class PolicyStage(CentreOwned, db.Model):
    """One stage of the draft: who handles it and its target in working days."""

    __tablename__ = "policy_stage"
    __table_args__ = (UniqueConstraint("policy_id", "position", name="uq_policy_stage_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("complaint_policy.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    handler: Mapped[str] = mapped_column(String(120))
    target_days: Mapped[int] = mapped_column(Integer)

    policy: Mapped[ComplaintPolicy] = relationship(back_populates="stages")


class PolicyVersion(CentreOwned, db.Model):
    """An immutable, dated, published version. `stages` is a snapshot: [{name, handler, target_days}, ...]."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("centre_id", "number", name="uq_policy_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    acknowledge_days: Mapped[int] = mapped_column(Integer)
    contact_details: Mapped[str] = mapped_column(Text, default="")
    confidentiality: Mapped[str] = mapped_column(Text, default="")
    signposting: Mapped[str] = mapped_column(Text, default="")
    stages: Mapped[list] = mapped_column(JSON)

    published_by = relationship("User", lazy="joined")

    @property
    def published_on(self) -> date:
        return to_london(self.published_at).date()

    @property
    def review_due(self) -> date:
        """Three years after publication (29 February falls back to 28 February)."""
        published = self.published_on
        try:
            return published.replace(year=published.year + REVIEW_YEARS)
        except ValueError:
            return published.replace(year=published.year + REVIEW_YEARS, day=28)
