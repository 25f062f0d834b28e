"""Outgoing email: written to the outbox in the caller's transaction, sent over SMTP by a job.

Without MAIL_SERVER (the demo) messages stay in the outbox, marked as held, and admins read them on
the outbox page — that is how demo users receive their set-password links.
"""
from __future__ import annotations

import enum
import re
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import ForeignKey, Integer, String, Text, update
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import UTCDateTime, enum_column, utcnow
from portal.extensions import db


class EmailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    HELD = "held"  # no SMTP server configured: kept in the outbox only
    FAILED = "failed"


class OutboundEmail(db.Model):
    """One message to one recipient. `centre_id` says which centre it concerns, if any."""

    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centre.id"), index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Given when the message is written, so every attempt sends the same message: a receiving system can
    # de-duplicate the rare second copy (see docs/reliability.md, "worker killed").
    message_id: Mapped[str] = mapped_column(String(200), default=lambda: new_message_id())
    status: Mapped[EmailStatus] = mapped_column(enum_column(EmailStatus, "email_status"),
                                                default=EmailStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def new_message_id() -> str:
    """A fresh RFC 5322 Message-ID for an outbox message."""
    return make_msgid(domain="centre-portal.invalid")


def link_to(endpoint: str, **values) -> str:
    """An absolute URL for an email, built from PUBLIC_BASE_URL (works in jobs and commands too)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("portal.invalid").build(endpoint, values)


def queue_email(to: str, subject: str, body: str, *, centre_id: int | None = None) -> OutboundEmail:
    """Put a message in the outbox; it is sent by a job once the current transaction commits."""
    from portal.background import after_commit

    message = OutboundEmail(to=to, subject=subject, body=body, centre_id=centre_id, message_id=new_message_id())
    db.session.add(message)
    db.session.flush()
    after_commit("send_email", message.id)
    return message


# A private link's secret part (set-password and tracking tokens). Once the message is sent the outbox keeps
# no usable copy: the database stores only hashes of these tokens, and the outbox must not undo that.
PRIVATE_LINK = re.compile(r"(/(?:set-password|complaints/track)/)[A-Za-z0-9_-]{16,}")
REDACTED = r"\1[private link removed once sent]"


def _claim(message: OutboundEmail) -> bool:
    """Take the message for one delivery attempt, or False if it is done or another worker has it.

    The conditional UPDATE holds the row until this transaction ends, so two workers running the same job
    at once cannot both send it: the second finds the attempt count moved (or the status sent) and stops.
    """
    claimed = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == message.id, OutboundEmail.attempts == message.attempts,
               OutboundEmail.status.in_((EmailStatus.QUEUED, EmailStatus.FAILED)))
        .values(attempts=OutboundEmail.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(message)
    return claimed == 1


def deliver(message: OutboundEmail) -> None:
    """Send one outbox message over SMTP (or hold it when no server is configured). Idempotent.

    Once the server has accepted the message (its reply to DATA), the send is recorded and COMMITTED before
    QUIT, so a worker killed while closing the connection cannot send it again. Killed between the server's
    acceptance and that commit (milliseconds), the message stays queued and is sent again — with the same
    Message-ID, stored on the row when it was written. On any earlier failure the caller records the error and
    commits. Without MAIL_SERVER (the demo) the message is held in the outbox, links intact, because the
    outbox page is then the only way to read it.
    """
    if not _claim(message):
        return
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        message.status = EmailStatus.HELD
        return
    if not message.message_id:  # a row written before Message-IDs were given on writing
        message.message_id = new_message_id()
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email.set_content(message.body)
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)
        message.status = EmailStatus.SENT
        message.sent_at = utcnow()
        message.body = PRIVATE_LINK.sub(REDACTED, message.body)
        db.session.commit()  # recorded before QUIT
    finally:
        _close(smtp)


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a server that has gone away by now changes nothing (the message was accepted or not)."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
