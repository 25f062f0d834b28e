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
