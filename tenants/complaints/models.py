"""Complaints: a learner's case at their centre, its stages (the centre's, then the awarding body's),
updates, private tracking links and notifications sent.

One `Complaint` row is one complainant's case from first contact to final outcome, so an escalation
"names the centre case and carries its history" by construction. Direct complaints to the awarding body
(from centres or the public) use the same tables with route `direct` and no centre stages.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth.models import Role
from portal.db import UTCDateTime, enum_column, partial_index, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwnedOptional


class Route(enum.StrEnum):
    CENTRE = "centre"  # learner route: the centre first, then (only if exhausted) the awarding body
    DIRECT = "direct"  # to the awarding body directly (centres, the public): stage one, two, final


class Kind(enum.StrEnum):
    COMPLAINT = "complaint"
    MALPRACTICE = "malpractice"  # allegation of malpractice/maladministration: the regulation team
    RESULT_DISPUTE = "result_dispute"  # dispute of an assessment result: enquiries and appeals


class Category(enum.StrEnum):
    CUSTOMER_FOCUS = "customer_focus"
    WEBSITE = "website"
    INCORRECT_PRODUCT = "incorrect_product"
    CERTIFICATE_LATE = "certificate_late"
    PROCESS_NOT_FOLLOWED = "process_not_followed"
    FINANCE = "finance"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "customer_focus": "Lack of customer focus", "website": "Website",
            "incorrect_product": "Incorrect product or service", "certificate_late": "Certificate late",
            "process_not_followed": "Process or timescale not followed", "finance": "Finance", "other": "Other",
        }[self.value]


class Subject(enum.StrEnum):
    """What the complaint concerns; decides the regulator signposting (SPSO for centre staff only)."""

    CENTRE = "centre"
    CENTRE_STAFF = "centre_staff"
    PRODUCT_SERVICE = "product_service"

    @property
    def label(self) -> str:
        return {"centre": "The centre (how it runs things)",
                "centre_staff": "Only the behaviour of a member of the centre's staff",
                "product_service": "A qualification, product or service (for example a certificate)"}[self.value]


class Status(enum.StrEnum):
    OPEN = "open"  # a stage is running
    AWAITING_LEARNER = "awaiting_learner"  # a stage closed: the learner accepts or asks for the next stage
    RESOLVED = "resolved"  # accepted, or the final stage gave its outcome
    REFERRED = "referred"  # not a complaint: sent to malpractice or enquiries and appeals

    @property
    def label(self) -> str:
        return {"open": "Open", "awaiting_learner": "Waiting for the learner", "resolved": "Resolved",
                "referred": "Referred"}[self.value]


class Exhausted(enum.StrEnum):
    """Why the centre's process counts as exhausted when a learner escalates."""

    FINAL_STAGE_CLOSED = "final_stage_closed"
    DEADLINE_MISSED = "deadline_missed"


class ExtensionConsent(enum.StrEnum):
    """How the learner took part in an extension of a stage's deadline (SPEC §5.2)."""

    AGREED = "agreed"  # the learner agreed to the later date
    TOLD = "told"  # the learner was told, as the centre's policy allows ("we will keep you informed")

    @property
    def label(self) -> str:
        return {"agreed": "you agreed to the new date", "told": "you were told of the new date"}[self.value]


class Level(enum.StrEnum):
    CENTRE = "centre"
    AWARDING_BODY = "awarding_body"


class Audience(enum.StrEnum):
    LEARNER = "learner"  # shown on the tracking page (and to the staff handling that level)
    CENTRE = "centre"  # centre staff's internal note
    AWARDING_BODY = "awarding_body"  # awarding-body staff's internal note


REFERRED = "kind <> 'complaint'"  # reports that are not learner-route complaints (Kind)


class Complaint(CentreOwnedOptional, db.Model):
    """A complainant's case. `centre_id` is NULL only for a direct complaint that concerns no centre."""

    __tablename__ = "complaint"
    __table_args__ = (UniqueConstraint("centre_id", "number", name="uq_complaint_centre_number"),
                      # the reports count reports routed elsewhere (few) by month without reading every complaint
                      partial_index("ix_complaint_referred_received", "received_at", where=REFERRED))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    route: Mapped[Route] = mapped_column(enum_column(Route, "complaint_route"))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "complaint_kind"), default=Kind.COMPLAINT)
    status: Mapped[Status] = mapped_column(enum_column(Status, "complaint_status"), default=Status.OPEN,
                                           index=True)
    complainant_name: Mapped[str] = mapped_column(String(120))
    complainant_email: Mapped[str] = mapped_column(String(254))
    complainant_is_centre: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolment_number: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(Text)
    subject: Mapped[Subject] = mapped_column(enum_column(Subject, "complaint_subject"))
    key_dates: Mapped[str] = mapped_column(Text, default="")
    actions_taken: Mapped[str] = mapped_column(Text, default="")
    outcome_wanted: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[Category] = mapped_column(enum_column(Category, "complaint_category"), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_version.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    referral_note: Mapped[str] = mapped_column(Text, default="")

    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    exhausted_reason: Mapped[Exhausted | None] = mapped_column(enum_column(Exhausted, "exhausted_reason"))
    service_request_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    centre_contact_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    centre_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    regulator: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The position of the case's current (latest) stage, kept on every insert of a stage (`_keep_stage_position`):
    # the queues join the current stage on it instead of a correlated MAX(position) per case.
    stage_position: Mapped[int | None] = mapped_column(Integer)
    # What the complaint reports count of the case, stored and kept current in the same flush as any change to the
    # case's stages (tenants.complaints.report_facts): the reports read these instead of grouping every stage.
    report_month: Mapped[int | None] = mapped_column(Integer)  # London month received: year * 12 + month - 1
    report_centre_stages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    report_centre_furthest: Mapped[int | None] = mapped_column(Integer)  # position of its furthest centre stage
    report_centre_stage_name: Mapped[str | None] = mapped_column(String(120))  # that stage's name
    report_late_stages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    report_centre_late_stages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The stages closed, and closed on time, as bits: bit p - 1 for the stage at position p.
    report_closed_stages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    report_closed_on_time: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    centre = relationship("Centre", lazy="joined")
    policy_version = relationship("PolicyVersion")
    stages: Mapped[list[ComplaintStage]] = relationship(
        back_populates="complaint", order_by="ComplaintStage.position", lazy="selectin",
        cascade="all, delete-orphan")

    @property
    def current_stage(self) -> ComplaintStage | None:
        return self.stages[-1] if self.stages else None

    @property
    def centre_stages(self) -> list[ComplaintStage]:
        return [s for s in self.stages if s.level is Level.CENTRE]

    @property
    def awarding_body_stages(self) -> list[ComplaintStage]:
        return [s for s in self.stages if s.level is Level.AWARDING_BODY]


class ComplaintStage(CentreOwnedOptional, db.Model):
    """One stage of a case: the centre's (from its policy version) or the awarding body's (by role)."""

    __tablename__ = "complaint_stage"
    __table_args__ = (UniqueConstraint("complaint_id", "position", name="uq_complaint_stage_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, ... across both levels
    level: Mapped[Level] = mapped_column(enum_column(Level, "stage_level"))
    name: Mapped[str] = mapped_column(String(120))
    handler: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role | None] = mapped_column(enum_column(Role, "stage_role"))  # awarding-body stages only
    target_days: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledge_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "within 24 hours", as hours
    respond_due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    extended_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extension_consent: Mapped[ExtensionConsent | None] = mapped_column(
        enum_column(ExtensionConsent, "extension_consent"))
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its outcome: set when the stage closes
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    learner_decision: Mapped[str | None] = mapped_column(String(20))  # "accepted" or "next_stage"
    learner_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="stages")
    assigned_to = relationship("User", lazy="joined")

    @property
    def due(self) -> datetime:
        """The deadline in force: an agreed extension replaces the policy target."""
        return self.extended_due or self.respond_due

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def overdue(self, now: datetime) -> bool:
        """Open past its deadline, or closed after it: the deadline passed without the stage's outcome.

        A deadline can only be extended before it passes, so once this is true it stays true.
        """
        return (self.closed_at or now) > self.due


class ComplaintUpdate(CentreOwnedOptional, db.Model):
    """An entry in a case's history: learner-visible update, or an internal note of one side."""

    __tablename__ = "complaint_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_stage.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    audience: Mapped[Audience] = mapped_column(enum_column(Audience, "update_audience"))
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")

    author = relationship("User", lazy="joined")
    stage = relationship("ComplaintStage", lazy="joined")


class TrackingLink(CentreOwnedOptional, db.Model):
    """A private link to follow one case. Only the SHA-256 of its 256-bit token is stored."""

    __tablename__ = "tracking_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(lazy="joined")


class ComplaintNotice(CentreOwnedOptional, db.Model):
    """A notification sent about a case; the unique key makes each one go out once."""

    __tablename__ = "complaint_notice"
    __table_args__ = (UniqueConstraint("complaint_id", "event", "recipient", name="uq_complaint_notice_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(254))
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_email.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(ComplaintStage, "after_insert")
def _keep_stage_position(mapper, connection, stage: ComplaintStage) -> None:
    """A new stage is the case's current one (positions only grow): however the stage was added."""
    table = Complaint.__table__
    connection.execute(update(table).where(table.c.id == stage.complaint_id, or_(
        table.c.stage_position.is_(None), table.c.stage_position < stage.position)).values(
        stage_position=stage.position))
    complaint = stage.__dict__.get("complaint")
    if complaint is not None and (complaint.__dict__.get("stage_position") or 0) < stage.position:
        set_committed_value(complaint, "stage_position", stage.position)


def recompute_stage_positions() -> None:
    """Set every case's `stage_position` in one UPDATE: for rows written without the ORM (bulk seeding), as the
    migration that added the column did."""
    cases, stages = Complaint.__table__, ComplaintStage.__table__
    latest = (select(func.max(stages.c.position)).where(stages.c.complaint_id == cases.c.id)
              .correlate(cases).scalar_subquery())
    db.session.execute(update(cases).values(stage_position=latest))


from tenants.complaints import report_facts  # noqa: E402,F401 - its flush hooks keep the report facts current
