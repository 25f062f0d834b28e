"""Sending outbox email."""
from __future__ import annotations

import smtplib

from jobs import job

MAX_ATTEMPTS = 4


@job(queue="email", timeout=60, retries=3)
def send_email(email_id: int) -> None:
    """Send one outbox message; safe to run twice (a sent message is not sent again)."""
    from portal.db import commit
    from portal.extensions import db
    from portal.mail import EmailStatus, OutboundEmail, deliver

    message = db.session.get(OutboundEmail, email_id)
    if message is None:
        return
    try:
        deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        message.last_error = f"{type(error).__name__}: {error}"
        message.status = EmailStatus.FAILED if message.attempts >= MAX_ATTEMPTS else EmailStatus.QUEUED
        commit()
        raise
    commit()


STALLED_AFTER_MINUTES = 10
SWEEP_BATCH = 500


@job(queue="email", timeout=600)
def resend_stalled_email() -> int:
    """Send again every message still queued ten minutes after it was written; returns how many went out.

    A message stays queued when its worker died, or when SMTP was down during an inline send (no Redis: no
    RQ retries). Each try counts an attempt, so a message that keeps failing ends `failed` after
    MAX_ATTEMPTS, in the outbox for an admin to read. Sending is idempotent (portal.mail._claim).
    """
    from datetime import timedelta

    from sqlalchemy import select

    from portal.db import utcnow
    from portal.extensions import db
    from portal.mail import EmailStatus, OutboundEmail

    cutoff = utcnow() - timedelta(minutes=STALLED_AFTER_MINUTES)
    stalled = db.session.execute(
        select(OutboundEmail.id).where(OutboundEmail.status == EmailStatus.QUEUED, OutboundEmail.created_at < cutoff)
        .order_by(OutboundEmail.id).limit(SWEEP_BATCH)).scalars().all()
    sent = 0
    for email_id in stalled:
        try:
            send_email(email_id)
        except (OSError, smtplib.SMTPException):
            continue  # recorded on the message by send_email; the next sweep tries again
        sent += 1
    return sent
