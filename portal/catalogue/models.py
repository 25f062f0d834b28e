"""The catalogue of units the awarding body marks (SPEC §6.1), maintained by platform admins, and the units
each centre is approved for."""
from __future__ import annotations

import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import enum_column
from portal.extensions import db
from portal.tenancy import CentreOwned


class Pathway(enum.StrEnum):
    LEADERSHIP_MANAGEMENT = "leadership_management"
    COACHING_MENTORING = "coaching_mentoring"

    @property
    def label(self) -> str:
        return {"leadership_management": "Leadership & Management",
                "coaching_mentoring": "Coaching & Mentoring"}[self.value]


class LimitRule(enum.StrEnum):
    """How a unit's submission length is judged."""

    WORDS_5000 = "words_5000"
    WORDS_8000 = "words_8000"
    PORTFOLIO = "portfolio"  # no word limit: completed portfolio documents and the evidence matrix are required

    @property
    def word_limit(self) -> int | None:
        return {"words_5000": 5000, "words_8000": 8000}.get(self.value)

    @property
    def label(self) -> str:
        return {"words_5000": "5,000 words", "words_8000": "8,000 words",
                "portfolio": "No word limit: portfolio and evidence matrix required"}[self.value]


class Unit(db.Model):
    """A unit (or set of integrated units) assessed by the awarding body's assessment service."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    pathway: Mapped[Pathway] = mapped_column(enum_column(Pathway, "pathway"))
    level: Mapped[int] = mapped_column(Integer)
    limit_rule: Mapped[LimitRule] = mapped_column(enum_column(LimitRule, "limit_rule"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def word_limit(self) -> int | None:
        return self.limit_rule.word_limit


class CentreUnit(CentreOwned, db.Model):
    """A unit the centre is approved for: only these can be submitted."""

    __tablename__ = "centre_unit"
    __table_args__ = (UniqueConstraint("centre_id", "unit_id", name="uq_centre_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    unit: Mapped[Unit] = relationship(lazy="joined")
