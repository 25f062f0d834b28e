"""Data for the overviews' tests: complaints at each clock state, submissions in each queue, invoices, made
directly (the journeys that make them are tested in their own packages)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from portal.db import utcnow
from portal.extensions import db
from portal.invoicing.models import Invoice, JobRun, RunStatus
from portal.workdays import london_date
from tenants.complaints.models import Category, Complaint, Route, Subject
from tenants.complaints.stages import open_awarding_body_stage, open_centre_stage
from tenants.submissions.models import SubmissionStatus
from tests.assessment.factory import make_submission
from tests.complaints.conftest import publish

_serial = count(1)
DAY = timedelta(days=1)
FIGURE = re.compile(r'<a href="(?P<url>[^"]+)"><span class="figure-count">(?P<count>\d+)</span>\s*'
                    r'<span class="figure-label[^"]*">(?P<label>[^<]+)</span>')


@dataclass(frozen=True)
class Shown:
    count: int
    url: str


def figures_on(html: str) -> dict[str, Shown]:
    """label -> (count, link) of every figure on an overview page."""
    return {m["label"].replace("&#39;", "'"): Shown(int(m["count"]), m["url"].replace("&amp;", "&"))
            for m in FIGURE.finditer(html)}


def listed_total(html: str) -> int:
    """The total a filtered list says it holds ("3 complaints", "1 submission")."""
    return int(re.search(r'<p role="status">(\d+) (?:complaint|submission)', html).group(1))


def _complaint(centre, route: Route = Route.CENTRE, *, received_at: datetime) -> Complaint:
    n = next(_serial)
    complaint = Complaint(centre_id=centre.id if centre else None, number=n, reference=f"T-{n:06d}", route=route,
                          complainant_name="Sam Smith", complainant_email="sam@example.org", summary="Late feedback",
                          subject=Subject.CENTRE, category=Category.PROCESS_NOT_FOLLOWED, received_at=received_at)
    db.session.add(complaint)
    return complaint


def centre_complaints(centre, version, now: datetime) -> None:
    """Four open cases: stage 1 new (acknowledgement waiting), stage 1 with both clocks overdue, stage 1 due within
    the day (acknowledged), stage 2 overdue (acknowledged)."""
    long_ago = now - 30 * DAY
    new = _complaint(centre, received_at=now)
    new.policy_version = version
    open_centre_stage(new, 0, at=now)
    late = _complaint(centre, received_at=long_ago)
    late.policy_version = version
    open_centre_stage(late, 0, at=long_ago)
    soon = _complaint(centre, received_at=long_ago)
    soon.policy_version = version
    stage = open_centre_stage(soon, 0, at=long_ago)
    stage.acknowledged_at, stage.extended_due, stage.extended_at = long_ago, now + timedelta(hours=1), long_ago
    second = _complaint(centre, received_at=long_ago)
    second.policy_version = version
    first = open_centre_stage(second, 0, at=long_ago)
    first.acknowledged_at = first.closed_at = first.responded_at = long_ago
    stage = open_centre_stage(second, 1, at=long_ago)
    stage.acknowledged_at = long_ago
    db.session.commit()


def centre_submissions(centre, now: datetime) -> None:
    """Held 1; awaiting QC 2 (1 overdue); waiting for a result 2 (1 overdue); released 2 (1 in the last 30 days)."""
    held = make_submission(centre, status=SubmissionStatus.HELD, with_file=False)
    held.qc_due = held.sla_due = held.clock_started_at = None  # a held submission's clocks have not started
    make_submission(centre, with_file=False)
    make_submission(centre, with_file=False, uploaded_at=now - 30 * DAY)
    make_submission(centre, status=SubmissionStatus.MARKING, with_file=False)
    make_submission(centre, status=SubmissionStatus.MARKED, with_file=False, uploaded_at=now - 60 * DAY)
    make_submission(centre, status=SubmissionStatus.RELEASED, with_file=False, released_at=now - timedelta(hours=1))
    make_submission(centre, status=SubmissionStatus.RELEASED, with_file=False, released_at=now - 40 * DAY)
    db.session.commit()


def invoices(centre, now: datetime, *, weeks_earlier: int = 0) -> None:
    """Unpaid: one within its terms, one past them (£12.00 and £24.00); one paid (`weeks_earlier`: more of them)."""
    today = london_date(now)
    monday = today - timedelta(days=today.weekday())
    for weeks_ago, total, paid in ((1, 1200, None), (8, 2400, None), (12, 600, today)):
        n = next(_serial)
        week = monday - timedelta(weeks=weeks_ago + weeks_earlier)
        db.session.add(Invoice(centre_id=centre.id, week_start=week, number=90000 + n,
                               issue_date=week + timedelta(days=9), subtotal_pence=total, vat_rate_bp=0,
                               vat_pence=0, total_pence=total, paid_on=paid))
    db.session.commit()


def awarding_body_complaints(now: datetime) -> None:
    """Direct cases at customer service: one new (its 24-hour first response due within the day), one overdue."""
    for received in (now, now - 30 * DAY):
        complaint = _complaint(None, Route.DIRECT, received_at=received)
        open_awarding_body_stage(complaint, 0, at=received)
    db.session.commit()


def failed_run() -> None:
    db.session.add(JobRun(kind="invoicing", args={"as_of": date.today().isoformat()}, status=RunStatus.FAILED,
                          finished_at=utcnow(), error="boom"))
    db.session.commit()


@pytest.fixture
def overview_centre(make_centre):
    """A centre with a published three-stage policy."""
    centre = make_centre()
    version = publish(centre)
    return centre, version
