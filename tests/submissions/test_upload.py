"""SPEC §6.2 through HTTP: uploading, word counts and limits, held submissions, refusals, downloads."""
from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.extensions import db
from portal.workdays import deadline
from tenants.submissions.models import Authenticity, FileKind, Result, Submission, SubmissionStatus
from tests.conftest import Auth, quality_contact_of
from tests.documents.builders import MACRO_MAIN_TYPE, docx_bytes, paragraphs, pdf_bytes
from tests.submissions.conftest import ENCRYPTED_DOCX, LEGACY_DOC, result_sheet, words_docx


def submissions() -> list[Submission]:
    return list(db.session.execute(select(Submission).order_by(Submission.id)).scalars())


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_the_upload_form_lists_the_centres_learners_and_approved_units(setting):
    page = text(setting.client.get(setting.url("upload_page")))
    assert "Smith, Sam (ABC123)" in page and "500-501 Unit 500-501" in page
    assert 'hx-encoding="multipart/form-data"' in page and "<progress" in page and "upload.js" in page


def test_happy_path_word_count_generated_names_sha256_and_download(setting, app):
    document = words_docx(120)
    response = setting.post(assessment=document, htmx=True)
    assert response.status_code == 200, text(response)
    page = text(response)
    assert "Word count: 120" in page and "Body text" in page and "within the limit" in page
    assert "Awaiting quality check" in page

    (submission,) = submissions()
    assert (submission.number, submission.status, submission.word_count) == (1, SubmissionStatus.AWAITING_QC, 120)
    assert submission.authenticity is Authenticity.SEPARATE_SHEET
    assert submission.clock_started_at == submission.uploaded_at
    assert submission.qc_due == deadline(submission.uploaded_at, 5, setting.centre.nation)
    assert submission.sla_due == deadline(submission.uploaded_at, 25, setting.centre.nation)
    kinds = {f.kind: f for f in submission.files}
    assert set(kinds) == {FileKind.ASSESSMENT, FileKind.RESULT_SHEET, FileKind.AUTHENTICITY}
    assessment = kinds[FileKind.ASSESSMENT]
    assert re.fullmatch(r"[0-9a-f]{32}\.docx", assessment.stored_name)
    stored = Path(app.config["UPLOAD_DIR"]) / assessment.stored_name
    assert stored.read_bytes() == document
    assert assessment.sha256 == hashlib.sha256(document).hexdigest() and assessment.size == len(document)
    assert assessment.download_name == "S.Smith-ABC123(1).docx"
    assert kinds[FileKind.RESULT_SHEET].download_name == "S.Smith-ABC123(1) result sheet.docx"

    download = setting.client.get(setting.url("download", file_id=assessment.id))
    assert download.status_code == 200 and download.data == document
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "S.Smith-ABC123" in download.headers["Content-Disposition"]
    assert download.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    download.close()


def test_without_javascript_the_upload_redirects_to_the_submission_page(setting):
    response = setting.post()
    assert response.status_code == 303
    page = text(setting.client.get(response.headers["Location"]))
    assert "Word count: 100" in page and "S.Smith-ABC123(1).docx" in page


def test_pdf_is_accepted_with_an_approximate_count(setting):
    response = setting.post(assessment=pdf_bytes("one two three four five"), name="S.Smith-ABC123(1).pdf",
                            htmx=True)
    assert response.status_code == 200, text(response)
    assert "approximate" in text(response)
    (submission,) = submissions()
    assert submission.word_count_approximate and submission.word_count == 5
    assert submission.files[0].download_name == "S.Smith-ABC123(1).pdf"


@pytest.mark.parametrize(("limit_unit", "words", "held", "fees"), [
    ("unit", 5000, False, 0), ("unit", 5001, True, 1),
    ("long_unit", 8000, False, 0), ("long_unit", 8001, True, 1),
])
def test_word_limit_boundaries(setting, limit_unit, words, held, fees):
    response = setting.post(words=words, unit=getattr(setting, limit_unit), htmx=True)
    assert response.status_code == 200, text(response)
    (submission,) = submissions()
    assert submission.word_count == words
    assert submission.excess_fees == fees
    assert (submission.status is SubmissionStatus.HELD) is held
    if held:
        assert submission.clock_started_at is None and submission.qc_due is None
        page = text(response)
        assert "1 words over" in page and "Accept 1 resubmission fee" in page and "Withdraw" in page
    else:
        assert submission.status is SubmissionStatus.AWAITING_QC


def test_held_then_withdrawn_then_a_concise_version_keeps_the_number(setting):
    setting.post(words=5001)
    (held,) = submissions()
    response = setting.client.post(setting.url("withdraw", submission_id=held.id), headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Withdrawn at no cost" in text(response)
    assert submissions()[0].status is SubmissionStatus.WITHDRAWN

    assert setting.post(words=4990).status_code == 303
    old, new = submissions()
    assert not old.is_current and old.status is SubmissionStatus.WITHDRAWN
    assert new.is_current and new.number == 1 and new.replaces_id == old.id
    assert new.status is SubmissionStatus.AWAITING_QC and new.excess_fees == 0


def test_held_then_fee_accepted_starts_the_clock(setting):
    setting.post(words=15001, htmx=True)
    (held,) = submissions()
    assert held.excess_fees == 2 and held.clock_started_at is None
    before = utcnow()
    response = setting.client.post(setting.url("accept_fee", submission_id=held.id))
    assert response.status_code == 303
    (accepted,) = submissions()
    assert accepted.status is SubmissionStatus.AWAITING_QC
    assert accepted.excess_fee_accepted_at >= before and accepted.excess_fee_accepted_by_id == setting.member.id
    assert accepted.clock_started_at == accepted.excess_fee_accepted_at
    assert accepted.qc_due == deadline(accepted.clock_started_at, 5, setting.centre.nation)
    # Accepting twice changes nothing.
    again = setting.client.post(setting.url("accept_fee", submission_id=held.id), headers={"HX-Request": "true"})
    assert "Only a submission held" in text(again)
    assert 'hx-swap-oob' not in text(again)  # from the upload page: only the part with the buttons changes


def test_accepting_the_fee_on_the_submission_page_redraws_every_part_that_shows_its_state(setting):
    setting.post(words=15001, htmx=True)
    (held,) = submissions()
    page_url = "http://localhost" + setting.url("show", submission_id=held.id)
    assert "Clock not started" in text(setting.client.get(page_url)) or "Held" in text(setting.client.get(page_url))
    response = setting.client.post(setting.url("accept_fee", submission_id=held.id),
                                   headers={"HX-Request": "true", "HX-Current-URL": page_url})
    page = text(response)
    summary = page[page.index('<div id="submission-summary" hx-swap-oob="true">'):]
    assert SubmissionStatus.AWAITING_QC.label in summary[:summary.index("</dl>")]
    assert SubmissionStatus.HELD.label not in summary[:summary.index("</dl>")]
    history = page[page.index('<div id="submission-history" hx-swap-oob="true">'):]
    assert f"{SubmissionStatus.AWAITING_QC.label} (this one)" in history


def refused(response, field_text: str, existing: int = 0) -> str:
    assert response.status_code == 422, response.status_code
    page = text(response)
    assert "There is a problem" in page and field_text in page
    assert "choose the files again" in page
    assert len(submissions()) == existing
    return page


@pytest.mark.parametrize(("document", "says"), [
    (LEGACY_DOC, "old-style Word document (.doc)"),
    (docx_bytes(paragraphs("macro"), main_type=MACRO_MAIN_TYPE), "macro-enabled Word document (.docm)"),
    (ENCRYPTED_DOCX, "password-protected"),
    (b"just some text", "not a Word document"),
])
def test_unreadable_assessments_are_refused_with_what_to_do(setting, document, says):
    page = refused(setting.post(assessment=document, htmx=True), says)
    assert "File > Save As" in page or "password" in page


def test_a_wrong_name_is_explained_with_the_correct_one(setting):
    page = refused(setting.post(name="J.Smyth-ABC999(2).docx"), "does not follow the convention")
    assert "the submission number is (2) but this is submission (1)" in page
    assert "the enrolment number is ABC999 but the learner's is ABC123" in page
    assert "the initial is J" in page and "the surname is Smyth" in page
    assert "The correct name is S.Smith-ABC123(1)" in page


def test_a_wrong_name_can_be_stored_under_the_correct_one(setting):
    assert setting.post(name="essay final.docx", accept_corrected_name="y").status_code == 303
    (submission,) = submissions()
    assessment = next(f for f in submission.files if f.kind is FileKind.ASSESSMENT)
    assert assessment.original_name == "essay final.docx" and assessment.download_name == "S.Smith-ABC123(1).docx"


def test_result_sheet_must_hold_the_learners_enr(setting):
    refused(setting.post(sheet=result_sheet(enr="")), "does not contain the enrolment number (ENR)")


def test_result_sheet_must_hold_the_learners_name(setting):
    refused(setting.post(sheet=result_sheet(name="Someone Else")), "does not contain the learner's name")


def test_result_sheet_must_be_word_not_pdf(setting):
    refused(setting.post(sheet=pdf_bytes("Sam Smith ABC123")), "The result sheet must be a Word document (.docx)")


def test_authenticity_is_required_on_the_first_submission_unless_it_is_the_cover_page(setting):
    refused(setting.post(authenticity=False), "signed authenticity cover sheet")
    assert setting.post(authenticity=False, cover_page="y").status_code == 303
    assert submissions()[0].authenticity is Authenticity.COVER_PAGE


def test_all_problems_are_listed_at_once(setting):
    page = refused(setting.post(assessment=LEGACY_DOC, sheet=pdf_bytes("x"), authenticity=False), ".doc")
    assert "The result sheet must be a Word document" in page and "signed authenticity cover sheet" in page


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 1024 * 1024}])
def test_an_upload_over_the_size_limit_is_answered_413_before_the_body_is_read(setting, app_overrides, tmp_path):
    response = setting.client.post(setting.url("upload_page"), data=b"x" * 10,
                                   headers={"Content-Type": "multipart/form-data; boundary=x"},
                                   environ_overrides={"CONTENT_LENGTH": str(2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Files can be up to 1 MB" in text(response)
    assert submissions() == []


def release(submission: Submission, result: Result) -> None:
    submission.status, submission.result, submission.released_at = SubmissionStatus.RELEASED, result, utcnow()
    db.session.commit()


def test_a_resubmission_only_after_a_released_referral(setting):
    setting.post()
    refused(setting.post(number=2, authenticity=False), "still in progress", existing=1)
    (original,) = submissions()
    original.status, original.result = SubmissionStatus.MARKED, Result.REFERRED  # marked but not released
    db.session.commit()
    refused(setting.post(number=2, authenticity=False), "still in progress", existing=1)
    show = text(setting.client.get(setting.url("show", submission_id=original.id)))
    assert "Start resubmission" not in show and "Referred" not in show  # no result before release
    release(original, Result.REFERRED)
    show = text(setting.client.get(setting.url("show", submission_id=original.id)))
    assert "Start resubmission 2" in show and "Referred" in show

    response = setting.post(number=2, authenticity=False, assessment=words_docx(50, "blue", black=100), htmx=True)
    assert response.status_code == 200, text(response)
    resubmission = submissions()[-1]
    assert resubmission.number == 2 and resubmission.authenticity is Authenticity.NOT_NEEDED
    assert resubmission.colour_warning == "" and "Words by font colour" in text(response)


def test_no_resubmission_after_a_pass(setting):
    setting.post()
    release(submissions()[0], Result.PASS)
    refused(setting.post(number=2, authenticity=False), "has passed this unit", existing=1)


def test_a_resubmission_without_blue_text_is_warned(setting):
    setting.post()
    release(submissions()[0], Result.REFERRED)
    response = setting.post(number=2, authenticity=False, words=300, htmx=True)
    assert response.status_code == 200
    page = text(response)
    assert "No blue text found: the first resubmission marks new text in blue." in page
    assert "Black or automatic" in page
    assert submissions()[-1].word_count_detail["by_colour"]["black"] == 300


def test_another_centres_member_cannot_download(setting, app, other_centre):
    setting.post()
    file_id = submissions()[0].files[0].id
    other = app.test_client()
    Auth(other).sign_in(quality_contact_of(other_centre))
    assert other.get(setting.url("download", file_id=file_id)).status_code == 404
    on_their_slug = f"/c/{other_centre.slug}/submissions/files/{file_id}"
    assert other.get(on_their_slug).status_code == 404


def test_the_marked_result_sheet_is_not_downloadable_before_release(setting, app):
    from tenants.submissions.models import SubmissionFile

    setting.post()
    submission = submissions()[0]
    sheet = submission.files[0]
    marked = SubmissionFile(centre_id=submission.centre_id, submission_id=submission.id,
                            kind=FileKind.MARKED_RESULT_SHEET, original_name="m.docx",
                            download_name="S.Smith-ABC123(1) marked result sheet.docx",
                            stored_name=sheet.stored_name.replace(sheet.stored_name[:4], "ffff"),
                            sha256=sheet.sha256, size=sheet.size, content_type=sheet.content_type,
                            uploaded_at=datetime.now(UTC))
    db.session.add(marked)
    db.session.commit()
    (Path(app.config["UPLOAD_DIR"]) / marked.stored_name).write_bytes(b"PK")
    assert setting.client.get(setting.url("download", file_id=marked.id)).status_code == 404
    release(submission, Result.PASS)
    response = setting.client.get(setting.url("download", file_id=marked.id))
    assert response.status_code == 200
    response.close()


def test_the_fee_amount_is_shown_before_the_centre_agrees_when_a_schedule_is_in_force(setting):
    from datetime import date

    from portal.fees import FeeSchedule

    db.session.add(FeeSchedule(effective_from=date(2020, 1, 1), resubmission_fee_pence=9500, vat_rate_bp=2000))
    db.session.commit()
    page = text(setting.post(words=15001, htmx=True))
    assert "Accept 2 resubmission fees (£190.00 before VAT)" in page
    assert "one resubmission fee for each started 10,000 words over the limit" in page


def test_a_simultaneous_upload_of_the_same_number_is_refused_without_orphan_files(setting, app, monkeypatch):
    from tenants.submissions import upload

    setting.post()
    stored_before = sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir())
    monkeypatch.setattr(upload, "next_number", lambda learner, unit: (1, None))  # as if both read "no upload yet"
    response = setting.post()
    assert response.status_code == 409
    assert "made at the same moment" in text(response)
    assert len(submissions()) == 1
    assert sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir()) == stored_before


def test_the_service_itself_refuses_a_unit_the_centre_is_not_approved_for(app, setting):
    """The upload service asks the catalogue; no caller can vouch for the approval instead (issue 8 §3)."""
    import io

    from tenants.submissions.upload import Incoming, UploadFiles, UploadRefused, upload_submission
    from tests.submissions.conftest import make_unit

    other_unit = make_unit("500-502")
    files = UploadFiles(assessment=Incoming("S.Smith-ABC123(1).docx", io.BytesIO(words_docx(100))),
                        result_sheet=Incoming("result sheet.docx", io.BytesIO(result_sheet())))
    with pytest.raises(UploadRefused) as refused:
        upload_submission(setting.centre, learner=setting.learner, unit=other_unit, files=files, cover_page=True,
                          accept_corrected_name=False, by=setting.member, upload_dir=app.config["UPLOAD_DIR"],
                          now=utcnow())
    assert refused.value.problems == [("unit", "Your centre is not approved for this unit.")]
    assert submissions() == []
