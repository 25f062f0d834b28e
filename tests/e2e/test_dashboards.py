"""Issue 12 §1 in a real browser: the centre's and the awarding body's overviews at 1280 px and 390 px, checked
with axe-core, with no sideways scroll on a phone, and a figure followed to the filtered list it counts."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from portal.db import utcnow
from tests.complaints.conftest import publish
from tests.conftest import quality_contact_of
from tests.dashboards.conftest import (
    awarding_body_complaints,
    centre_complaints,
    centre_submissions,
    failed_run,
    invoices,
)

WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def check_both_widths(page: Page, axe) -> None:
    """axe at 1280 px, then at 390 px with nothing wider than the screen."""
    page.set_viewport_size(WIDE)
    axe(page)
    page.set_viewport_size(PHONE)
    axe(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_both_overviews_at_both_widths_and_a_figure_opens_its_list(make_centre, make_admin, page, new_browser_page,
                                                                    axe, sign_in):
    centre = make_centre("Northgate Training")
    version, now = publish(centre), utcnow()
    centre_complaints(centre, version, now)
    centre_submissions(centre, now)
    invoices(centre, now)
    awarding_body_complaints(now)
    failed_run()

    sign_in(page, quality_contact_of(centre).email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Northgate Training")
    check_both_widths(page, axe)
    page.get_by_role("link", name="1 Acknowledgement overdue").click()
    expect(page).to_have_url(re.compile(r"/cases/\?due=acknowledge_overdue$"))
    expect(page.get_by_role("status").first).to_have_text("1 complaint")
    expect(page.get_by_label("Deadline")).to_have_value("acknowledge_overdue")
    axe(page)

    admin = new_browser_page(viewport=WIDE)
    sign_in(admin, make_admin().email)
    expect(admin.get_by_role("heading", level=1)).to_have_text("Awarding body")
    check_both_widths(admin, axe)
    admin.get_by_role("link", name="1 Quality check: overdue").click()
    expect(admin).to_have_url(re.compile(r"/admin/assessment/quality\?due=overdue$"))
    expect(admin.get_by_role("status").first).to_have_text("1 submission")
    axe(admin)
