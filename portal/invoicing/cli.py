"""`flask --app wsgi invoices run [--as-of YYYY-MM-DD]`: the invoicing run by hand, printing what it did."""
from __future__ import annotations

from datetime import date, datetime

import click


@click.group("invoices")
def invoices_cli() -> None:
    """Weekly invoices."""


@invoices_cli.command("run")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as on this London date (default today): invoices every week due by then.")
def run(as_of: datetime | None) -> None:
    """Invoice every complete week not yet invoiced (catch-up included), as the scheduled job does."""
    from portal.db import utcnow
    from portal.invoicing.models import RunStatus
    from portal.invoicing.runs import run_invoicing_recorded
    from portal.invoicing.services import check_as_of
    from portal.rules import Refused
    from portal.workdays import london_date

    day: date = as_of.date() if as_of else london_date(utcnow())
    try:
        check_as_of(day)  # refused before any run is recorded: nothing to re-run, nothing "succeeded"
    except Refused as refused:
        raise click.ClickException(refused.message) from None
    job_run, lines = run_invoicing_recorded(day)
    for line in lines:
        click.echo(line)
    click.echo(f"Run {job_run.id}: {job_run.status.value}")
    if job_run.status is RunStatus.FAILED:
        raise SystemExit(1)
