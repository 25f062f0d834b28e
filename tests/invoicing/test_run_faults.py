"""Invoicing runs under faults (issue 10 §1): a run killed half-way, and a run whose emails cannot be queued.

Real faults: an `rq worker` process whose work-horse is SIGKILLed while it invoices, and a redis-server of the
test's own killed before the run (tests.services.PrivateRedis; the shared Redis is never touched).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.invoicing import runs
from portal.invoicing.models import Invoice, JobRun, RunStatus
from portal.invoicing.runs import run_invoicing_recorded
from portal.mail import EmailStatus, OutboundEmail
from tests.conftest import Auth
from tests.invoicing.conftest import london

ROOT = Path(__file__).resolve().parents[2]
WEEKS = 8  # weeks of 6 July to 24 August 2026, all due by Wednesday 2 September


@pytest.fixture
def app_overrides(private_redis):
    return {"REDIS_URL": private_redis.url}


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.execute(select(Invoice).order_by(Invoice.number)).unique().scalars())


def the_run() -> JobRun:
    db.session.expire_all()
    return db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().first()


def resubmissions(make_centre, make_learner, submit, centres: int) -> list:
    """`centres` centres, each with one resubmission in each of WEEKS weeks: centres × WEEKS invoices due."""
    made = [make_centre() for _ in range(centres)]
    for centre in made:
        for week in range(WEEKS):
            submit(make_learner(centre), 2, london(2026, 7, 7, 9) + timedelta(weeks=week))
    return made


def children_of(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def test_a_killed_run_becomes_abandoned_saying_what_it_invoiced_and_can_be_rerun(
        app, database_url, private_redis, fees, make_centre, make_learner, submit, make_admin):
    from rq import Queue, SimpleWorker

    centres = resubmissions(make_centre, make_learner, submit, centres=5)
    due = len(centres) * WEEKS
    queue = Queue("invoicing", connection=private_redis.client())
    queue.enqueue("jobs.invoicing.run_invoicing", "2026-09-02", job_timeout=1800)
    db.session.remove()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-worker", "PORTAL_ENV": "development",
           "REDIS_URL": private_redis.url, "MAIL_SERVER": ""}
    rq = str(Path(sys.executable).parent / "rq")
    worker = subprocess.Popen([rq, "worker", "--burst", "-w", "jobs.worker.PortalWorker", "--url", private_redis.url,
                               "invoicing"], cwd=ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not invoices():  # the work-horse is invoicing: kill it after its first invoice
            assert time.monotonic() < deadline and worker.poll() is None, "the worker never invoiced"
            time.sleep(0.01)
        for horse in children_of(worker.pid):
            os.kill(horse, signal.SIGKILL)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    made = invoices()
    assert 0 < len(made) < due, "the kill must land half-way through the run"
    run = the_run()
    assert run.status is RunStatus.RUNNING and run.finished_at is None

    client = app.test_client()
    assert Auth(client).sign_in(make_admin("finance")).status_code == 303
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert f"Re-run invoicing run {run.id}" not in page  # within its timeout it may still be working

    # The clock moves past the job's 30-minute timeout (and the 5-minute margin): the run has no process.
    run.started_at -= timedelta(minutes=36)
    db.session.commit()
    page = client.get("/admin/jobs").get_data(as_text=True)
    run = the_run()
    assert run.status is RunStatus.ABANDONED and run.finished_at is not None
    assert f"Invoicing run {run.id} abandoned" in page
    assert "No end was recorded within 35 minutes of its start: its process was killed or lost" in run.error
    assert f"Invoiced before it stopped ({len(made)}):" in run.summary
    assert all(f"created {invoice.reference} for {invoice.centre.name}" in run.summary for invoice in made)
    assert f"Re-run invoicing run {run.id}" in page

    response = client.post(f"/admin/jobs/{run.id}/rerun", data={"confirm": "yes"})
    assert response.status_code == 303
    assert f"Invoicing run {run.id} queued again." in client.get("/admin/jobs").get_data(as_text=True)
    assert SimpleWorker([queue], connection=private_redis.client()).work(burst=True)
    rerun = db.session.execute(select(JobRun).where(JobRun.rerun_of_id == run.id)).scalar_one()
    assert rerun.status is RunStatus.SUCCEEDED
    after = invoices()
    assert [i.number for i in after] == list(range(1, due + 1))  # gap-free, none twice
    assert len({(i.centre_id, i.week_start) for i in after}) == due


def test_a_run_whose_emails_cannot_be_queued_is_recorded_as_what_it_did(
        app, private_redis, fees, make_centre, make_learner, submit):
    centres = [make_centre() for _ in range(2)]
    for centre in centres:
        submit(make_learner(centre), 2, london(2026, 7, 7, 9))
    private_redis.kill()  # Redis dies before the run: each invoice commits, then its emails cannot be queued

    run, _ = run_invoicing_recorded(date(2026, 7, 15))
    made = invoices()
    assert sorted(i.centre_id for i in made) == sorted(c.id for c in centres)
    assert run.status is RunStatus.SUCCEEDED and run.error == ""
    assert all(f"created {i.reference}" in run.summary for i in made)
    waiting = db.session.execute(select(func.count()).select_from(OutboundEmail).where(
        OutboundEmail.subject.contains("Invoice INV-"), OutboundEmail.status == EmailStatus.QUEUED)).scalar_one()
    assert waiting >= len(made)  # the outbox holds them for the catch-up once Redis is back


def test_a_rerun_the_queue_refuses_says_so(app, private_redis, make_admin):
    from portal.invoicing.runs import finish_run, start_run

    run = finish_run(start_run("invoicing", {"as_of": "2026-07-15"}).id, summary="", error="centre 1: disk full")
    client = app.test_client()
    assert Auth(client).sign_in(make_admin("platform_admin")).status_code == 303
    private_redis.kill()
    client.post(f"/admin/jobs/{run.id}/rerun", data={"confirm": "yes"})
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert f"Invoicing run {run.id} could not be queued: the job queue is not answering. Nothing was invoiced." in page


def test_the_run_timeouts_are_the_jobs_timeouts():
    from jobs.invoicing import run_invoicing
    from jobs.reminders import send_policy_review_reminders, send_sla_reminders

    jobs = {runs.INVOICING: run_invoicing, runs.REMINDERS: send_sla_reminders,
            runs.POLICY_REVIEWS: send_policy_review_reminders}
    assert {kind: job.timeout for kind, job in jobs.items()} == runs.TIMEOUTS
