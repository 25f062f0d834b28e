"""Job records (JobRun): every scheduled or hand-started run leaves a row with its status, summary and error."""
from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from portal.db import commit, utcnow
from portal.extensions import db
from portal.invoicing.models import JobRun, RunStatus

INVOICING = "invoicing"
REMINDERS = "reminders"
POLICY_REVIEWS = "policy_reviews"


def start_run(kind: str, args: dict, rerun_of: int | None = None) -> JobRun:
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


def recent_runs(limit: int = 50) -> list[JobRun]:
    return list(db.session.execute(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
                                   .limit(limit)).scalars())
