"""The awarding body's complaint pages in a real browser, each checked with axe-core: a direct complaint from
the public form to the tracking page, and customer service handling it from the queue."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_a_direct_complaint_from_the_form_to_customer_service(make_centre, make_admin, page, new_browser_page, axe,
                                                              sign_in, mailbox):
    make_centre("Northgate Training")
    page.goto("/complaints/")
    expect(heading(page)).to_have_text("Complaints to the awarding body")
    axe(page)
    page.get_by_role("link", name="Make a complaint to the awarding body").click()
    expect(heading(page)).to_have_text("Make a complaint to the awarding body")
    axe(page)

    learner_question = page.get_by_role("group", name="Are you a learner at a centre complaining about that centre "
                                                       "or its staff?")
    learner_question.get_by_label("Yes").check()
    page.get_by_label("Your full name").fill("Pat Public")
    page.get_by_label("What is your complaint about?").fill("The website lost my order.")
    page.get_by_role("button", name="Send the complaint").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Learners complain to their centre first")
    expect(page.get_by_role("link", name="Find your centre's complaints page")).to_be_visible()
    expect(page.get_by_label("Your full name")).to_have_value("Pat Public")
    expect(page.get_by_label("What is your complaint about?")).to_have_value("The website lost my order.")
    axe(page)

    learner_question.get_by_label("No").check()
    page.get_by_label("Your email address").fill("pat@example.org")
    page.get_by_role("group", name="Are you complaining on behalf of a centre?").get_by_label("No").check()
    page.get_by_label("Which of these fits best?").select_option(label="Website")
    page.get_by_label("What outcome would you like?").fill("Send the certificate")
    page.get_by_role("button", name="Send the complaint").click()
    expect(heading(page)).to_have_text("We have received your complaint")
    axe(page)
    page.get_by_role("link", name="Follow your complaint now").click()
    expect(heading(page)).to_contain_text("Complaint D-")
    axe(page)
    reference = heading(page).inner_text().removeprefix("Complaint ")

    staff = new_browser_page()
    sign_in(staff, make_admin("customer_service").email)
    staff.get_by_role("navigation", name="Awarding body").get_by_role("link", name="Complaints").click()
    expect(heading(staff)).to_have_text("Complaints at the awarding body")
    axe(staff)
    staff.get_by_label("Route").select_option("direct")  # htmx swaps the table and pushes the URL
    expect(staff).to_have_url(re.compile(r"/admin/complaints/\?.*route=direct"))
    expect(staff.get_by_role("link", name=reference)).to_be_visible()
    axe(staff)
    staff.get_by_role("link", name=reference).click()
    expect(heading(staff)).to_have_text(f"Complaint {reference}")
    axe(staff)
    staff.get_by_role("button", name="Acknowledge").click()
    expect(staff.locator(".flash-success")).to_contain_text("Acknowledged")
    staff.get_by_role("button", name="Close the stage").click()  # no outcome written: the error is beside it
    expect(staff.locator(".error-summary")).to_be_focused()
    axe(staff)
    staff.get_by_label("Outcome of this stage (the complainant sees it)").fill("We have resent the certificate.")
    staff.get_by_role("button", name="Close the stage").click()
    expect(staff.locator(".flash-success")).to_contain_text("Stage closed")
    axe(staff)

    page.reload()
    expect(page.locator(".notice").get_by_text("Outcome: We have resent the certificate.")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Accept the outcome").click()
    expect(page.locator(".flash-success")).to_contain_text("You accepted the outcome")
    axe(page)
