"""Submissions for the awarding body's tests, made directly (the centre's upload is tested in its own package).

Clocks are set as the upload sets them: 5 and 25 working days (the centre's nation) from the upload.
"""
from __future__ import annotations

import io
from datetime import datetime
from itertools import count

from flask import current_app

from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.db import utcnow
from portal.extensions import db
from portal.workdays import deadline
from tenants.learners.models import Learner
from tenants.submissions import storage
from tenants.submissions.models import Authenticity, FileKind, Submission, SubmissionFile, SubmissionStatus
from tests.documents.builders import docx_bytes, p

_serial = count(1)


def make_unit(code: str | None = None) -> Unit:
    unit = Unit(code=code or f"T-ASMT-{next(_serial):04d}", title="Leading a team", level=5,
                pathway=Pathway.LEADERSHIP_MANAGEMENT, limit_rule=LimitRule.WORDS_5000)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_learner(centre, *, first: str = "Sam", last: str = "Smith", enr: str | None = None) -> Learner:
    learner = Learner(centre_id=centre.id, first_name=first, last_name=last,
                      enrolment_number=enr or f"ENR{next(_serial):04d}", email="sam.smith@learner.example")
    db.session.add(learner)
    db.session.flush()
    return learner


def store_file(submission: Submission, data: bytes, kind: FileKind = FileKind.ASSESSMENT,
               download_name: str = "S.Smith-ENR(1).docx") -> SubmissionFile:
    saved = storage.store(io.BytesIO(data), current_app.config["UPLOAD_DIR"], ".docx")
    stored = SubmissionFile(centre_id=submission.centre_id, submission_id=submission.id, kind=kind,
                            original_name="my essay final FINAL.docx", download_name=download_name,
                            stored_name=saved.stored_name, sha256=saved.sha256, size=saved.size,
                            content_type=saved.content_type)
    db.session.add(stored)
    return stored


def make_submission(centre, *, status: SubmissionStatus = SubmissionStatus.AWAITING_QC, learner=None, unit=None,
                    number: int = 1, uploaded_at: datetime | None = None, with_file: bool = True,
                    word_count: int = 3120, **values) -> Submission:
    """A current submission of `centre` in `status`, uploaded at `uploaded_at` (now) with its clocks started."""
    uploaded_at = uploaded_at or utcnow()
    learner = learner or make_learner(centre)
    unit = unit or make_unit()
    submission = Submission(
        centre_id=centre.id, learner_id=learner.id, unit_id=unit.id, number=number, status=status,
        uploaded_at=uploaded_at, authenticity=Authenticity.SEPARATE_SHEET, word_count=word_count,
        word_count_detail={"total": word_count, "body": word_count - 120, "tables": 100, "footnotes": 20,
                           "endnotes": 0, "textboxes": 0, "headers_footers": 12, "comments": 4, "deleted": 0,
                           "by_colour": {"black": word_count}},
        word_limit=unit.word_limit, clock_started_at=uploaded_at,
        qc_due=deadline(uploaded_at, 5, centre.nation), sla_due=deadline(uploaded_at, 25, centre.nation), **values)
    db.session.add(submission)
    db.session.flush()
    if with_file:
        store_file(submission, docx_bytes(p("My assessment of leading a team.")))
    db.session.commit()
    return submission


def route_records(centre) -> dict:
    """For tests/test_admin_roles.py: a released submission (so every empty POST on it is refused and changes
    nothing) and its stored file."""
    now = utcnow()
    submission = make_submission(centre, status=SubmissionStatus.RELEASED, qc_decided_at=now, marked_at=now,
                                 released_at=now)
    return {"submission": submission, "submission_file": submission.files[0]}
