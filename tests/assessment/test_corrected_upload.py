"""A rejection, then the centre's corrected upload of the same number (tenants/submissions/upload.py): it replaces
the rejected one in the quality-check queue and starts a new 25 working day clock."""
from __future__ import annotations

import io
from datetime import UTC, datetime

from portal.admin import assessment_services as assessment
from portal.catalogue.models import CentreUnit
from portal.db import commit
from portal.extensions import db
from tenants.submissions.models import Submission, SubmissionStatus
from tenants.submissions.upload import Incoming, UploadFiles, upload_submission
from tests.assessment.factory import make_learner, make_unit
from tests.conftest import quality_contact_of
from tests.documents.builders import docx_bytes, p, paragraphs

FIRST = datetime(2025, 8, 22, 9, 0, tzinfo=UTC)  # Friday 22 August 2025, England
CORRECTED = datetime(2025, 9, 3, 9, 0, tzinfo=UTC)  # Wednesday 3 September 2025


def _upload(centre, learner, unit, now, app):
    stem = f"S.Smith-{learner.enrolment_number}(1)"
    files = UploadFiles(
        assessment=Incoming(f"{stem}.docx", io.BytesIO(docx_bytes(paragraphs("My work on leading a team.")))),
        result_sheet=Incoming("result sheet.docx", io.BytesIO(docx_bytes(paragraphs(
            "ILMA result sheet", "Learner name: Sam Smith", f"Enrolment number: {learner.enrolment_number}")))),
        authenticity=Incoming("authenticity.docx", io.BytesIO(docx_bytes(p("This is my own work. Signed")))))
    submission = upload_submission(centre, learner=learner, unit=unit, files=files, cover_page=False,
                                   accept_corrected_name=True, by=quality_contact_of(centre),
                                   upload_dir=app.config["UPLOAD_DIR"], now=now)
    commit()
    return submission


def test_the_corrected_upload_replaces_the_rejected_one_with_a_new_clock(app, centre, checker, signed_in):
    learner, unit = make_learner(centre), make_unit()
    db.session.add(CentreUnit(centre_id=centre.id, unit_id=unit.id))  # the upload asks the catalogue
    rejected = _upload(centre, learner, unit, FIRST, app)
    assessment.reject_quality_check(rejected, assessment.REJECTION_REASONS["authenticity"], by=checker)
    commit()
    corrected = _upload(centre, learner, unit, CORRECTED, app)
    db.session.refresh(rejected)
    assert corrected.number == rejected.number == 1 and corrected.replaces_id == rejected.id
    assert not rejected.is_current and rejected.status is SubmissionStatus.REJECTED
    # New clocks from 3 September (England): QC by Wed 10 September, result by Wed 8 October.
    assert corrected.qc_due == datetime(2025, 9, 10, 22, 59, 59, tzinfo=UTC)
    assert corrected.sla_due == datetime(2025, 10, 8, 22, 59, 59, tzinfo=UTC)
    assert rejected.sla_due == datetime(2025, 9, 29, 22, 59, 59, tzinfo=UTC)  # stopped, kept for the record
    page = signed_in(checker).get("/admin/assessment/quality").get_data(as_text=True)
    assert "1 submission<" in page and "corrected upload" in page and "Wed 8 Oct 2025" in page
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar_one() == 2
