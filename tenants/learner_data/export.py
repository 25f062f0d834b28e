"""A learner's data as one zip: `learner-data.json` (every record the centre holds about them) and their files.

The export shows what the centre itself may see: results only once released, the centre's and the learner's
updates on a complaint (not the awarding body's internal notes), the files the centre can download.
"""
from __future__ import annotations

import enum
import json
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO

from portal import audit
from portal.auth.models import User
from portal.extensions import db
from tenants.complaints.models import Audience, ComplaintUpdate
from tenants.learner_data.records import MATCHING, LearnerRecords
from tenants.models import Centre
from tenants.submissions import storage
from tenants.submissions.models import Submission, SubmissionStatus

FORMAT = 1
SUBMISSION_FIELDS = ("id", "number", "is_current", "status", "uploaded_at", "authenticity", "word_count",
                     "word_count_detail", "word_count_approximate", "word_limit", "excess_fees",
                     "excess_fee_accepted_at", "colour_warning", "qc_due", "sla_due", "qc_decided_at",
                     "rejection_reason")
RESULT_FIELDS = ("result", "referred_criteria", "marked_at", "released_at")  # the centre sees them once released
FILE_FIELDS = ("kind", "original_name", "download_name", "sha256", "size", "content_type", "uploaded_at")
STAGE_FIELDS = ("position", "level", "name", "handler", "target_days", "opened_at", "acknowledge_due",
                "respond_due", "extended_due", "extension_reason", "extension_consent", "acknowledged_at",
                "first_response_at", "responded_at", "closed_at", "outcome", "learner_decision", "learner_decided_at")
LEARNER_VISIBLE = (Audience.LEARNER, Audience.CENTRE)


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _fields(row, names) -> dict:
    return {name: _value(getattr(row, name)) for name in names}


def _columns(row, leave_out=()) -> dict:
    return {column.key: _value(getattr(row, column.key)) for column in row.__table__.columns
            if column.key not in leave_out}


def _folder(submission: Submission) -> str:
    return f"files/submission-{submission.id}-{submission.unit.code}-{submission.number}"


def _submission(submission: Submission) -> dict:
    data = _fields(submission, SUBMISSION_FIELDS)
    data["unit"] = {"code": submission.unit.code, "title": submission.unit.title}
    if submission.status is SubmissionStatus.RELEASED:
        data |= _fields(submission, RESULT_FIELDS)
    data["files"] = [_fields(stored, FILE_FIELDS) | {"in_this_zip": f"{_folder(submission)}/{stored.download_name}"}
                     for stored in submission.centre_files]
    return data


def _complaint(matched) -> dict:
    complaint = matched.complaint
    data = _columns(complaint, leave_out=("policy_version_id",))
    data["matched_by"] = matched.why
    data["stages"] = [_fields(stage, STAGE_FIELDS) for stage in complaint.stages]
    updates = db.session.execute(db.select(ComplaintUpdate).where(
        ComplaintUpdate.complaint_id == complaint.id, ComplaintUpdate.audience.in_(LEARNER_VISIBLE))
        .order_by(ComplaintUpdate.at, ComplaintUpdate.id)).unique().scalars()
    data["updates"] = [_fields(update, ("at", "kind", "audience", "body")) for update in updates]
    return data


def as_json(centre: Centre, records: LearnerRecords, *, by: User, now: datetime) -> dict:
    """Every record about the learner, as plain JSON."""
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "exported_by": by.name,
        "centre": {"name": centre.name, "centre_number": centre.centre_number},
        "how_complaints_were_matched": MATCHING,
        "learner": _columns(records.learner, leave_out=("centre_id",)),
        "submissions": [_submission(submission) for submission in records.submissions],
        "complaints": [_complaint(matched) for matched in records.complaints],
        "audit_events": [_fields(event, ("at", "action", "subject", "detail"))
                         | {"by": event.actor.name if event.actor else "public / system"}
                         for event in records.audit_events],
    }


def chunks(out: IO[bytes]) -> Iterator[bytes]:
    """The zip's bytes for the response; the temporary file is closed when they are read, or when the response is
    dropped unread (a generator closes what it holds when it is collected)."""
    with out:
        while chunk := out.read(64 * 1024):
            yield chunk


def export(centre: Centre, records: LearnerRecords, *, by: User, upload_dir, now: datetime) -> IO[bytes]:
    """The zip (a temporary file, rewound), and the export recorded in the audit log in the caller's transaction."""
    data = as_json(centre, records, by=by, now=now)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - handed to the response, which closes it
    files = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for submission, entry in zip(records.submissions, data["submissions"], strict=True):
            for stored, described in zip(submission.centre_files, entry["files"], strict=True):
                path = storage.path_of(upload_dir, stored.stored_name)
                if path.is_file():
                    archive.write(path, described["in_this_zip"])
                    files += 1
                else:
                    described["in_this_zip"] = None
                    described["missing"] = "the file is not in the portal's storage"
        archive.writestr("learner-data.json", json.dumps(data, indent=2, ensure_ascii=False))
    out.seek(0)
    audit.record("learner_data_exported", actor=by, centre_id=centre.id, subject=records.learner.enrolment_number,
                 detail=f"{len(records.submissions)} submission(s), {files} file(s), "
                        f"{len(records.complaints)} complaint(s), {len(records.audit_events)} audit event(s)")
    return out
