"""The centre: the tenant itself, from application to closure."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db
from portal.workdays import Nation, deadline

APPROVAL_DECISION_WORKING_DAYS = 20  # customer charter: a decision on approval within 20 working days


class CentreStatus(enum.StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {"applied": "Awaiting decision"}.get(self.value, self.value.capitalize())


class Centre(db.Model):
    """An applicant organisation and, once approved, a centre with its own isolated workspace."""

    __tablename__ = "centre"
    __table_args__ = (
        CheckConstraint("status = 'applied' OR status = 'declined' OR (slug IS NOT NULL AND "
                        "centre_number IS NOT NULL)", name="provisioned_has_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[CentreStatus] = mapped_column(enum_column(CentreStatus, "centre_status"),
                                                 default=CentreStatus.APPLIED, index=True)
    slug: Mapped[str | None] = mapped_column(String(60), unique=True)
    centre_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    nation: Mapped[Nation] = mapped_column(enum_column(Nation, "nation"))
    scottish_public_body: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    qualifications_sought: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moved by the database (triggers, migration 0016_tracker) whenever the centre's submissions, learners or units
    # change, in the same transaction: the key of the pages cached from them. Never written by the application.
    data_version: Mapped[int] = mapped_column(BigInteger, server_default="0")

    @property
    def decision_due(self) -> datetime:
        """End of the 20th working day after the application, on the applicant's nation's calendar."""
        return deadline(self.applied_at, APPROVAL_DECISION_WORKING_DAYS, self.nation)

    @property
    def is_open(self) -> bool:
        """Approved and neither suspended nor closed: its staff sign in, its workspace takes new work."""
        return self.status is CentreStatus.APPROVED

    @property
    def accepts_submissions(self) -> bool:
        return self.is_open

    @property
    def is_provisioned(self) -> bool:
        return self.status in (CentreStatus.APPROVED, CentreStatus.SUSPENDED, CentreStatus.CLOSED)

    def __repr__(self) -> str:
        return f"<Centre {self.slug or self.id} {self.status}>"
