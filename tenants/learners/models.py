"""Learners registered at a centre (they have no portal account)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column
from portal.extensions import db
from portal.tenancy import CentreOwned


class LearnerStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Learner(CentreOwned, db.Model):
    """A learner at one centre; the enrolment number (ENR) is unique within that centre."""

    __tablename__ = "learner"
    __table_args__ = (UniqueConstraint("centre_id", "enrolment_number", name="uq_learner_centre_enr"),
                      # The tracker's "learner" sort walks a centre's learners by name (migration 0010_perfpages).
                      Index("ix_learner_centre_name", "centre_id", "last_name", "first_name", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    enrolment_number: Mapped[str] = mapped_column(String(40))
    qualification: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[LearnerStatus] = mapped_column(enum_column(LearnerStatus, "learner_status"),
                                                  default=LearnerStatus.IN_PROGRESS)
    # Set when the learner's personal data was erased at their request (tenants/learner_data): the row stays,
    # anonymised, so that the centre's and the awarding body's figures still count their work.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
