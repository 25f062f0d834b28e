"""Factories for invoicing tests: fee schedules, learners, units and submissions made straight in the database."""
from __future__ import annotations

from datetime import date, datetime
from itertools import count

import pytest

from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.extensions import db
from portal.fees import FeeSchedule
from portal.workdays import LONDON
from tenants.learners.models import Learner
from tenants.submissions.models import Authenticity, Submission, SubmissionStatus

_n = count(1)


def london(*parts) -> datetime:
    """An aware datetime from London wall-clock parts."""
    return datetime(*parts, tzinfo=LONDON)


@pytest.fixture
def fees(app):
    """£44.99 a resubmission, VAT 17.5% — odd numbers so rounding shows."""
    schedule = FeeSchedule(effective_from=date(2020, 1, 1), resubmission_fee_pence=4499, vat_rate_bp=1750)
    db.session.add(schedule)
    db.session.commit()
    return schedule


@pytest.fixture
def unit(app):
    n = next(_n)
    unit = Unit(code=f"U{n:03d}", title=f"Unit {n}", pathway=Pathway.LEADERSHIP_MANAGEMENT, level=5,
                limit_rule=LimitRule.WORDS_8000)
    db.session.add(unit)
    db.session.commit()
    return unit


@pytest.fixture
def make_learner(app):
    def make(centre, first: str = "Sam", last: str = "Smith") -> Learner:
        learner = Learner(centre_id=centre.id, first_name=first, last_name=last,
                          enrolment_number=f"ENR{next(_n):04d}")
        db.session.add(learner)
        db.session.commit()
        return learner

    return make


@pytest.fixture
def submit(app, unit):
    """submit(learner, number, uploaded_at, **fields) -> a Submission row.

    As the upload service does, a row that is not held or withdrawn entered the quality-check queue
    (`clock_started_at`) at its upload, or when its excess fee was accepted; pass clock_started_at to say otherwise.
    """

    def make(learner, number: int, uploaded_at: datetime, *, unit_row=None, **fields) -> Submission:
        status = fields.pop("status", SubmissionStatus.AWAITING_QC)
        if "clock_started_at" not in fields and status not in (SubmissionStatus.HELD, SubmissionStatus.WITHDRAWN):
            fields["clock_started_at"] = fields.get("excess_fee_accepted_at") or uploaded_at
        submission = Submission(centre_id=learner.centre_id, learner_id=learner.id, unit_id=(unit_row or unit).id,
                                number=number, uploaded_at=uploaded_at, authenticity=Authenticity.NOT_NEEDED,
                                status=status, **fields)
        db.session.add(submission)
        db.session.commit()
        return submission

    return make
