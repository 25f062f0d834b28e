"""Sending outbox email.

The outbox row (portal.mail.OutboundEmail) is the source of truth, not the queue: a message whose job was never
queued (Redis down after the commit) or whose worker died is still `queued` in the outbox, and is sent by
`send_waiting_email` (queued as soon as Redis takes jobs again, and every minute by the scheduler) or by the
ten-minute sweep. Each message is claimed before it is sent (portal.mail._claim), so it goes out at most once
from these paths; see docs/reliability.md for the one window where a message can go twice (same Message-ID).
"""
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
    except (OSError, smtplib.SMTPException) as error:  # before the server accepted it: the claim is still open
        message.last_error = f"{type(error).__name__}: {error}"
        message.status = EmailStatus.FAILED if message.attempts >= MAX_ATTEMPTS else EmailStatus.QUEUED
        commit()
        raise
    commit()


STALLED_AFTER_MINUTES = 10
WAITING_AFTER_SECONDS = 60
SWEEP_BATCH = 500


def _send_each(email_ids) -> int:
    sent = 0
    for email_id in email_ids:
        try:
            send_email(email_id)
        except (OSError, smtplib.SMTPException):
            continue  # recorded on the message by send_email; the next sweep tries again
        sent += 1
    return sent


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
    return _send_each(stalled)


@job(queue="email", timeout=600)
def send_waiting_email(min_age_seconds: int = WAITING_AFTER_SECONDS) -> int:
    """Send every message never tried yet and written at least `min_age_seconds` ago; returns how many went out.

    Such a message's own job was never queued (Redis was down when its transaction committed) or is stuck
    behind a long queue; either way the claim makes sending it here safe (at most once). Queued by `portal.background`
    (with no minimum age) as soon as Redis takes jobs again after a failed enqueue, and every minute by the
    scheduler, so mail written during an outage goes out within a minute of Redis coming back.
    """
    from datetime import timedelta

    from sqlalchemy import select

    from portal.db import utcnow
    from portal.extensions import db
    from portal.mail import EmailStatus, OutboundEmail

    cutoff = utcnow() - timedelta(seconds=min_age_seconds)
    waiting = db.session.execute(
        select(OutboundEmail.id).where(OutboundEmail.status == EmailStatus.QUEUED, OutboundEmail.attempts == 0,
                                       OutboundEmail.created_at <= cutoff)
        .order_by(OutboundEmail.id).limit(SWEEP_BATCH)).scalars().all()
    return _send_each(waiting)


send_email.catch_up = (send_waiting_email, (0,))  # queued (with no minimum age) once Redis is back


@job(queue="email", timeout=60)
def send_password_reset(email: str) -> None:
    """A forgotten password: the link goes out from here, so the request itself does the same work for every
    address (portal.auth.services.request_password_reset)."""
    from portal.auth.services import email_password_link

    email_password_link(email)
