"""Issue 4 in a real browser: one learner's work for one unit from the first upload to a released pass, every page
checked with axe-core (SPEC §6.2–6.3).

The centre uploads the original (the exact Word count appears) → the awarding body rejects it at quality check
with a reason → the centre's tracker shows the reason → a corrected upload with the same number → accepted,
allocated → the assessor refers it with criteria and a marked result sheet → a lead assessor samples it →
released → the centre's tracker shows the referral → "Start resubmission 2": a black-only copy shows the "no blue
text" warning and is rejected → the corrected copy with its new text in blue (the by-colour table, no warning)
→ accepted, allocated → pass (a new assessor's second result: sampled too) → released → the tracker shows Pass.
The lead assessor's sample that finds issues and holds a result: tests/e2e/test_lead_assessor_sampling.py.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.catalogue import services as catalogue
from portal.db import commit
from tests.conftest import quality_contact_of
from tests.documents.builders import docx_bytes, paragraphs
from tests.submissions.conftest import make_learner, make_unit, result_sheet, words_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ASSESSOR = "assessor@awarding-body.example"
LEAD = "lead@awarding-body.example"
UNIT = "500-501"


@pytest.fixture
def app_overrides(app_overrides, tmp_path):
    return {**app_overrides, "UPLOAD_DIR": str(tmp_path / "uploads")}


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def flash(page: Page):
    return page.locator(".flash-success")


def choose(page: Page, label: str, name: str, data: bytes) -> None:
    page.get_by_label(label, exact=True).set_input_files({"name": name, "mimeType": DOCX, "buffer": data})


def marked_sheet(feedback: str) -> bytes:
    return docx_bytes(paragraphs("ILMA result sheet", "Learner name: Sam Smith", "Enrolment number: ABC123",
                                 f"Assessor's feedback: {feedback}"))


def upload(centre_staff: Page, axe, *, number: int, assessment: bytes, cover_page: bool) -> None:
    """On the upload page (learner and unit chosen or to choose): the files, then Upload; the result swaps in."""
    expect(heading(centre_staff)).to_have_text("Upload a submission")
    axe(centre_staff)
    centre_staff.get_by_label("Learner").select_option(label="Smith, Sam (ABC123)")
    centre_staff.get_by_label("Unit").select_option(label=f"{UNIT} Unit {UNIT}")
    choose(centre_staff, "Assessment", f"S.Smith-ABC123({number}).docx", assessment)
    choose(centre_staff, "ILMA result sheet", "result sheet.docx", result_sheet())
    if cover_page:
        centre_staff.get_by_label("The authenticity statement is the assessment's own cover page").check()
    centre_staff.get_by_role("button", name="Upload").click()
    expect(centre_staff.locator("#upload")).to_contain_text(f"Submission {number} for Sam Smith (ABC123)")


def open_from_tracker(centre_staff: Page, axe, slug: str, number: int, status: str, result: str = "–") -> None:
    """The tracker's row for submission `number`: its status and result, then the submission's own page."""
    centre_staff.goto(f"/c/{slug}/submissions/")
    expect(heading(centre_staff)).to_have_text("Submissions")
    row = centre_staff.locator("#tracker tbody tr").filter(
        has=centre_staff.locator("td:nth-child(4)", has_text=re.compile(rf"^{number}$")))
    expect(row).to_have_count(1)  # a replaced upload leaves the tracker
    expect(row.locator("td").nth(4)).to_have_text(status)
    expect(row.locator("td").nth(6)).to_have_text(result)
    axe(centre_staff)
    row.get_by_role("link", name="Sam Smith").click()
    expect(heading(centre_staff)).to_contain_text("Sam Smith (ABC123)")
    # The history stacks on a phone like every other table: each cell carries its column's name.
    expect(centre_staff.locator("#submission-history tbody td").first).to_have_attribute("data-label", "No.")
    axe(centre_staff)


def open_from_queue(staff: Page, axe, queue: str, reference: str, note: str = "") -> None:
    """The awarding body's queue (quality, marking or release): the submission's row, then its page."""
    staff.goto(f"/admin/assessment/{queue}")
    row = staff.locator("#assessment-queue tbody tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    if note:
        expect(row).to_contain_text(note)
    axe(staff)
    row.get_by_role("link", name=reference).click()
    expect(heading(staff)).to_have_text(f"Submission {reference}")
    axe(staff)


def reject(staff: Page, axe, reference: str, detail: str, note: str = "") -> None:
    open_from_queue(staff, axe, "quality", reference, note)
    staff.get_by_role("radio", name="Another reason").check()
    staff.get_by_label("What the centre needs to do (required for another reason)").fill(detail)
    staff.get_by_role("button", name="Reject", exact=True).click()
    expect(flash(staff)).to_contain_text("Rejected: the centre's Quality contact has been emailed the reason.")
    expect(staff.locator("dl.summary")).to_contain_text(detail)
    axe(staff)


def accept_and_allocate(staff: Page, axe, reference: str, note: str = "") -> None:
    open_from_queue(staff, axe, "quality", reference, note)
    staff.get_by_role("button", name="Accept for marking").click()
    expect(flash(staff)).to_contain_text("Accepted at quality check")
    axe(staff)
    staff.get_by_label("Assessor").select_option(label=f"Awarding Body <{ASSESSOR}>")
    staff.get_by_role("button", name="Allocate").click()
    expect(flash(staff)).to_contain_text("Allocated.")
    expect(staff.locator("dl.summary")).to_contain_text("Assessor")
    expect(staff.get_by_role("heading", name="Record the result")).to_have_count(0)  # only the assessor records it
    axe(staff)


def mark(assessor: Page, axe, reference: str, result: str, criteria: str = "") -> None:
    open_from_queue(assessor, axe, "marking", reference)
    assessor.get_by_label(result, exact=True).check()
    if criteria:
        assessor.get_by_label("Referred criteria (when referred)").fill(criteria)
    assessor.get_by_label("Marked result sheet (.docx)").set_input_files(
        {"name": "marked.docx", "mimeType": DOCX, "buffer": marked_sheet(f"{result}: see the comments.")})
    assessor.get_by_role("button", name="Record the result").click()
    expect(flash(assessor)).to_contain_text("Result recorded.")
    # One of a new assessor's first results: selected for sampling, released only once a lead assessor has sampled it.
    expect(assessor.locator("main")).to_contain_text("this one was selected and is released once it has been sampled")
    expect(assessor.get_by_role("button", name="Release the result to the centre")).to_have_count(0)
    axe(assessor)


def sample_and_release(staff: Page, axe, reference: str) -> None:
    open_from_queue(staff, axe, "release", reference, "Sample before release")
    staff.get_by_role("radio", name="Confirmed: the decision and the feedback meet the standard").check()
    staff.get_by_label("Lead assessor's notes (required when issues are found)").fill("Marking agrees with the "
                                                                                      "criteria.")
    staff.get_by_role("button", name="Record the sample").click()
    expect(flash(staff)).to_contain_text("Sample recorded.")
    expect(staff.locator("dl.summary")).to_contain_text("Sampled: confirmed")
    axe(staff)
    staff.get_by_role("button", name="Release the result to the centre").click()
    expect(flash(staff)).to_contain_text("Released to the centre")
    expect(staff.locator("dl.summary")).to_contain_text("Released to the centre")
    axe(staff)


def test_a_submission_from_upload_through_referral_and_resubmission_to_a_released_pass(
        make_centre, make_admin, new_browser_page, mailbox, axe, sign_in):
    centre = make_centre("Northgate Training")
    slug, contact = centre.slug, quality_contact_of(centre)
    unit = make_unit(UNIT)  # 5,000 words
    catalogue.approve_units(centre, [unit.id], by=make_admin("platform_admin"))
    commit()
    make_learner(centre)
    make_admin("assessment", email=ASSESSOR)
    make_admin("assessment", "lead_assessor", email=LEAD)  # quality check, allocation, sampling and release
    original, resubmission = "S.Smith-ABC123(1) unit 500-501", "S.Smith-ABC123(2) unit 500-501"

    # The centre uploads the original: the exact Word count and what the limit means for it.
    centre_staff = new_browser_page()
    sign_in(centre_staff, contact.email)
    centre_staff.goto(f"/c/{slug}/submissions/new")
    upload(centre_staff, axe, number=1, assessment=words_docx(1234), cover_page=True)
    expect(centre_staff.get_by_role("heading", name="Word count: 1,234")).to_be_visible()
    expect(centre_staff.locator("#upload")).to_contain_text("The unit's limit is 5,000 words: within the limit.")
    expect(centre_staff.locator("#upload")).to_contain_text("Awaiting quality check")
    axe(centre_staff)

    # The awarding body rejects it at quality check; the centre's tracker shows why.
    staff = new_browser_page()
    sign_in(staff, LEAD)
    reason = "The result sheet names the wrong unit: fill in unit 500-501 and upload everything again."
    reject(staff, axe, original, reason)
    assert reason in mailbox.last_to(contact.email).get_content()
    open_from_tracker(centre_staff, axe, slug, 1, "Rejected at quality check")
    expect(centre_staff.locator("dl.summary")).to_contain_text(f"Reason for rejection{reason}")
    centre_staff.get_by_role("link", name="Upload a corrected copy").click()

    # The corrected upload keeps number 1 and replaces the rejected one.
    upload(centre_staff, axe, number=1, assessment=words_docx(1250), cover_page=True)
    expect(centre_staff.get_by_role("heading", name="Word count: 1,250")).to_be_visible()
    axe(centre_staff)

    # Accepted, allocated, referred by the assessor, sampled by a lead assessor, released.
    accept_and_allocate(staff, axe, original, "corrected upload")
    assessor = new_browser_page()
    sign_in(assessor, ASSESSOR)
    mark(assessor, axe, original, "Referred", "ac 1.2; 3.1")
    sample_and_release(staff, axe, original)

    # The centre sees the referral and the marked result sheet, and starts the resubmission.
    open_from_tracker(centre_staff, axe, slug, 1, "Result released", "Referred")
    expect(centre_staff.locator("dl.summary")).to_contain_text("Referred criteriaAC 1.2, AC 3.1")
    expect(centre_staff.get_by_role("link", name="S.Smith-ABC123(1) marked result sheet.docx")).to_be_visible()
    centre_staff.get_by_role("link", name="Start resubmission 2").click()
    expect(centre_staff.get_by_label("Learner")).to_have_value(re.compile(r"^\d+$"))  # chosen by the link

    # A resubmission with nothing in blue is warned about (and the awarding body sends it back).
    upload(centre_staff, axe, number=2, assessment=words_docx(1400), cover_page=False)
    expect(centre_staff.locator("#upload")).to_contain_text(
        "No blue text found: the first resubmission marks new text in blue.")
    by_colour = centre_staff.get_by_role("table", name=re.compile("Words by font colour"))
    expect(by_colour.get_by_role("row", name="Blue").locator("td")).to_have_text("0")
    axe(centre_staff)
    reject(staff, axe, resubmission, "Mark the new text in blue, as the first resubmission must.", "Colour warning")

    # The corrected resubmission: its new text in blue.
    open_from_tracker(centre_staff, axe, slug, 2, "Rejected at quality check")
    centre_staff.get_by_role("link", name="Upload a corrected copy").click()
    upload(centre_staff, axe, number=2, assessment=words_docx(300, "blue", black=1100), cover_page=False)
    expect(centre_staff.get_by_role("heading", name="Word count: 1,400")).to_be_visible()
    by_colour = centre_staff.get_by_role("table", name=re.compile("Words by font colour"))
    expect(by_colour).to_contain_text("submission 2: new text in blue")
    expect(by_colour.get_by_role("row", name="Blue").locator("td")).to_have_text("300")
    expect(by_colour.get_by_role("row", name="Black or automatic").locator("td")).to_have_text("1,100")
    expect(centre_staff.locator("#upload")).not_to_contain_text("No blue text found")
    axe(centre_staff)

    # Accepted, allocated, passed, sampled, released: the tracker shows Pass and nothing more to submit.
    accept_and_allocate(staff, axe, resubmission, "Submission 2 (resubmission)")
    mark(assessor, axe, resubmission, "Pass")
    sample_and_release(staff, axe, resubmission)
    open_from_tracker(centre_staff, axe, slug, 2, "Result released", "Pass")
    expect(centre_staff.get_by_role("link", name=re.compile("Start resubmission"))).to_have_count(0)
    history = centre_staff.get_by_role("table", name="Every upload for this learner and unit")
    expect(history.locator("tbody tr")).to_have_count(4)  # two numbers, each uploaded twice
    assert "Result released: S.Smith-ABC123(2)" in mailbox.last_to(contact.email)["Subject"]
