"""Invoicing through a real Redis queue and real RQ workers: in-process SimpleWorker and an `rq worker` process."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.extensions import db
from portal.invoicing.models import Invoice, JobRun, RunStatus
from portal.mail import EmailStatus, OutboundEmail
from tests import services
from tests.conftest import quality_contact_of
from tests.invoicing.conftest import london

REDIS = {"REDIS_URL": services.REDIS_URL}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis():
    return services.redis_or_fail()


@pytest.mark.parametrize("app_overrides", [REDIS], ids=["redis"])
def test_enqueue_worker_runs_invoice_exists_then_same_run_again_adds_nothing(
        redis, app, fees, centre, make_learner, submit, make_admin, mailbox):
    """Week of Monday 2 March 2026: two resubmissions at £44.99 = £89.98; VAT 17.5% = 15.7465 → £15.75;
    total £105.73. The invoice email goes to the Quality contact and to finance, once, after commit."""
    from rq import Queue, SimpleWorker

    from jobs.invoicing import run_invoicing

    finance = make_admin(Role.FINANCE.value)
    centre_quality_contact_email = quality_contact_of(centre).email
    learner = make_learner(centre)
    submit(learner, 2, london(2026, 3, 3, 9))
    submit(learner, 3, london(2026, 3, 6, 9))
    invoicing, email = Queue("invoicing", connection=redis), Queue("email", connection=redis)

    for _ in range(2):
        job = invoicing.enqueue(run_invoicing, "2026-03-11", job_timeout=run_invoicing.timeout)
        assert SimpleWorker([invoicing, email], connection=redis).work(burst=True)
        assert job.get_status(refresh=True) == "finished"

    db.session.expire_all()
    [invoice] = db.session.execute(select(Invoice)).unique().scalars().all()
    assert (invoice.subtotal_pence, invoice.vat_pence, invoice.total_pence) == (8998, 1575, 10573)
    assert [line.number for line in invoice.lines] == [2, 3]
    runs = db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().all()
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
    assert "nothing to invoice" in runs[1].summary
    rows = db.session.execute(select(OutboundEmail).where(OutboundEmail.subject.contains(invoice.reference))).scalars()
    qc_email = centre_quality_contact_email
    assert sorted((r.to, r.status) for r in rows) == sorted([(finance.email, EmailStatus.SENT),
                                                             (qc_email, EmailStatus.SENT)])
    assert len([m for m in mailbox.messages if invoice.reference in m["Subject"]]) == 2
    assert email.count == 0 and invoicing.count == 0


@pytest.mark.parametrize("app_overrides", [REDIS], ids=["redis"])
def test_an_rq_worker_process_invoices(redis, app, database_url, fees, centre, other_centre, make_learner, submit):
    """`rq worker --burst -w jobs.worker.PortalWorker` as a separate process, twice on the same week."""
    from rq import Queue

    submit(make_learner(centre), 2, london(2026, 4, 14, 9))
    submit(make_learner(other_centre), 2, london(2026, 4, 15, 9))
    queue = Queue("invoicing", connection=redis)
    queue.enqueue("jobs.invoicing.run_invoicing", "2026-04-22")
    queue.enqueue("jobs.invoicing.run_invoicing", "2026-04-22")
    centre_ids = sorted([centre.id, other_centre.id])
    db.session.remove()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-worker", "PORTAL_ENV": "development",
           "REDIS_URL": services.REDIS_URL, "MAIL_SERVER": ""}
    rq = str(Path(sys.executable).parent / "rq")
    result = subprocess.run([rq, "worker", "--burst", "-w", "jobs.worker.PortalWorker", "--url", services.REDIS_URL,
                             "invoicing"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    found = db.session.execute(select(Invoice).order_by(Invoice.number)).unique().scalars().all()
    assert sorted(i.centre_id for i in found) == centre_ids
    assert [i.number for i in found] == [1, 2]
    assert all(i.week_start == date(2026, 4, 13) for i in found)
