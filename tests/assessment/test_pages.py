"""The assessment pages: who gets in, each action through its form, file downloads, refusals on the page."""
from __future__ import annotations

import io
import os

import pytest

from portal.extensions import db
from tenants.submissions.models import FileKind, Result, SubmissionStatus
from tests.assessment.factory import make_learner, make_submission
from tests.assessment.test_services import LEGACY_DOC, MARKED_SHEET
from tests.conftest import Auth, quality_contact_of
from tests.documents.builders import pdf_bytes

S = SubmissionStatus


def url(sub, action: str = "") -> str:
    return f"/admin/assessment/submissions/{sub.id}" + (f"/{action}" if action else "")


def test_centre_staff_get_404_and_anonymous_signs_in(app, centre, make_staff):
    sub = make_submission(centre)
    anonymous = app.test_client()
    assert anonymous.get("/admin/assessment/").status_code == 302
    client = app.test_client()
    Auth(client).sign_in(quality_contact_of(centre))
    for path in ("/admin/assessment/", "/admin/assessment/marking", "/admin/assessment/conflicts", url(sub),
                 f"{url(sub)}/files/{sub.files[0].id}"):
        assert client.get(path).status_code == 404, path
    assert client.post(url(sub, "accept")).status_code == 404
    db.session.refresh(sub)
    assert sub.status is S.AWAITING_QC


def test_other_roles_get_403(centre, make_admin, signed_in):
    sub = make_submission(centre)
    client = signed_in(make_admin("platform_admin", "quality", "customer_service", "finance"))
    for path in ("/admin/assessment/", "/admin/assessment/release", url(sub), "/admin/assessment/conflicts"):
        assert client.get(path).status_code == 403, path
    assert client.post(url(sub, "accept")).status_code == 403
    assert "Assessment" not in client.get("/admin/").get_data(as_text=True).split("subnav")[1][:2000]


def test_submission_page_shows_counts_colour_warning_files_and_the_quality_check(centre, checker, signed_in):
    sub = make_submission(centre, colour_warning="No blue text: a first resubmission marks new text in blue.")
    page = signed_in(checker).get(url(sub)).get_data(as_text=True)
    assert "3,120 words" in page and "Footnotes" in page and "Headers and footers (not counted)" in page
    assert "No blue text" in page
    assert "S.Smith-ENR(1).docx" in page
    assert "Accept for marking" in page and "The signed authenticity cover sheet is missing." in page


def test_download_is_an_attachment_with_nosniff(centre, checker, signed_in):
    sub = make_submission(centre)
    response = signed_in(checker).get(f"{url(sub)}/files/{sub.files[0].id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "S.Smith-ENR(1).docx" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"PK")


def test_download_of_another_submissions_file_or_a_missing_one_is_404(centre, checker, signed_in, app):
    one, two = make_submission(centre), make_submission(centre)
    client = signed_in(checker)
    assert client.get(f"{url(one)}/files/{two.files[0].id}").status_code == 404
    os.remove(os.path.join(app.config["UPLOAD_DIR"], one.files[0].stored_name))
    assert client.get(f"{url(one)}/files/{one.files[0].id}").status_code == 404


def test_accept_through_the_page(centre, checker, signed_in):
    sub = make_submission(centre)
    response = signed_in(checker).post(url(sub, "accept"))
    assert response.status_code == 303
    db.session.refresh(sub)
    assert sub.status is S.MARKING


def test_reject_with_a_common_reason_and_words_of_our_own(centre, checker, signed_in, mailbox):
    sub = make_submission(centre)
    response = signed_in(checker).post(url(sub, "reject"), data={
        "reject-reason": "wrong_unit", "reject-detail": "This is the 8600-501 assessment."})
    assert response.status_code == 303
    db.session.refresh(sub)
    assert sub.status is S.REJECTED
    assert sub.rejection_reason == ("The assessment uploaded is for a different unit. "
                                    "This is the 8600-501 assessment.")
    assert "8600-501" in mailbox.last_to(quality_contact_of(centre).email).get_content()


def test_reject_with_another_reason_needs_words(centre, checker, signed_in):
    sub = make_submission(centre)
    response = signed_in(checker).post(url(sub, "reject"), data={"reject-reason": "other", "reject-detail": ""})
    assert response.status_code == 422
    assert "the centre reads this" in response.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.status is S.AWAITING_QC


def test_allocation_refused_for_a_conflict_shows_why(centre, checker, assessor, signed_in):
    sub = make_submission(centre, status=S.MARKING)
    client = signed_in(checker)
    response = client.post("/admin/assessment/conflicts", data={
        "assessor": assessor.id, "centre": centre.id, "enrolment_number": sub.learner.enrolment_number,
        "note": "Learner's mentor"})
    assert response.status_code == 303
    response = client.post(url(sub, "allocate"), data={"allocate-assessor": assessor.id})
    assert response.status_code == 422
    assert "conflict of interest with this learner: Learner&#39;s mentor" in response.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.assessor_id is None
    assert "Learner&#39;s mentor" in client.get("/admin/assessment/conflicts").get_data(as_text=True)


def test_a_conflict_with_an_unknown_learner_is_refused_on_the_form(centre, checker, assessor, signed_in):
    response = signed_in(checker).post("/admin/assessment/conflicts", data={
        "assessor": assessor.id, "centre": centre.id, "enrolment_number": "NOPE"})
    assert response.status_code == 422
    assert "No learner with that ENR" in response.get_data(as_text=True)


def test_the_whole_journey_through_the_pages(centre, checker, assessor, lead, signed_in, mailbox):
    sub = make_submission(centre)
    checking, marking, sampling = signed_in(checker), signed_in(assessor), signed_in(lead)
    assert checking.post(url(sub, "accept")).status_code == 303
    assert checking.post(url(sub, "allocate"), data={"allocate-assessor": assessor.id}).status_code == 303
    # The result form is the allocated assessor's only.
    assert "Record the result" not in checking.get(url(sub)).get_data(as_text=True)
    assert "Record the result" in marking.get(url(sub)).get_data(as_text=True)
    form = {"result-result": "referred", "result-referred_criteria": "AC 1.2, AC 3.1",
            "result-marked_sheet": (io.BytesIO(MARKED_SHEET), "marked.docx")}
    assert checking.post(url(sub, "result"), data=form, content_type="multipart/form-data").status_code == 403
    form["result-marked_sheet"] = (io.BytesIO(MARKED_SHEET), "marked.docx")
    assert marking.post(url(sub, "result"), data=form, content_type="multipart/form-data").status_code == 303
    db.session.refresh(sub)
    assert sub.status is S.MARKED and sub.result is Result.REFERRED
    sheet = next(f for f in sub.files if f.kind is FileKind.MARKED_RESULT_SHEET)
    assert sampling.get(f"{url(sub)}/files/{sheet.id}").data == MARKED_SHEET
    # Selected for sampling (a new assessor's first): release waits for a lead assessor's sample. The assessor, and
    # the checker (assessment role only), cannot sample: only the appointed lead-assessor role can.
    page = sampling.get(url(sub)).get_data(as_text=True)
    assert "selected for sampling (new assessor: marked submission 1 of the first 5)" in page
    assert "Release the result to the centre" not in page
    assert marking.post(url(sub, "sample"), data={"sample-outcome": "confirmed"}).status_code == 403
    assert checking.post(url(sub, "sample"), data={"sample-outcome": "confirmed"}).status_code == 403
    response = sampling.post(url(sub, "release"), follow_redirects=True)
    assert "a lead assessor must sample it before it is released" in response.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.status is S.MARKED and sub.sampled_at is None
    # Issues found need notes, then hold the result; the assessor re-marks it; then it may be released.
    response = sampling.post(url(sub, "sample"), data={"sample-outcome": "issues_found", "sample-note": " "})
    assert response.status_code == 422 and "Say what the issues are" in response.get_data(as_text=True)
    assert sampling.post(url(sub, "sample"), data={"sample-outcome": "issues_found",
                                                   "sample-note": "Feedback on AC 3.1 is too thin."}).status_code == 303
    assert "Issues found in a sample of your marking" in mailbox.last_to(assessor.email)["Subject"]
    response = sampling.post(url(sub, "release"), follow_redirects=True)
    assert "found issues in this result&#39;s sample" in response.get_data(as_text=True)
    page = marking.get(url(sub)).get_data(as_text=True)
    assert "Feedback on AC 3.1 is too thin." in page and "Record the re-marked result" in page
    form = {"result-result": "referred", "result-referred_criteria": "AC 3.1",
            "result-marked_sheet": (io.BytesIO(MARKED_SHEET), "remarked.docx")}
    assert marking.post(url(sub, "result"), data=form, content_type="multipart/form-data").status_code == 303
    db.session.refresh(sub)
    assert sub.referred_criteria == "AC 3.1" and sub.mitigation is not None
    assert not [m for m in mailbox.to(quality_contact_of(centre).email) if "released" in m["Subject"]]
    assert sampling.post(url(sub, "release")).status_code == 303
    db.session.refresh(sub)
    assert sub.status is S.RELEASED
    assert "has been released" in mailbox.last_to(quality_contact_of(centre).email).get_content()


@pytest.mark.parametrize(("data", "message"), [(pdf_bytes("Marked"), "not a PDF"),
                                               (LEGACY_DOC, "old-style Word document")])
def test_a_marked_sheet_that_is_not_docx_is_refused_beside_the_field(centre, assessor, signed_in, data, message):
    sub = make_submission(centre, status=S.MARKING, assessor_id=assessor.id)
    response = signed_in(assessor).post(url(sub, "result"), content_type="multipart/form-data", data={
        "result-result": "pass", "result-marked_sheet": (io.BytesIO(data), "marked.docx")})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.status is S.MARKING


def test_referred_without_criteria_is_refused_beside_the_field(centre, assessor, signed_in):
    sub = make_submission(centre, status=S.MARKING, assessor_id=assessor.id)
    response = signed_in(assessor).post(url(sub, "result"), content_type="multipart/form-data", data={
        "result-result": "referred", "result-marked_sheet": (io.BytesIO(MARKED_SHEET), "marked.docx")})
    assert response.status_code == 422
    assert "Give the referred assessment criteria" in response.get_data(as_text=True)


def test_results_appear_on_no_learner_facing_page(app, centre, make_submission):
    """Learners have no account; the only learner-facing pages are the public ones. None shows a result."""
    learner = make_learner(centre, first="Rowan", last="Quill", enr="RQ77")
    make_submission(centre, learner=learner, status=S.RELEASED, result=Result.REFERRED,
                    referred_criteria="AC 4.4")
    client = app.test_client()
    for path in ("/", f"/c/{centre.slug}/", "/complaints/"):
        page = client.get(path).get_data(as_text=True)
        assert "Quill" not in page and "AC 4.4" not in page
