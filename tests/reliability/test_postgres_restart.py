"""PostgreSQL restarted under load (issue 10 §1, docs/reliability.md): learners keep posting complaints while every
connection to the database is terminated again and again (pg_terminate_backend on this module's OWN database,
as a restart does to its clients). What the portal promises: a complaint it confirmed (its receipt, 200) is saved,
whole; nothing is half-saved; once PostgreSQL answers again the next request works, with no restart of the portal.

Runs in both passes: the module makes its own PostgreSQL database whatever TEST_DATABASE says.
"""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import select

from portal.extensions import db
from tenants.complaints.models import Complaint, ComplaintStage, TrackingLink
from tests import services
from tests.complaints.conftest import COMPLAINT_FORM

LEARNERS, EACH = 4, 8
RESTARTS = 3  # each one drops every connection, busy or idle, as a restart does


@pytest.fixture(scope="module")
def database_url():
    url, _ = services.migrated_postgres_database()  # the application's role, under row-level security
    yield url
    services.drop_postgres_database(url)


def terminate_every_connection(url: str) -> int:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall())


def test_postgresql_restarted_under_load_loses_no_confirmed_complaint(app, policy_centre, database_url):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a failed request is an error page, as in production
    slug, answers, lock = policy_centre.slug, {}, threading.Lock()

    def learner(n: int) -> None:
        client = app.test_client()
        for i in range(EACH):
            email = f"learner{n}-{i}@example.org"
            response = client.post(f"/c/{slug}/complaints/new", data={**COMPLAINT_FORM, "email": email},
                                   environ_base={"REMOTE_ADDR": f"10.0.{n}.{i}"})
            with lock:
                answers[email] = response.status_code

    db.session.remove()
    threads = [threading.Thread(target=learner, args=(n,)) for n in range(LEARNERS)]
    for thread in threads:
        thread.start()
    terminated, restarts = 0, 0
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.15)
        if restarts < RESTARTS:
            terminated += terminate_every_connection(database_url)
            restarts += 1
    for thread in threads:
        thread.join()

    assert terminated > 0
    assert len(answers) == LEARNERS * EACH
    assert set(answers.values()) <= {200, 500}, answers
    saved = {c.complainant_email: c for c in db.session.execute(select(Complaint)).scalars()}
    confirmed = {email for email, status in answers.items() if status == 200}
    assert confirmed <= saved.keys()  # every complaint the learner was told about is there
    for complaint in saved.values():  # and whole: its stage and its private link were saved with it
        assert complaint.reference
        assert db.session.execute(select(ComplaintStage).where(ComplaintStage.complaint_id == complaint.id)).first()
        assert db.session.execute(select(TrackingLink).where(TrackingLink.complaint_id == complaint.id)).first()

    after = app.test_client().post(f"/c/{slug}/complaints/new", data={**COMPLAINT_FORM, "email": "after@example.org"},
                                   environ_base={"REMOTE_ADDR": "10.1.0.1"})
    assert after.status_code == 200  # PostgreSQL is back: no restart of the portal needed (pool_pre_ping)


def test_a_connection_lost_at_the_end_of_a_request_does_not_crash_the_answer(app, client, monkeypatch, caplog):
    """Seen in CI: PostgreSQL terminated the connection between the answer and the session's clean-up, whose
    rollback then raised out of the app (the person got a crash instead of the page already made)."""
    from sqlalchemy import exc

    real_remove, calls = db.session.remove, []

    def remove_on_a_dead_connection():
        calls.append(1)
        if len(calls) == 1:
            raise exc.OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))
        real_remove()

    monkeypatch.setattr(db.session, "remove", remove_on_a_dead_connection)
    response = client.get("/")
    assert response.status_code == 200
    assert "database connection lost at the end of a request: dropped" in caplog.text
