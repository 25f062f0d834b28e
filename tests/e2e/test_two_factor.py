"""Issue 13 §2 in a real browser: a platform admin is sent to set up two-factor sign-in, adds the key shown beside
the QR code to an "authenticator" (pyotp), signs out, and signs in again with a code; each page checked with axe."""
from __future__ import annotations

import re

import pyotp
from playwright.sync_api import expect

from portal.auth import two_factor
from portal.extensions import db
from tests.conftest import PASSWORD


def test_a_platform_admin_enrols_then_signs_in_with_a_code(make_admin, page, axe):
    admin = make_admin("platform_admin")
    admin.two_factor_secret = admin.two_factor_enabled_at = None  # not enrolled yet
    db.session.commit()

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/two-factor/set-up$"))
    expect(page.get_by_role("img", name=re.compile("QR code to add"))).to_be_visible()
    axe(page)

    authenticator = pyotp.TOTP(page.locator("#secret-key").inner_text().replace(" ", ""))
    page.get_by_label("Code from your app").fill(authenticator.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    axe(page)
    page.get_by_role("link", name="I have saved my recovery codes").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.get_by_role("button", name="Sign out").click()

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    axe(page)
    # The enrolment used this 30-second step's code, and no code works twice: the app's next code.
    page.get_by_label("Code", exact=True).fill(authenticator.at(two_factor.utcnow(), counter_offset=1))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
