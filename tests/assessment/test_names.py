"""Issue 9 §6: every stored name, and the way people refer to a submission, comes from `naming.py` — the
convention `<Initial>.<Surname>-<ENR>(<n>)` with the initial in capitals and the surname cleaned."""
from __future__ import annotations

import io

import pytest

from portal.admin import assessment_services as assessment
from portal.audit import AuditEvent
from portal.db import commit
from portal.extensions import db
from tenants.submissions import naming
from tenants.submissions.models import FileKind, SubmissionStatus
from tests.assessment.factory import make_learner, make_submission
from tests.documents.builders import docx_bytes, p

# (first name, last name as registered, ENR, number) → the stem under the convention
LEARNERS = [
    (("Sam", "Smith", "ABC123", 1), "S.Smith-ABC123(1)"),
    (("aoife", "O’Brien", "X9", 2), "A.O'Brien-X9(2)"),  # initial upper-cased, apostrophe made straight
    (("lea", "  van der  Berg ", "Q1", 3), "L.van der Berg-Q1(3)"),  # whitespace collapsed
    (("max", "Bad/Name:*", "Q2", 1), "M.BadName-Q2(1)"),  # characters no file system accepts removed
]


@pytest.mark.parametrize(("learner", "stem"), LEARNERS, ids=[stem for _, stem in LEARNERS])
def test_the_marked_result_sheet_and_the_reference_use_the_convention(centre, assessor, learner, stem):
    first, last, enr, number = learner
    sub = make_submission(centre, status=SubmissionStatus.MARKING, learner=make_learner(centre, first=first,
                                                                                         last=last, enr=enr),
                          number=number, assessor_id=assessor.id)
    stored = assessment.record_result(sub, "pass", "", io.BytesIO(docx_bytes(p("Met."))), filename="m.docx",
                                      by=assessor)
    commit()
    assert stored.download_name == f"{stem} marked result sheet.docx"
    assert stored.download_name == naming.download_name(naming.submission_stem(sub), FileKind.MARKED_RESULT_SHEET,
                                                        ".docx")
    assert assessment.reference(sub) == f"{stem} unit {sub.unit.code}"
    subjects = db.session.execute(db.select(AuditEvent.subject).where(AuditEvent.action == "submission.marked")
                                  ).scalars().all()
    assert subjects == [f"{stem} unit {sub.unit.code}"]


def test_the_uploads_names_come_from_the_same_function(centre):
    """The centre's upload stores its files under `learner_stem` too: one function for every name."""
    learner = make_learner(centre, first="aoife", last="O’Brien", enr="X9")
    assert naming.learner_stem(learner, 2) == "A.O'Brien-X9(2)"
    assert naming.learner_stem(learner, 2) == naming.expected_stem("aoife", "O’Brien", "X9", 2)
