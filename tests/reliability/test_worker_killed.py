"""A worker killed while sending email (issue 10 §1): a real `rq worker` process, SIGKILLed by the SMTP server.

The SMTP server of these tests kills the worker's whole process group (the worker and its work-horse) at a
chosen moment of the conversation, as a host that dies would. Then the sweep runs, as the scheduler would.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.email import resend_stalled_email
from portal.db import commit, utcnow
from portal.extensions import db
from portal.mail import EmailStatus, OutboundEmail, queue_email
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def process_with_local_port(port: int) -> int:
    """The pid holding the TCP socket whose local port is `port` (Linux /proc): the SMTP client's process."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                return int(pid)
    raise LookupError(f"no process has local port {port}")


def wait_dead(pid: int) -> None:
    """Until `pid` has exited (gone, or a zombie nobody has reaped yet)."""
    for _ in range(600):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise TimeoutError(f"process {pid} is still alive")


class KillingMailbox:
    """An SMTP sink that SIGKILLs the sending work-horse, then its `rq worker`, once, on the command `kill_on`.

    RQ puts each work-horse in a session of its own, so killing the worker's process group would leave the horse
    running: the horse is found by the client end of this very SMTP connection.
    """

    def __init__(self, kill_on: str):
        self.kill_on = kill_on
        self.worker: subprocess.Popen | None = None
        self.killed = threading.Event()
        self.messages: list = []

    def _kill(self, session) -> None:
        if self.worker is None or self.killed.is_set():
            return
        horse = process_with_local_port(session.peer[1])
        assert horse != os.getpid()
        os.kill(horse, signal.SIGKILL)
        wait_dead(horse)
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=30)
        self.killed.set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook names
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        if self.kill_on == "DATA":
            self._kill(session)  # the server has the message; the client never hears "250"
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        if self.kill_on == "QUIT":
            self._kill(session)  # the client heard "250" to DATA and is saying goodbye
        return "221 Bye"


@pytest.fixture
def killing_smtp(request):
    from aiosmtpd.controller import Controller

    mailbox = KillingMailbox(request.param)
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def app_overrides(private_redis, killing_smtp):
    _, port = killing_smtp
    return {"REDIS_URL": private_redis.url, "MAIL_PORT": port}


def start_worker(database_url: str, redis_url: str, smtp_port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-worker", "PORTAL_ENV": "development",
           "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port)}
    rq = str(Path(sys.executable).parent / "rq")
    return subprocess.Popen([rq, "worker", "--burst", "-w", "jobs.worker.PortalWorker", "--url", redis_url, "email"],
                            cwd=ROOT, env=env, start_new_session=True,  # its own group: the horse dies with it
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def queue_one_message() -> OutboundEmail:
    message = queue_email("learner@example.org", "Your complaint C-200001-000001", "We have your complaint.\n")
    message.created_at = utcnow() - timedelta(minutes=11)  # old enough for the sweep, once the worker is gone
    commit()  # queued on the private Redis
    return message


def kill_worker_while_sending(killing_smtp, database_url, private_redis) -> KillingMailbox:
    mailbox, port = killing_smtp
    db.session.remove()  # the worker must see the committed row; SQLite must not be held by this process
    mailbox.worker = start_worker(database_url, private_redis.url, port)
    assert mailbox.killed.wait(timeout=60), "the worker never reached the SMTP server"
    assert mailbox.worker.returncode == -signal.SIGKILL
    return mailbox


@pytest.mark.parametrize("killing_smtp", ["QUIT"], indirect=True)
def test_a_worker_killed_after_the_server_accepted_the_message_does_not_send_it_again(
        app, database_url, private_redis, killing_smtp):
    message_id = queue_one_message().id
    mailbox = kill_worker_while_sending(killing_smtp, database_url, private_redis)

    resend_stalled_email()  # the sweep after the outage
    assert len(mailbox.messages) == 1
    row = db.session.execute(select(OutboundEmail).where(OutboundEmail.id == message_id)).scalar_one()
    assert row.status is EmailStatus.SENT and row.attempts == 1
    assert mailbox.messages[0]["Message-ID"] == row.message_id


@pytest.mark.parametrize("killing_smtp", ["DATA"], indirect=True)
def test_killed_before_the_send_is_recorded_the_retry_is_the_same_message(
        app, database_url, private_redis, killing_smtp):
    """The remaining at-least-once window (docs/reliability.md): a second copy, with the same Message-ID."""
    written = queue_one_message()
    message_id, stable_id = written.id, written.message_id
    assert stable_id  # given when the message was written, before any attempt
    mailbox = kill_worker_while_sending(killing_smtp, database_url, private_redis)

    resend_stalled_email()
    row = db.session.execute(select(OutboundEmail).where(OutboundEmail.id == message_id)).scalar_one()
    assert row.status is EmailStatus.SENT
    assert [m["Message-ID"] for m in mailbox.messages] == [stable_id, stable_id]
