"""The weekly invoicing job (SPEC §7). Scheduled daily at 06:00 London (jobs/schedule.py): on a Wednesday it
invoices last week, after a bank holiday or an outage it catches up; on other days it finds nothing new.
Safe to run twice, or twice at once: exactly-once is held by the database (portal/invoicing/services.py)."""
from __future__ import annotations

from jobs import job


@job(queue="invoicing", timeout=1800, retries=2)
def run_invoicing(as_of: str | None = None, rerun_of: int | None = None) -> str:
    """Invoice every due week up to `as_of` (YYYY-MM-DD, London; today by default). Raises if a centre failed."""
    from datetime import date

    from portal.db import utcnow
    from portal.invoicing.models import RunStatus
    from portal.invoicing.runs import RunFailed, run_invoicing_recorded
    from portal.workdays import london_date

    day = date.fromisoformat(as_of) if as_of else london_date(utcnow())
    run, _ = run_invoicing_recorded(day, rerun_of)
    if run.status is RunStatus.FAILED:
        raise RunFailed(f"invoicing run {run.id} failed: {run.error}")
    return run.summary
