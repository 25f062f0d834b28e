"""Complaint reports in a real browser: the centre's and the awarding body's, checked with axe-core, the
filter form swapping the report through htmx (URL pushed), and the chart passing the CSP (no inline styles)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.complaints.conftest import make_policy_centre  # noqa: F401 - a fixture `known` needs
from tests.conftest import quality_contact_of
from tests.reports.conftest import known  # noqa: F401 - the hand-worked world of tests/reports


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_a_centres_report_and_its_filters(known, page, axe, sign_in):  # noqa: F811
    a, _, _ = known
    sign_in(page, quality_contact_of(a).email)
    page.get_by_role("navigation", name=a.name).get_by_role("link", name="Reports").click()
    expect(heading(page)).to_have_text("Complaint reports")
    axe(page)

    page.get_by_label("From (month received)").fill("2026-01")
    page.get_by_label("To (month received)").fill("2026-04")
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"5 complaints\s+received Jan 2026 to Apr 2026"))
    expect(page).to_have_url(re.compile(r"/reports\?start=2026-01&end=2026-04$"))
    expect(page.get_by_role("img", name=re.compile("Complaints received per month"))).to_be_visible()
    assert page.locator("svg rect.bar").count() == 4
    expect(page.get_by_role("row", name=re.compile(r"^Stage 1: investigation 3 4 50%"))).to_be_visible()
    axe(page)

    page.get_by_label("To (month received)").fill("2025-12")  # before the first month
    page.get_by_role("button", name="Show report").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("The last month must be the same as or after the first")
    axe(page)


def test_the_awarding_bodys_report(known, make_admin, page, axe, sign_in):  # noqa: F811
    sign_in(page, make_admin("quality").email)
    page.get_by_role("navigation", name="Awarding body").get_by_role("link", name="Reports").click()
    expect(heading(page)).to_have_text("Complaint reports")
    page.goto("/admin/reports?start=2026-01&end=2026-04")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"9 complaints\s+received Jan 2026 to Apr 2026"))
    axe(page)
    page.get_by_label("Centres in").select_option("scotland")
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_role("status")).to_contain_text("at centres in Scotland")
    expect(page.get_by_role("row", name=re.compile(r"^Fife College"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Northgate Training"))).to_have_count(0)
    axe(page)
