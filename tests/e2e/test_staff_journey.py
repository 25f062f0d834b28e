"""Issue 2 in a real browser: a staff account is requested, approved by the Quality contact, and used.

Every page visited is checked with axe-core, including pages that show a form's error summary.
"""
from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, quality_contact_of

NEW_NAME = "Sam Okafor"
NEW_EMAIL = "sam.okafor@northgate.example"
NEW_PASSWORD = "kettle orchard lantern 42"


def wait_for_email(mailbox, address: str, timeout: float = 5.0):
    """The newest email to `address`. Jobs run inline before the response; the wait is a safety margin."""
    deadline = time.monotonic() + timeout
    while not mailbox.to(address) and time.monotonic() < deadline:
        time.sleep(0.05)
    return mailbox.last_to(address)


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def error_summary(page: Page):
    return page.locator(".error-summary")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")


def test_requested_account_is_approved_by_the_quality_contact_and_signs_in(
        make_centre, make_staff, mailbox, new_browser_page, live_server, axe, sign_in):
    centre = make_centre("Northgate Training")
    contact = quality_contact_of(centre)
    colleague = make_staff(centre, name="Priya Shah")
    slug, centre_name, contact_email = centre.slug, centre.name, contact.email

    # A colleague signs in (after first sending the form empty) and asks for an account for Sam.
    page = new_browser_page()
    page.goto("/sign-in")
    axe(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(error_summary(page)).to_be_focused()
    expect(error_summary(page)).to_contain_text("Enter an email address.")
    expect(error_summary(page)).to_contain_text("Enter your password.")
    axe(page)

    sign_in(page, colleague.email)
    expect(page).to_have_url(live_server(f"/c/{slug}/staff/"))
    expect(heading(page)).to_have_text(centre_name)
    axe(page)

    page.get_by_role("navigation", name=centre_name).get_by_role("link", name="Staff", exact=True).click()
    expect(heading(page)).to_have_text("Staff accounts")
    axe(page)

    page.get_by_role("link", name="Request a staff account").click()
    expect(heading(page)).to_have_text("Request a staff account")
    axe(page)
    page.get_by_label("Full name").fill(NEW_NAME)
    page.get_by_role("button", name="Send request").click()
    expect(error_summary(page)).to_be_focused()
    expect(error_summary(page).get_by_role("link", name="Enter an email address.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value(NEW_NAME)  # what was typed is kept
    axe(page)
    page.get_by_label("Work email address").fill(NEW_EMAIL)
    page.get_by_label("Job title (optional)").fill("Assessor")
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("status")).to_contain_text(f"Requested an account for {NEW_NAME}")
    row = page.get_by_role("row").filter(has_text=NEW_EMAIL)
    expect(row).to_contain_text("Pending")
    expect(row.get_by_role("button")).to_have_count(0)  # only the Quality contact decides
    axe(page)
    sign_out(page)
    axe(page)
    assert wait_for_email(mailbox, contact_email)["Subject"] == f"Staff account request for {centre_name}"

    # The Quality contact mistypes the password, then signs in and approves the request in place.
    contact_page = new_browser_page()
    contact_page.goto("/sign-in")
    contact_page.get_by_label("Email address").fill(contact_email)
    contact_page.get_by_label("Password", exact=True).fill("not the password")
    contact_page.get_by_role("button", name="Sign in", exact=True).click()
    expect(error_summary(contact_page)).to_be_focused()
    expect(error_summary(contact_page)).to_contain_text("We could not sign you in")
    expect(contact_page.get_by_label("Email address")).to_have_value(contact_email)
    axe(contact_page)

    sign_in(contact_page, contact_email)
    expect(contact_page.get_by_role("heading", name="Staff accounts")).to_be_visible()  # the overview's part
    axe(contact_page)
    contact_page.get_by_role("link", name="1 Account requests waiting for your decision").click()
    expect(heading(contact_page)).to_have_text("Staff accounts")
    axe(contact_page)

    row = contact_page.get_by_role("row").filter(has_text=NEW_EMAIL)
    expect(row).to_contain_text("Pending")
    row.get_by_role("button", name=f"Approve {NEW_NAME}").click()
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    # The htmx partial carries its own notice; a full-page fallback would have flashed it instead.
    expect(row.get_by_role("status")).to_contain_text(f"Approved {NEW_NAME}")
    expect(row.get_by_role("status")).to_be_focused()  # not <body>: the keyboard user stays where they were
    expect(contact_page).to_have_url(live_server(f"/c/{slug}/staff/accounts"))
    axe(contact_page)

    # Sam gets the link by email, sets a password (too short at first) and signs in.
    message = wait_for_email(mailbox, NEW_EMAIL)
    assert message["Subject"] == "Set your Centre Portal password"
    link = re.search(r"https?://\S+/set-password/\S+", message.get_content()).group(0)
    assert link.startswith(live_server("/set-password/")), link

    sam = new_browser_page()
    sam.goto(link)
    expect(heading(sam)).to_have_text("Set your password")
    expect(sam.get_by_text(f"For {NEW_NAME} ({NEW_EMAIL}) at {centre_name}.")).to_be_visible()
    axe(sam)
    sam.get_by_label("New password").fill("too short")
    sam.get_by_label("Type it again").fill("too short")
    sam.get_by_role("button", name="Set password").click()
    expect(error_summary(sam)).to_be_focused()
    expect(error_summary(sam)).to_contain_text("Use at least 12 characters.")
    axe(sam)
    sam.get_by_label("New password").fill(NEW_PASSWORD)
    sam.get_by_label("Type it again").fill(NEW_PASSWORD)
    sam.get_by_role("button", name="Set password").click()
    expect(sam.get_by_role("status")).to_contain_text("Your password is set.")
    expect(heading(sam)).to_have_text("Sign in")
    axe(sam)

    sign_in(sam, NEW_EMAIL, NEW_PASSWORD)
    expect(sam).to_have_url(live_server(f"/c/{slug}/staff/"))
    expect(heading(sam)).to_have_text(centre_name)
    expect(sam.locator("dl.summary")).to_contain_text(NEW_NAME)
    axe(sam)


def _focused(page: Page) -> str:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return el.tagName.toLowerCase() + ':' + (el.id || el.textContent.trim());
    }""")


def test_sign_in_works_with_the_keyboard_alone(make_centre, page, live_server, axe):
    centre = make_centre()
    contact_email, slug = quality_contact_of(centre).email, centre.slug
    page.goto("/sign-in")
    axe(page)

    # Tab order: the skip link first (and visible when focused), then the form's controls in order.
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    order = [_focused(page)]
    while order[-1] != "button:Sign in" and len(order) < 15:
        page.keyboard.press("Tab")
        order.append(_focused(page))
    first = order.index("input:email")
    assert order[first:] == ["input:email", "input:password", "button:Sign in"], order

    # The skip link jumps past the header: the next Tab lands in the form. Enter submits it.
    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(contact_email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # The browser carries the skip link's #main over the redirect; the page is the dashboard all the same.
    expect(page).to_have_url(re.compile(re.escape(live_server(f"/c/{slug}/staff/")) + "(#main)?$"))
    axe(page)


def test_pending_account_cannot_sign_in(make_centre, make_staff, page, live_server, axe):
    centre = make_centre()
    pending = make_staff(centre, status="pending")
    email, slug = pending.email, centre.slug

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(error_summary(page)).to_be_focused()
    expect(error_summary(page)).to_contain_text("only after the centre's Quality contact approves it")
    expect(page).to_have_url(live_server("/sign-in"))
    axe(page)

    page.goto(f"/c/{slug}/staff/")
    expect(heading(page)).to_have_text("Sign in")  # still signed out
    axe(page)


def test_staff_page_has_no_sideways_scroll_on_a_phone(make_centre, make_staff, new_browser_page, axe, sign_in):
    centre = make_centre("Northgate Training and Assessment Partnership")
    make_staff(centre, status="pending", name="Alexandra Featherstonehaugh-Whittingham",
               email="alexandra.featherstonehaugh-whittingham@northgate-training.example")
    make_staff(centre, name="Jo Lee")
    contact_email, slug = quality_contact_of(centre).email, centre.slug

    page = new_browser_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, contact_email)
    axe(page)
    page.goto(f"/c/{slug}/staff/accounts")
    expect(page.get_by_role("button", name="Approve Alexandra Featherstonehaugh-Whittingham")).to_be_attached()
    axe(page)
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["inner"] == 390, widths  # a phone browser widens the viewport to fit overflowing content
    assert widths["scroll"] <= widths["inner"], widths
