"""Mail still queued ten minutes after it was written is sent again by the sweep (SPEC §7: outgoing email with
retries), once per message, until it is sent or has used its attempts."""
from datetime import timedelta

import pytest

from jobs.email import MAX_ATTEMPTS, resend_stalled_email
from portal.db import utcnow
from portal.extensions import db
from portal.mail import EmailStatus, OutboundEmail
from tests.conftest import free_port


def queued(to: str, *, minutes_old: int, status: EmailStatus = EmailStatus.QUEUED, attempts: int = 1):
    message = OutboundEmail(to=to, subject="Waiting", body="Hello.\n", status=status, attempts=attempts,
                            created_at=utcnow() - timedelta(minutes=minutes_old))
    db.session.add(message)
    db.session.commit()
    return message


def test_the_sweep_sends_stalled_mail_and_leaves_the_rest(app, mailbox):
    stalled = queued("stalled@example.org", minutes_old=11)
    recent = queued("recent@example.org", minutes_old=2)
    failed = queued("failed@example.org", minutes_old=60, status=EmailStatus.FAILED, attempts=MAX_ATTEMPTS)
    assert resend_stalled_email() == 1
    assert [m["To"] for m in mailbox.messages] == ["stalled@example.org"]
    statuses = {m.to: m.status for m in db.session.query(OutboundEmail)}
    assert statuses == {stalled.to: EmailStatus.SENT, recent.to: EmailStatus.QUEUED, failed.to: EmailStatus.FAILED}
    assert resend_stalled_email() == 0  # nothing twice
    assert len(mailbox.messages) == 1


@pytest.mark.parametrize("app_overrides", [{"MAIL_PORT": free_port()}], ids=["smtp-down"])
def test_a_message_that_keeps_failing_ends_failed_after_its_attempts(app):
    message = queued("never@example.org", minutes_old=30)
    for _ in range(MAX_ATTEMPTS):
        assert resend_stalled_email() == 0
    db.session.refresh(message)
    assert message.status is EmailStatus.FAILED and message.attempts == MAX_ATTEMPTS
    assert "ConnectionRefusedError" in message.last_error
    resend_stalled_email()
    db.session.refresh(message)
    assert message.attempts == MAX_ATTEMPTS  # failed mail is left for an admin to read in the outbox
