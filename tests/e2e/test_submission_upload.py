"""SPEC §6.2 in a real browser: the htmx upload with its progress bar (upload.js, under the app's CSP), the
word count swapped in, the fee choice for a held submission, and the error summary for a refused upload."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.catalogue.models import CentreUnit
from portal.extensions import db
from tests.conftest import quality_contact_of
from tests.submissions.conftest import make_learner, make_unit, result_sheet, words_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def app_overrides(app_overrides, tmp_path):
    return {**app_overrides, "UPLOAD_DIR": str(tmp_path / "uploads")}


def choose(page: Page, label: str, name: str, data: bytes) -> None:
    page.get_by_label(label, exact=True).set_input_files({"name": name, "mimeType": DOCX, "buffer": data})


def test_upload_shows_the_word_count_and_the_fee_choice(make_centre, page, axe, sign_in):
    centre = make_centre("Northgate Training")
    unit = make_unit("500-501")
    db.session.add(CentreUnit(centre_id=centre.id, unit_id=unit.id))
    make_learner(centre)
    sign_in(page, quality_contact_of(centre).email)

    page.goto(f"/c/{centre.slug}/submissions/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a submission")
    axe(page)
    page.get_by_label("Learner").select_option(label="Smith, Sam (ABC123)")
    page.get_by_label("Unit").select_option(label="500-501 Unit 500-501")
    choose(page, "Assessment", "wrong name.docx", words_docx(10))
    page.get_by_role("button", name="Upload").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("The correct name is S.Smith-ABC123(1)")
    expect(summary).to_contain_text("choose the files again")
    expect(summary).to_be_focused()
    axe(page)

    choose(page, "Assessment", "S.Smith-ABC123(1).docx", words_docx(5001))
    choose(page, "ILMA result sheet", "sheet.docx", result_sheet())
    page.get_by_label("The authenticity statement is the assessment's own cover page").check()
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Word count: 5,001")).to_be_visible()
    expect(page.locator("#upload")).to_contain_text("1 words over")
    expect(page).to_have_url(f"{page.url.split('/c/')[0]}/c/{centre.slug}/submissions/new")  # swapped in place
    axe(page)

    page.get_by_role("button", name="Accept 1 resubmission fee").click()
    expect(page.locator("#upload")).to_contain_text("Fee accepted")
    expect(page.locator("#upload")).to_contain_text("Awaiting quality check")
    page.get_by_role("link", name="Submissions", exact=True).click()
    expect(page.locator("#tracker")).to_contain_text("Quality check by")
    axe(page)
