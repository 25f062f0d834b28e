"""Issue 9 §4 in a real browser: the Lead Assessor's sampling blocks a release, then allows it (SPEC §6.3), every
page checked with axe-core.

A platform admin appoints a lead assessor on the people page and sets the sampling policy → the assessor marks a
submission (a new assessor's: selected for sampling) → the lead assessor finds it waiting in the release queue;
release is not offered → the sample finds issues (notes are required: the error summary) → still held, and the
assessor reads the notes and re-marks it → the lead assessor releases it; the centre's Quality contact is emailed.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.db import utcnow
from tenants.submissions.models import SubmissionStatus
from tests.assessment.factory import make_learner, make_submission
from tests.conftest import make_awarding_body_user, quality_contact_of
from tests.e2e.test_submission_journey import DOCX, flash, heading, marked_sheet

ADMIN, ASSESSOR, LEAD = "boss@awarding-body.example", "jordan@awarding-body.example", "rae@awarding-body.example"
NOTES = "AC 2.1 is met on page 4 (the team meeting evidence): the referral looks wrong."


@pytest.fixture
def app_overrides(app_overrides, tmp_path):
    return {**app_overrides, "UPLOAD_DIR": str(tmp_path / "uploads")}


def record_result(page: Page, result: str, criteria: str, button: str) -> None:
    page.get_by_label(result, exact=True).check()
    page.get_by_label("Referred criteria (when referred)").fill(criteria)
    page.get_by_label("Marked result sheet (.docx)").set_input_files(
        {"name": "marked.docx", "mimeType": DOCX, "buffer": marked_sheet(f"{result}: see the comments.")})
    page.get_by_role("button", name=button).click()


def test_a_lead_assessors_sample_holds_a_result_until_it_is_re_marked(
        make_centre, make_admin, new_browser_page, mailbox, axe, sign_in):
    centre = make_centre("Northgate Training")
    contact = quality_contact_of(centre)
    make_admin("platform_admin", email=ADMIN)
    assessor = make_admin("assessment", email=ASSESSOR)
    make_awarding_body_user(email=LEAD, roles=(), name="Rae Lindqvist")  # no role yet: the admin appoints them
    learner = make_learner(centre, first="Grace", last="Whitfield", enr="NGT0998")
    sub = make_submission(centre, learner=learner, status=SubmissionStatus.MARKING, assessor_id=assessor.id,
                          allocated_at=utcnow(), qc_decided_at=utcnow())
    reference = f"G.Whitfield-NGT0998(1) unit {sub.unit.code}"
    url = f"/admin/assessment/submissions/{sub.id}"

    # The platform admin appoints the lead assessor, and keeps new assessors' first 3 for sampling.
    admin = new_browser_page()
    sign_in(admin, ADMIN)
    admin.goto("/admin/people")
    expect(heading(admin)).to_have_text("Awarding-body staff")
    axe(admin)
    row = admin.get_by_role("row").filter(has_text=LEAD)
    row.get_by_role("button", name="Appoint lead assessor").click()
    expect(flash(admin)).to_contain_text("Rae Lindqvist is now a lead assessor.")
    expect(admin.get_by_role("row").filter(has_text=LEAD)).to_contain_text("Lead assessor")
    axe(admin)
    admin.get_by_role("link", name="sampling policy").click()
    expect(heading(admin)).to_have_text("Assessment: sampling policy")
    expect(admin.locator("main")).to_contain_text("Each assessor's first 5 marked submissions, then 10%")
    axe(admin)
    admin.get_by_label("Sample every one of each new assessor's first ... marked submissions").fill("3")
    admin.get_by_role("button", name="Save the policy").click()
    expect(flash(admin)).to_contain_text("Sampling policy saved")
    expect(admin.locator(".notice")).to_contain_text("Each assessor's first 3 marked submissions, then 10%")
    axe(admin)

    # The assessor refers it: a new assessor's first result is selected for sampling; release is not offered.
    marking = new_browser_page()
    sign_in(marking, ASSESSOR)
    marking.goto(url)
    record_result(marking, "Referred", "AC 2.1", "Record the result")
    expect(flash(marking)).to_contain_text("Result recorded.")
    expect(marking.locator("dl.summary")).to_contain_text("selected: new assessor: marked submission 1 of the first 3")
    expect(marking.get_by_role("button", name="Release the result to the centre")).to_have_count(0)
    axe(marking)

    # The lead assessor finds it in the release queue, waiting for its sample.
    lead = new_browser_page()
    sign_in(lead, LEAD)
    lead.goto("/admin/assessment/release")
    row = lead.locator("#assessment-queue tbody tr").filter(has_text=reference)
    expect(row).to_contain_text("Sample before release")
    axe(lead)
    row.get_by_role("link", name=reference).click()
    expect(heading(lead)).to_have_text(f"Submission {reference}")
    expect(lead.locator("#release-blocked")).to_contain_text("a lead assessor must sample it before it is released")
    expect(lead.get_by_role("button", name="Release the result to the centre")).to_have_count(0)
    axe(lead)

    # Issues found need notes: the error summary says so, beside the field too.
    lead.get_by_role("radio", name="Issues found: hold the result until it is re-marked or confirmed").check()
    lead.get_by_role("button", name="Record the sample").click()
    expect(lead.locator(".error-summary")).to_contain_text("Say what the issues are")
    axe(lead)
    lead.get_by_role("radio", name="Issues found: hold the result until it is re-marked or confirmed").check()
    lead.get_by_label("Lead assessor's notes (required when issues are found)").fill(NOTES)
    lead.get_by_role("button", name="Record the sample").click()
    expect(flash(lead)).to_contain_text("Sample recorded.")
    expect(lead.locator("#release-blocked")).to_contain_text("found issues in this result's sample")
    expect(lead.get_by_role("button", name="Release the result to the centre")).to_have_count(0)
    expect(lead.get_by_role("button", name="Confirm the result as it stands")).to_be_visible()
    axe(lead)
    assert NOTES in mailbox.last_to(ASSESSOR).get_content()
    assert not [m for m in mailbox.to(contact.email) if "released" in m["Subject"]]

    # The assessor reads the notes and re-marks it.
    marking.goto(url)
    expect(marking.get_by_role("heading", name="Issues found in the sample")).to_be_visible()
    expect(marking.locator("main")).to_contain_text(NOTES)
    axe(marking)
    record_result(marking, "Pass", "", "Record the re-marked result")
    expect(flash(marking)).to_contain_text("Result recorded.")
    expect(marking.locator("dl.summary")).to_contain_text("Issues found, then re-marked")
    axe(marking)

    # Now the lead assessor can release it; the centre is told.
    lead.goto(url)
    expect(lead.locator("#release-blocked")).to_have_count(0)
    lead.get_by_role("button", name="Release the result to the centre").click()
    expect(flash(lead)).to_contain_text("Released to the centre")
    expect(lead.locator("dl.summary")).to_contain_text("Released to the centre")
    axe(lead)
    assert f"Result released: {reference}" in mailbox.last_to(contact.email)["Subject"]
