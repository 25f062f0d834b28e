"""Job records (JobRun): every scheduled or hand-started run leaves a row with its status, summary and error.

A run records its start, then its end. A process killed in between (SIGKILL, out of memory, RQ's own timeout,
the host lost) records no end: once a run is older than its job's timeout plus a margin, it is marked
"abandoned" — when the job page is read, or the next run of any kind starts — with what it actually did
(for invoicing, the invoices carrying its id), and an invoicing run so marked can be re-run like a failed one.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.db import commit, utcnow
from portal.extensions import db
from portal.invoicing.models import Invoice, JobRun, RunStatus

INVOICING = "invoicing"
REMINDERS = "reminders"
POLICY_REVIEWS = "policy_reviews"

# The RQ job timeout of each kind in seconds (jobs/invoicing.py, jobs/reminders.py; a test keeps them equal).
# RQ kills a job's work-horse at its timeout, so a run still "running" after it, plus a margin, has no process.
TIMEOUTS = {INVOICING: 1800, REMINDERS: 600, POLICY_REVIEWS: 600}
ABANDON_MARGIN = timedelta(minutes=5)


def abandon_stale_runs(now: datetime) -> list[JobRun]:
    """Mark runs still "running" past their timeout as abandoned, saying what they did; the caller commits."""
    running = db.session.execute(select(JobRun).where(JobRun.status == RunStatus.RUNNING)).scalars().all()
    stale = [run for run in running
             if run.started_at < now - timedelta(seconds=TIMEOUTS.get(run.kind, max(TIMEOUTS.values())))
             - ABANDON_MARGIN]
    for run in stale:
        minutes = (TIMEOUTS.get(run.kind, max(TIMEOUTS.values())) + ABANDON_MARGIN.seconds) // 60
        run.status, run.finished_at = RunStatus.ABANDONED, now
        run.error = (f"No end was recorded within {minutes} minutes of its start: its process was killed or lost "
                     "(or RQ stopped it at its timeout).")
        if run.kind == INVOICING:
            run.error += " Re-run it: weeks already invoiced are skipped, never invoiced twice."
            run.summary = invoiced_by(run.id)
    return stale


def invoiced_by(run_id: int) -> str:
    """What an invoicing run actually invoiced, from the invoices that carry its id."""
    from portal.invoicing.services import pounds
    from portal.tenancy import ALL_CENTRES

    # A run invoices every centre: its record lists them all (awarding-body page).
    made = db.session.execute(select(Invoice).where(Invoice.job_run_id == run_id).order_by(Invoice.number)
                              .execution_options(**{ALL_CENTRES: True})).unique().scalars().all()
    if not made:
        return "Invoiced nothing before it stopped."
    return "\n".join([f"Invoiced before it stopped ({len(made)}):"] + [
        f"  created {i.reference} for {i.centre.name}, week of {i.week_start.isoformat()}, "
        f"total {pounds(i.total_pence)}" for i in made])


def start_run(kind: str, args: dict, rerun_of: int | None = None) -> JobRun:
    abandon_stale_runs(utcnow())
    run = JobRun(kind=kind, args=args, status=RunStatus.RUNNING, rerun_of_id=rerun_of)
    db.session.add(run)
    commit()
    return run


def finish_run(run_id: int, *, summary: str, error: str = "") -> JobRun:
    db.session.rollback()
    run = db.session.get(JobRun, run_id)
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    run.summary, run.error, run.finished_at = summary, error, utcnow()
    commit()
    return run


class RunFailed(RuntimeError):
    """A recorded run finished with failures (raised so RQ records the job as failed too)."""


def recorded(kind: str, args: dict, work: Callable[[int], tuple[str, str]], rerun_of: int | None = None) -> JobRun:
    """Run `work(run_id) -> (summary, error)` under a JobRun record; an exception is recorded, not lost."""
    run_id = start_run(kind, args, rerun_of).id
    try:
        summary, error = work(run_id)
    except Exception as exc:
        db.session.rollback()
        finish_run(run_id, summary="", error="".join(traceback.format_exception_only(exc)).strip())
        raise
    return finish_run(run_id, summary=summary, error=error)


def run_invoicing_recorded(as_of: date, rerun_of: int | None = None) -> tuple[JobRun, list[str]]:
    """The invoicing run with its JobRun record; returns the record and the report's lines."""
    from portal.invoicing.services import run_invoicing

    printed: list[str] = []

    def work(run_id: int) -> tuple[str, str]:
        report = run_invoicing(as_of, job_run_id=run_id)
        printed.extend(report.lines())
        error = "\n".join(f"centre {c}, week of {w.isoformat()}: {e}" for c, w, e in report.failures)
        return "\n".join(report.lines()), error

    run = recorded(INVOICING, {"as_of": as_of.isoformat()}, work, rerun_of)
    return run, printed


RECENT_RUNS = 50  # the jobs page lists this many runs, and their failures


def recent_runs(limit: int = RECENT_RUNS) -> list[JobRun]:
    return list(db.session.execute(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
                                   .limit(limit)).scalars())


def failed_runs_section(user, now: datetime) -> list:
    """The awarding body's overview: failed or abandoned runs among the recent ones the jobs page lists (its
    "Failed and abandoned runs"), for the people who may open that page. One statement."""
    from flask import url_for

    from portal.auth.models import Role
    from portal.figures import Figure, count_of
    from tenants.overview import Section

    if not user.has_role(Role.PLATFORM_ADMIN, Role.FINANCE):
        return []
    recent = select(JobRun.id).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(RECENT_RUNS).subquery()
    failed = select(JobRun).where(JobRun.id.in_(select(recent.c.id)),
                                  JobRun.status.in_([s for s in RunStatus if s.can_rerun]))
    count = db.session.execute(count_of(failed, JobRun.id)).scalar_one()
    return [Section("Scheduled jobs", [Figure("Failed or abandoned job runs", count, url_for("admin_invoicing.jobs"),
                                              state="overdue")])]
