"""Accounts: awarding-body staff (no centre) and centre staff (one centre each)."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import UTCDateTime, enum_column, partial_index, utcnow
from portal.extensions import db
from portal.tenancy import CentreOwnedOptional


class Role(enum.StrEnum):
    """Awarding-body roles (SPEC §1); a person may hold several."""

    PLATFORM_ADMIN = "platform_admin"
    CUSTOMER_SERVICE = "customer_service"
    TEAM_LEADER = "team_leader"
    DIRECTOR = "director"
    QUALITY = "quality"
    ASSESSMENT = "assessment"
    FINANCE = "finance"
    EQA = "eqa"  # External Quality Assurer: follows up centres flagged for high referral rates (SPEC §6.3)
    # Appointed by a platform admin (portal.auth.roles): samples and standardises assessors' marking before
    # results are released (SPEC §6.3; ILMA policy, "Lead Assessor" and §6.1).
    LEAD_ASSESSOR = "lead_assessor"

    @property
    def label(self) -> str:
        return _ROLE_LABELS.get(self.value) or self.value.replace("_", " ").capitalize()


_ROLE_LABELS = {"eqa": "External Quality Assurer"}


class AccountStatus(enum.StrEnum):
    PENDING = "pending"  # requested, waiting for the Quality contact
    ACTIVE = "active"
    DECLINED = "declined"
    CLOSED = "closed"


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, CentreOwnedOptional, db.Model):
    """A person with a portal account. `centre_id` is NULL for awarding-body staff."""

    __tablename__ = "user_account"
    __table_args__ = (
        # At most one Quality contact per centre, held by the database.
        partial_index("uq_user_account_quality_contact", "centre_id", unique=True, where="is_quality_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[AccountStatus] = mapped_column(enum_column(AccountStatus, "account_status"),
                                                  default=AccountStatus.PENDING)
    is_quality_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of the session id: changing it ends every live session of this account.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong passwords in a row (from any address) and, after a few, when sign-in may be tried again.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sign_in_paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (portal.auth.two_factor): the TOTP secret, set when enrolment starts and in force once
    # confirmed with a code (enabled_at); the time step of the last code accepted, so no code works twice.
    two_factor_secret: Mapped[str | None] = mapped_column(String(32))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    two_factor_last_step: Mapped[int | None] = mapped_column(Integer)

    centre = relationship("Centre", lazy="joined")
    # Loaded only where roles are read: with the signed-in account (one joined query, see
    # portal.auth.services.load_session_user) and by the pages that list roles (admin people). Never with
    # every user a page names (a selectin here cost one statement after each query that loaded users).
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select")
    requested_by = relationship("User", foreign_keys=[requested_by_id], remote_side=[id])

    # flask-login: the id carries the session token, so rotating the token signs the account out everywhere.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def two_factor_enabled(self) -> bool:
        return self.two_factor_enabled_at is not None

    @property
    def is_awarding_body(self) -> bool:
        return self.centre_id is None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: Role) -> bool:
        """True if this awarding-body account holds any of `roles`."""
        return self.is_awarding_body and bool(self.roles.intersection(roles))

    def __repr__(self) -> str:
        return f"<User {self.email} {self.status}>"


class RoleGrant(db.Model):
    """One awarding-body role held by one account."""

    __tablename__ = "role_grant"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_grants")


class PasswordLink(db.Model):
    """A one-time, expiring link to set a password. Only the SHA-256 of the token is stored."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """One of an account's single-use recovery codes (for a lost authenticator). Only its SHA-256 is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
