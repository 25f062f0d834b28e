"""The public pages and the awarding body's pages in a real browser, each checked with axe-core."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from portal.extensions import db


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_home_and_a_centre_public_page(make_centre, page, axe):
    page.goto("/")
    expect(heading(page)).to_have_text("Centre Portal")
    expect(page.get_by_text("No centres yet.")).to_be_visible()  # every test starts with an empty database
    axe(page)
    make_centre("Northgate Training")  # made by this thread, seen by the server: one database
    page.reload()
    page.get_by_role("link", name="Northgate Training").click()
    expect(heading(page)).to_have_text("Northgate Training")
    axe(page)


def test_application_form_keeps_what_was_typed_after_errors(page, mailbox, axe):
    page.goto("/apply")
    expect(heading(page)).to_have_text("Apply for centre approval")
    axe(page)

    page.get_by_role("button", name="Send application").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    for message in ("Enter the organisation's name.", "Choose the nation the centre operates in.",
                    "Enter the centre's address.", "Say which qualifications you want to offer."):
        expect(summary.get_by_role("link", name=message)).to_be_visible()
    axe(page)

    page.get_by_label("Organisation name").fill("Riverside College")
    page.get_by_label("Address", exact=True).fill("2 River Road\nLeeds LS1 1AA")
    page.get_by_label("Website (optional)").fill("riverside")
    page.get_by_label("Contact name").fill("Dana Reeve")
    page.get_by_role("button", name="Send application").click()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter a full web address starting https://")).to_be_visible()
    expect(page.get_by_label("Organisation name")).to_have_value("Riverside College")
    expect(page.get_by_label("Address", exact=True)).to_have_value("2 River Road\nLeeds LS1 1AA")
    expect(page.get_by_label("Website (optional)")).to_have_value("riverside")
    expect(page.get_by_label("Contact name")).to_have_value("Dana Reeve")
    expect(page.get_by_label("Website (optional)")).to_have_attribute("aria-invalid", "true")
    axe(page)

    page.get_by_label("Nation the centre operates in").select_option(label="England")
    page.get_by_label("Website (optional)").fill("https://riverside.example")
    page.get_by_label("Contact email address").fill("dana@riverside.example")
    page.get_by_label("Which qualifications do you want to offer?").fill("ILM Level 3")
    page.get_by_role("button", name="Send application").click()
    expect(heading(page)).to_have_text("Application received")
    axe(page)
    assert mailbox.last_to("dana@riverside.example")["Subject"] == "Your application for centre approval"


def test_awarding_body_pages(make_centre, make_admin, page, axe, sign_in):
    from portal.workdays import Nation
    from tenants.services import submit_application

    make_centre("Northgate Training")
    submit_application(name="Riverside College", nation=Nation.WALES, scottish_public_body=False,
                       address="2 River Road, Cardiff", contact_name="Dana Reeve",
                       contact_email="dana@riverside.example", qualifications_sought="ILM Level 3")
    db.session.commit()
    admin_email = make_admin().email

    sign_in(page, admin_email)
    expect(heading(page)).to_have_text("Awarding body")
    axe(page)
    subnav = page.get_by_role("navigation", name="Awarding body")

    subnav.get_by_role("link", name="Applications", exact=True).click()
    expect(heading(page)).to_have_text("Centre applications")
    axe(page)
    page.get_by_label("Show").select_option("approved")  # htmx swaps the table and pushes the URL
    expect(page.get_by_role("link", name="Northgate Training")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/applications\?status=approved$"))
    axe(page)
    page.get_by_label("Show").select_option("applied")
    page.get_by_role("link", name="Riverside College").click()
    expect(heading(page)).to_have_text("Riverside College")
    axe(page)

    subnav.get_by_role("link", name="Centres", exact=True).click()
    expect(heading(page)).to_have_text("Centres")
    axe(page)
    page.get_by_role("link", name="Northgate Training").click()
    expect(heading(page)).to_have_text("Northgate Training")
    axe(page)

    subnav.get_by_role("link", name="People", exact=True).click()
    expect(heading(page)).to_have_text("Awarding-body staff")
    axe(page)

    subnav.get_by_role("link", name="Outbox", exact=True).click()
    expect(heading(page)).to_have_text("Outbox")
    axe(page)
    page.get_by_role("link", name="Your application for centre approval").first.click()
    expect(heading(page)).to_have_text("Your application for centre approval")
    axe(page)

    subnav.get_by_role("link", name="Audit log", exact=True).click()
    expect(heading(page)).to_have_text("Audit log")
    axe(page)
