"""SPEC §5.1 in a real browser: the Quality contact edits the complaints policy in place (htmx), publishes it,
and the public page and Word download show it. Every state of the page is checked with axe-core."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import quality_contact_of


def status(page: Page):
    return page.locator("#policy-status")


def test_quality_contact_edits_and_publishes_the_policy_in_place(make_centre, new_browser_page, live_server, axe,
                                                                sign_in):
    centre = make_centre("Northgate Training")
    slug, contact = centre.slug, quality_contact_of(centre).email
    page = new_browser_page()
    sign_in(page, contact)
    page.get_by_role("link", name="Complaints policy").click()
    expect(page).to_have_url(live_server(f"/c/{slug}/policy/"))
    expect(status(page)).to_contain_text("Not published yet.")
    axe(page)

    # A section: Change swaps in a form; an empty title is refused beside the field; Save swaps back.
    section = page.locator("#section-introduction")
    section.get_by_role("link", name=re.compile("^Change")).click()
    title = section.get_by_label("Title")
    expect(title).to_have_value("Northgate Training complaints policy")
    expect(title).to_be_focused()  # focus follows the swap to the form's first field, never <body>
    axe(page)
    title.fill("")
    section.get_by_role("button", name=re.compile("^Save")).click()
    expect(section.locator(".error-summary")).to_be_focused()
    expect(section.locator(".field-error")).to_contain_text("Enter a title for the policy.")
    expect(page).to_have_title(re.compile("^Error: "))  # as a full page with errors says, after the swap too
    axe(page)
    section.get_by_label("Title").fill("How to complain to Northgate")
    section.get_by_role("button", name=re.compile("^Save")).click()
    expect(section.locator("form")).to_have_count(0)
    expect(section).to_contain_text("How to complain to Northgate")
    expect(page.locator("#policy-notice")).to_contain_text("Saved: title and introduction.")
    expect(page).not_to_have_title(re.compile("^Error: "))  # the errors are gone: so is the prefix
    expect(page.locator("#policy-notice")).to_be_focused()  # the confirmation, in a polite live region
    expect(page.locator("#policy-notice")).to_have_attribute("role", "status")
    assert page.url == live_server(f"/c/{slug}/policy/")  # all in place: no navigation

    # Cancel restores the section unchanged.
    page.locator("#section-confidentiality").get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_label("Confidentiality statement").fill("Never saved")
    page.locator("#section-confidentiality").get_by_role("link", name="Cancel").click()
    expect(page.locator("#section-confidentiality")).not_to_contain_text("Never saved")
    expect(page.locator("#section-confidentiality form")).to_have_count(0)

    # A stage row turns into a form inside the table and back.
    stages = page.locator("#policy-stages")
    stages.get_by_role("link", name="Change stage 2, Review").click()
    expect(stages.get_by_label("Stage name")).to_be_focused()
    stages.get_by_label("Target (working days)").fill("4")
    stages.get_by_role("button", name="Save stage 2").click()
    expect(stages.get_by_role("row", name=re.compile(r"2\. Review"))).to_contain_text("4")
    expect(page.locator("#policy-notice")).to_be_focused()
    axe(page)

    # Add a stage (the whole list redraws), move it up, remove it (after confirming).
    stages.get_by_role("link", name="Add a stage").click()
    expect(page.get_by_label("Stage name")).to_be_focused()
    page.get_by_label("Stage name").fill("Appeal panel")
    page.get_by_label("Handled by").fill("Board of governors")
    page.get_by_label("Target (working days)").fill("20")
    axe(page)
    page.get_by_role("button", name="Add the stage").click()
    expect(stages.get_by_role("rowheader", name="4. Appeal panel")).to_be_visible()
    stages.get_by_role("button", name="Move up stage 4, Appeal panel").click()
    expect(stages.get_by_role("rowheader", name="3. Appeal panel")).to_be_visible()
    expect(page.locator("#policy-notice")).to_be_focused()
    page.once("dialog", lambda dialog: dialog.accept())
    stages.get_by_role("button", name="Remove stage 3, Appeal panel").click()
    expect(stages.get_by_role("rowheader", name=re.compile("Appeal panel"))).to_have_count(0)
    expect(stages.get_by_role("rowheader", name="3. Final review")).to_be_visible()

    # Publish: version 1; the status panel says so, and it is the draft's content.
    status(page).get_by_role("button", name="Publish as version 1").click()
    expect(page.get_by_role("status").first).to_contain_text("Published version 1")
    expect(status(page)).to_contain_text("The draft is the same as version 1.")
    axe(page)
    # An edit after publishing: the panel notices at once (out-of-band swap).
    page.locator("#section-acknowledgement").get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_label("Acknowledge a complaint within (working days)").fill("3")
    page.locator("#section-acknowledgement").get_by_role("button", name=re.compile("^Save")).click()
    expect(status(page)).to_contain_text("The draft has changes that are not published yet.")
    expect(status(page).get_by_role("button")).to_have_text("Publish as version 2")

    # The public page shows version 1 (not the unpublished change) and offers the .docx.
    page.goto(f"/c/{slug}/complaints-policy")
    expect(page.get_by_role("heading", level=1)).to_have_text("How to complain to Northgate")
    expect(page.get_by_role("rowheader", name="2. Review")).to_be_visible()
    expect(page.locator("main")).to_contain_text("within 2 working days")
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download this policy")).click()
    assert download.value.suggested_filename == f"{slug}-complaints-policy-v1.docx"


def test_the_editor_works_without_javascript(make_centre, new_browser_page, live_server, axe, sign_in):
    centre = make_centre("Northgate Training")
    slug, contact = centre.slug, quality_contact_of(centre).email
    page = new_browser_page(java_script_enabled=False)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(contact)
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(f"/c/{slug}/policy/")
    page.locator("#section-contact").get_by_role("link", name=re.compile("^Change")).click()
    expect(page).to_have_url(re.compile(rf"/c/{slug}/policy/sections/contact/edit"))
    page.get_by_label("Contact details").fill("")
    page.locator("#section-contact").get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".error-summary")).to_contain_text("Enter how people can contact you")
    page.get_by_label("Contact details").fill("Email: complaints@northgate.example")
    page.locator("#section-contact").get_by_role("button", name=re.compile("^Save")).click()
    expect(page).to_have_url(live_server(f"/c/{slug}/policy/"))
    expect(page.locator(".flashes")).to_contain_text("Saved: how to make a complaint.")
    expect(page.locator("#section-contact")).to_contain_text("complaints@northgate.example")
    page.locator("#policy-stages").get_by_role("button", name="Move down stage 1, Investigation").click()
    expect(page.get_by_role("rowheader", name="1. Review")).to_be_visible()
