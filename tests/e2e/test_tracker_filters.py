"""Issue 12 (a leftover): the overview's "results released since" reaches the tracker as a filter the person can see
and remove — a ticked box in the filter form — never a hidden constraint kept while the other filters change."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from portal.db import utcnow
from tests.conftest import quality_contact_of
from tests.dashboards.conftest import centre_submissions


def test_released_since_is_a_filter_shown_and_removed_like_the_others(make_centre, page: Page, axe, sign_in):
    centre = make_centre("Northgate Training")
    centre_submissions(centre, utcnow())  # released: one an hour ago, one 40 days ago
    sign_in(page, quality_contact_of(centre).email)
    page.get_by_role("link", name=re.compile(r"^1 Results released in the last 30 days")).click()
    expect(page).to_have_url(re.compile(r"/submissions/\?status=released&released_after="))
    since = page.get_by_label(re.compile(r"^Only results released since"))
    expect(since).to_be_checked()
    expect(page.get_by_role("status").first).to_have_text(re.compile(r"^1 submission with a result released since"))
    axe(page)

    page.get_by_label("Status").select_option("")  # another filter changes: the ticked one stays, and says so
    expect(page.get_by_role("status").first).to_have_text(re.compile(r"^1 submission with a result released since"))
    expect(page).to_have_url(re.compile(r"released_after="))

    since.uncheck()  # removed like any filter: the list, the count and the address follow
    expect(page.get_by_role("status").first).to_have_text("7 submissions")
    expect(page).not_to_have_url(re.compile(r"released_after"))
    page.get_by_label("Status").select_option("released")
    expect(page.get_by_role("status").first).to_have_text("2 submissions")
