"""Issue 9 §2 in a real browser: a complaint only about a member of staff of a Scottish public-body centre (Fife)
goes, once the centre's process is exhausted, to the Scottish Public Services Ombudsman — not the awarding body
(SPEC §5.3). Every page is checked with axe-core.

The learner complains in the browser about a tutor's behaviour; the centre's staff close each stage of the policy
in the browser while the learner asks for the next; after the final stage the tracking page, the last update and
the "Stage closed" email all say the next step is the SPSO (its link and the 12-month limit), the page offers
only "Accept the outcome", and a hand-made escalation is refused with the same explanation.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.db import commit
from portal.workdays import Nation
from tenants.policy.services import publish
from tests.conftest import quality_contact_of
from tests.e2e.test_complaint_journey import CENTRE_STAGES, LEARNER, LEARNER_EMAIL, flash, heading, tracking_link

SPSO_NAME = "Scottish Public Services Ombudsman (SPSO)"
SPSO_URL = "https://www.spso.org.uk/"


def test_a_staff_only_complaint_at_fife_goes_to_the_spso(make_centre, new_browser_page, mailbox, axe, sign_in):
    centre = make_centre("Fife College of Leadership", nation=Nation.SCOTLAND, public_body=True)
    slug, contact = centre.slug, quality_contact_of(centre)
    publish(centre, by=contact)
    commit()

    learner = new_browser_page()
    learner.goto(f"/c/{slug}/complaints/new")
    expect(heading(learner)).to_have_text("Make a complaint to Fife College of Leadership")
    axe(learner)
    learner.get_by_label("Your full name").fill(LEARNER)
    learner.get_by_label("Your email address").fill(LEARNER_EMAIL)
    learner.get_by_label("What is your complaint about?").fill("My tutor shouted at me in front of the class.")
    learner.get_by_label("Only the behaviour of a member of the centre's staff").check()
    learner.get_by_label("Which of these fits best?").select_option(label="Lack of customer focus")
    learner.get_by_label("What outcome would you like?").fill("An apology")
    learner.get_by_role("button", name="Send complaint").click()
    expect(heading(learner)).to_have_text("We have received it")
    reference = learner.locator(".panel-success strong").inner_text()
    learner.goto(tracking_link(mailbox))
    expect(learner.locator("#way-forward")).to_contain_text(f"After the centre's process the next step is the "
                                                            f"{SPSO_NAME}")
    expect(learner.get_by_role("link", name=SPSO_NAME)).to_have_count(0)  # not yet: the process is not exhausted
    axe(learner)

    staff = new_browser_page()
    sign_in(staff, contact.email)
    staff.goto(f"/c/{slug}/cases/")
    staff.get_by_role("link", name=reference).click()
    expect(heading(staff)).to_have_text(f"Complaint {reference}")
    axe(staff)
    for number, stage in enumerate(CENTRE_STAGES, start=1):
        expect(staff.get_by_role("heading", name=f"Act on {stage}")).to_be_visible()
        outcome = f"Outcome {number}: the tutor has apologised."
        staff.get_by_label("Outcome of this stage (the learner sees it)").fill(outcome)
        staff.get_by_role("button", name="Close this stage").click()
        expect(flash(staff)).to_contain_text("Stage closed")
        axe(staff)
        learner.reload()
        expect(learner.locator(".notice").first).to_contain_text(f"{stage} is closed. Outcome: {outcome}")
        expect(learner.get_by_role("button", name="Escalate to the awarding body")).to_have_count(0)
        if number < len(CENTRE_STAGES):
            expect(learner.get_by_role("link", name=SPSO_NAME)).to_have_count(0)
            axe(learner)
            learner.get_by_role("button", name="Ask for the next stage").click()
            expect(flash(learner)).to_contain_text("You asked for the next stage.")
            staff.reload()

    # The centre's final stage is closed: the SPSO, with its link and time limit; only "Accept" is offered.
    expect(learner.get_by_role("button")).to_have_text(["Accept the outcome"])
    spso = learner.locator("#signposting")
    expect(spso.get_by_role("heading")).to_have_text("The Scottish Public Services Ombudsman (SPSO)")
    expect(spso.get_by_role("link", name=SPSO_NAME)).to_have_attribute("href", SPSO_URL)
    expect(spso).to_contain_text("normally within 12 months")
    expect(learner.locator("#way-forward")).to_contain_text("not the awarding body")
    expect(learner.locator("main")).not_to_contain_text("escalate your complaint to the awarding body")
    last_update = learner.locator(".history-item").filter(has_text=f"{CENTRE_STAGES[-1]} is closed")
    expect(last_update).to_contain_text(SPSO_NAME)
    expect(last_update).not_to_contain_text("escalate your complaint to the awarding body")
    axe(learner)
    email = mailbox.last_to(LEARNER_EMAIL)
    assert email["Subject"].startswith("Stage closed")
    body = " ".join(email.get_content().split())
    assert SPSO_NAME in body and SPSO_URL in body and "normally within 12 months" in body
    assert "escalate your complaint to the awarding body" not in body

    # A hand-made escalation (with the page's own CSRF token) is refused with the same explanation.
    learner.evaluate("""url => {
        const form = document.querySelector('form[action$="/accept"]');
        form.action = url;
        form.submit();
    }""", re.sub(r"/?$", "/escalate", learner.url.split("#")[0]))
    expect(heading(learner)).to_have_text("That cannot be done yet")
    expect(learner.locator("main")).to_contain_text(f"the next step is the {SPSO_NAME}")
    axe(learner)
    learner.get_by_role("link", name="Back to your complaint").click()
    learner.get_by_role("button", name="Accept the outcome").click()
    expect(flash(learner)).to_contain_text("You accepted the outcome.")
    expect(learner.get_by_role("button")).to_have_count(0)
    axe(learner)
