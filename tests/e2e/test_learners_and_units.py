"""Issue 4 items 1–2 in a real browser, every page checked with axe-core: the awarding body approves a centre
for units; the centre's staff register, find and complete learners."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.catalogue.seed import seed_catalogue
from portal.db import commit
from tests.conftest import quality_contact_of

pytestmark = pytest.mark.e2e


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_admin_keeps_the_catalogue_and_approves_a_centre(make_centre, make_admin, page, axe, sign_in):
    centre = make_centre("Northgate Training")
    seed_catalogue()
    commit()
    admin = make_admin("platform_admin")
    sign_in(page, admin.email)
    page.get_by_role("link", name="Units").click()
    expect(heading(page)).to_have_text("Unit catalogue")
    axe(page)
    page.get_by_label("Pathway").select_option(label="Coaching & Mentoring")  # htmx swaps the table
    expect(page.locator("#units")).not_to_contain_text("8600-301")
    expect(page.locator("#units")).to_contain_text("8588-503")
    axe(page)

    page.get_by_role("link", name="Add a unit").click()
    page.get_by_role("button", name="Add unit").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe(page)
    page.get_by_label("Unit code").fill("8600-601")
    page.get_by_label("Title").fill("Leading strategic change")
    page.get_by_label("Leadership & Management").check()
    page.get_by_label("Level").fill("6")
    page.get_by_label("8,000 words").check()
    page.get_by_role("button", name="Add unit").click()
    expect(page.locator("#units")).to_contain_text("Leading strategic change")

    page.goto(f"/admin/centres/{centre.id}")
    page.get_by_role("button", name="Save unit approvals").click()
    expect(page.locator(".error-summary")).to_contain_text("Tick at least one unit")
    axe(page)
    page.get_by_label("8600-301 Understanding leadership and management").check()
    page.get_by_label("8585-301 Undertaking coaching in a work context").check()
    page.get_by_role("button", name="Save unit approvals").click()
    expect(page.get_by_role("status").first).to_contain_text("approved for 8585-301, 8600-301")
    axe(page)


def test_staff_register_find_and_complete_learners(make_centre, page, axe, sign_in):
    centre = make_centre("Northgate Training")
    sign_in(page, quality_contact_of(centre).email)
    page.get_by_role("link", name="Learners").click()
    expect(heading(page)).to_have_text("Learners")
    axe(page)

    page.get_by_role("link", name="Register a learner").click()
    page.get_by_label("Email address (optional)").fill("not an address")
    page.get_by_role("button", name="Register learner").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe(page)
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Smith")
    page.get_by_label("Enrolment number (ENR)").fill("abc123")
    page.get_by_label("Email address (optional)").fill("sam@example.org")
    page.get_by_role("button", name="Register learner").click()
    expect(page.locator("#learners")).to_contain_text("ABC123")

    page.get_by_role("link", name="Register a learner").click()
    page.get_by_label("First name").fill("Ben")
    page.get_by_label("Last name").fill("Samuels")
    page.get_by_label("Enrolment number (ENR)").fill("BEN007")
    page.get_by_role("button", name="Register learner").click()
    page.wait_for_url("**/learners/")
    page.wait_for_load_state("load")  # htmx (a deferred script) is listening before anything is typed

    page.get_by_label("Name or ENR").fill("abc")  # htmx search as you type
    expect(page.locator("#learners")).not_to_contain_text("Ben Samuels")
    expect(page.locator("#learners")).to_contain_text("1 learner")
    page.get_by_role("button", name="Mark completed Sam Smith").click()  # htmx swaps the row
    row = page.locator("#learners tbody tr").first
    expect(row).to_contain_text("Completed")
    expect(row.get_by_role("status")).to_contain_text("now completed")
    axe(page)

    # The Quality contact's page for a learner's data request (issue 13 §3): the erasure's confirmation step.
    page.get_by_role("link", name="Export or erase data of Sam Smith ABC123").click()
    expect(heading(page)).to_have_text("Data held about Sam Smith (ABC123)")
    axe(page)
    page.get_by_label("Type the learner's enrolment number (ENR) to confirm").fill("BEN007")
    page.get_by_role("button", name="Erase the learner's data").click()
    expect(page.locator(".error-summary")).to_be_focused()
    axe(page)
    page.get_by_label("Type the learner's enrolment number (ENR) to confirm").fill("abc123")
    page.get_by_role("button", name="Erase the learner's data").click()
    expect(page.get_by_role("status").first).to_contain_text("personal data was erased")
    expect(heading(page)).to_contain_text("Erased learner")
    axe(page)
