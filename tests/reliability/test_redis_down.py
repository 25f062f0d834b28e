"""Redis down (issue 10 §1): a learner never loses a complaint, an application or a sign-in because of it.

Each test starts a redis-server of its own (tests.services.PrivateRedis) and kills it with SIGKILL; the shared
Redis at 6379 is never touched.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.db import utcnow
from portal.extensions import db, limiter
from portal.mail import EmailStatus, OutboundEmail
from tenants.complaints.models import Complaint, Exhausted
from tests.complaints.conftest import COMPLAINT_FORM
from tests.conftest import PASSWORD, quality_contact_of
from tests.test_centres import APPLICATION


@pytest.fixture(autouse=True)
def _limiter_starts_healthy():
    """The limiter is one object for every app of the test run: forget that a previous test's Redis died."""
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


def complaints() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(Complaint)).scalar_one()


# --- the rate limiter keeps its counters in Redis ------------------------------------------------------------

LIMITER_IN_REDIS = pytest.mark.parametrize("app_overrides", ["limiter-in-redis"], indirect=True)


@pytest.fixture
def app_overrides(request, private_redis):
    if request.param == "limiter-in-redis":
        return {"RATELIMIT_STORAGE_URI": private_redis.url}
    return {"REDIS_URL": private_redis.url}  # "queue-in-redis": jobs go to Redis, the limiter counts in memory


def _post_form(kind, client, centre):
    """POST one of the forms a person must never lose; returns (response, saved?)."""
    if kind in ("complaint", "malpractice", "result-dispute"):
        path = {"complaint": "new"}.get(kind, kind)
        data = COMPLAINT_FORM if kind == "complaint" else {
            "name": "Sam Smith", "email": "sam@example.org", "summary": "Answers were shared", "hp_contact": ""}
        response = client.post(f"/c/{centre.slug}/complaints/{path}", data=data)
        return response, complaints() == 1
    if kind == "application":
        from tenants.models import Centre

        response = client.post("/apply", data=APPLICATION)
        saved = db.session.execute(select(Centre).where(Centre.name == APPLICATION["name"])).scalar() is not None
        return response, saved
    if kind == "sign-in":
        response = client.post("/sign-in", data={"email": quality_contact_of(centre).email, "password": PASSWORD})
        return response, client.get(f"/c/{centre.slug}/staff/").status_code == 200
    raise AssertionError(kind)


@LIMITER_IN_REDIS
@pytest.mark.parametrize("kind", ["complaint", "malpractice", "result-dispute", "application", "sign-in"])
def test_with_the_limiter_store_down_the_form_is_saved_and_the_fallback_logged(
        private_redis, app, client, policy_centre, caplog, kind):
    assert private_redis.client().ping()
    private_redis.kill()
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        response, saved = _post_form(kind, client, policy_centre)
    # A learner's report and an application are answered with their receipt page; a sign-in goes on (303).
    assert response.status_code == (303 if kind == "sign-in" else 200), response.get_data(as_text=True)[:500]
    assert saved
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text


@LIMITER_IN_REDIS
def test_with_the_limiter_store_down_an_escalation_is_saved(private_redis, app, client, policy_centre, complain):
    complaint, token = complain(policy_centre)  # made while Redis answers
    complaint.current_stage.respond_due = utcnow() - timedelta(minutes=1)
    db.session.commit()
    private_redis.kill()
    response = client.post(f"/c/{policy_centre.slug}/complaints/track/{token}/escalate")
    assert response.status_code == 303
    db.session.expire_all()
    assert complaint.exhausted_reason is Exhausted.DEADLINE_MISSED


@LIMITER_IN_REDIS
def test_the_fallback_still_limits(private_redis, app, client, policy_centre):
    """Failing open is not failing wide open: the in-process counts still refuse the 11th complaint in an hour."""
    private_redis.kill()
    statuses = [client.post(f"/c/{policy_centre.slug}/complaints/new", data=COMPLAINT_FORM).status_code
                for _ in range(11)]
    assert statuses == [200] * 10 + [429]  # each answered with its receipt, then refused


# --- the queue is down after the commit -----------------------------------------------------------------------

QUEUE_IN_REDIS = pytest.mark.parametrize("app_overrides", ["queue-in-redis"], indirect=True)


def outbox() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboundEmail).order_by(OutboundEmail.id)).scalars())


@QUEUE_IN_REDIS
def test_queue_down_after_commit_the_complaint_stands_and_its_email_goes_once_when_redis_returns(
        private_redis, app, client, policy_centre, mailbox, caplog):
    from rq import Queue, SimpleWorker

    from jobs.email import resend_stalled_email, send_waiting_email

    assert not app.config["JOBS_INLINE"]
    private_redis.client().flushdb()  # the centre's approval emails were queued there: not this test's subject
    before = {m.id for m in outbox()}
    private_redis.kill()
    with caplog.at_level(logging.ERROR, logger="portal.background"):
        response = client.post(f"/c/{policy_centre.slug}/complaints/new", data=COMPLAINT_FORM)
    # The learner sees their receipt, not a 500 that makes them submit again.
    assert response.status_code == 200
    assert "C-" in response.get_data(as_text=True) and "complaint" in response.get_data(as_text=True).lower()
    assert complaints() == 1
    written = [m for m in outbox() if m.id not in before]
    assert written and all(m.status is EmailStatus.QUEUED and m.attempts == 0 for m in written)
    assert "could not queue job send_email" in caplog.text
    mailbox.clear()

    private_redis.start()  # Redis returns; the next commit in this process queues the catch-up at once
    staff = app.test_client()
    assert staff.post("/sign-in", data={"email": quality_contact_of(policy_centre).email,
                                        "password": PASSWORD}).status_code == 303
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert staff.post(f"/c/{policy_centre.slug}/cases/{complaint.id}/acknowledge").status_code == 303
    queue = Queue("email", connection=private_redis.client())
    assert "jobs.email.send_waiting_email" in [job.func_name for job in queue.jobs]
    assert SimpleWorker([queue], connection=private_redis.client()).work(burst=True)

    rows = {m.id: m for m in outbox()}
    assert all(rows[m.id].status is EmailStatus.SENT for m in written)
    ids = [message["Message-ID"] for message in mailbox.messages]
    assert len(ids) == len(set(ids))  # each message once
    assert {rows[m.id].message_id for m in written} <= set(ids)
    # Nothing goes twice later: not from the sweeps, not from a second catch-up.
    sent = len(mailbox.messages)
    assert send_waiting_email(0) == 0 and resend_stalled_email() == 0
    assert len(mailbox.messages) == sent
