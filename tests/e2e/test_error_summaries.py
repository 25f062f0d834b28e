"""The error summary in a real browser (issue 12 §5, GOV.UK's error summary): after a refused submit focus is on
the summary and the title starts "Error:"; its links are in the page's order; following one moves focus to its
field. On a full page, on an htmx form that replaces itself, and on an htmx table row whose summary goes out of
band above the page's h1. tests/test_error_summaries.py holds every form to the same rules without a browser."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import quality_contact_of

WIDTHS = [1280, 390]


def follow_every_link(page: Page, summary) -> list[str]:
    """Follow each of the summary's links in turn: each must focus its field. Returns the fields' ids."""
    ids = [href[1:] for href in summary.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")]
    assert ids, "the summary links to no field"
    for n, field_id in enumerate(ids):
        summary.locator("a").nth(n).click()
        expect(page.locator(f"[id='{field_id}']")).to_be_focused()
    return ids


def shown_and_followed(page: Page, summary, axe) -> list[str]:
    """A refused submit's summary: focused, the title marked, no axe violation, every link followed
    (`follow_every_link`). Returns the fields' ids."""
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page)
    return follow_every_link(page, summary)


def in_page_order(page: Page, ids: list[str]) -> bool:
    return page.evaluate("""ids => ids.every((id, n) => n === 0 || (document.getElementById(ids[n - 1])
        .compareDocumentPosition(document.getElementById(id)) & Node.DOCUMENT_POSITION_FOLLOWING))""", ids)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_full_page_form(page, axe, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/apply")
    page.get_by_role("button", name="Send application").click()
    summary = page.locator(".error-summary")
    ids = shown_and_followed(page, summary, axe)
    assert len(ids) >= 4 and in_page_order(page, ids), ids
    assert page.url.endswith("/apply")  # the links move focus; they do not navigate


@pytest.mark.parametrize("width", WIDTHS)
def test_an_htmx_form_that_replaces_itself(make_centre, new_browser_page, live_server, axe, sign_in, width):
    centre = make_centre("Northgate Training")
    page = new_browser_page()
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, quality_contact_of(centre).email)
    page.goto(live_server(f"/c/{centre.slug}/policy/"))
    page.get_by_role("link", name="Add a stage").click()
    page.get_by_label("Target (working days)").fill("")
    page.get_by_role("button", name="Add the stage").click()
    summary = page.locator("#add-stage .error-summary")
    ids = shown_and_followed(page, summary, axe)
    assert len(ids) >= 2 and in_page_order(page, ids), ids
    assert page.url == live_server(f"/c/{centre.slug}/policy/")  # all in place


@pytest.mark.parametrize("width", WIDTHS)
def test_an_htmx_table_row_fills_the_summary_above_the_heading(make_centre, make_staff, new_browser_page,
                                                                live_server, axe, sign_in, width):
    centre = make_centre("Northgate Training")
    pending = make_staff(centre, status="pending", name="Pat Pending")
    page = new_browser_page()
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, quality_contact_of(centre).email)
    page.goto(live_server(f"/c/{centre.slug}/staff/accounts"))
    row = page.locator(f"#staff-{pending.id}")
    row.locator("summary").click()
    row.get_by_role("button", name="Decline request").click()
    summary = page.locator("#error-summary-slot .error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    assert page.evaluate("document.getElementById('error-summary-slot').nextElementSibling.tagName") == "H1"
    expect(row.locator(".field-error")).to_contain_text("Give a reason.")
    axe(page)
    assert follow_every_link(page, summary) == [f"reason-{pending.id}"]
    # A reason given: the request is declined, and the summary goes with the error.
    page.get_by_label("Reason for declining").fill("Not employed here")
    page.locator(f"#staff-{pending.id}").get_by_role("button", name="Decline request").click()
    expect(page.locator(f"#staff-{pending.id}")).to_contain_text("Declined")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page).not_to_have_title(re.compile("^Error: "))
