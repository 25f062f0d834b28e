"""Issue 3 in a real browser: one complaint's whole journey, every page checked with axe-core (SPEC §5).

A learner complains to their centre (after one refused attempt) → the centre acknowledges, responds and closes
each stage of the policy its Quality contact published in the browser, while the learner cannot escalate → the
learner escalates → the awarding body's stage 2 (customer service, who tells the learner before contacting the
centre), stage 3 (team leader) and final stage (director) → the learner is signposted to the regulator(s) of
an English centre, Ofqual.

A shorter test does the last step for a centre in each other nation (the case reaches the director through
the services): Qualifications Wales, CCEA, and SQA with the SPSO for a Scottish public-body centre.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.auth.models import Role
from portal.db import commit
from portal.workdays import Nation
from tenants.complaints import escalation, handling, intake
from tenants.complaints.intake import ComplaintDetails
from tenants.policy.services import publish
from tests.conftest import quality_contact_of

LEARNER = "Sam Smith"
LEARNER_EMAIL = "sam.smith@example.org"
CENTRE_STAGES = ("Investigation", "Review", "Final review")  # the awarding-body model the centre starts with
AWARDING_BODY_STAGES = ("Stage 2: customer service", "Stage 3: team leader review", "Final stage: director review")
OFQUAL = {"Ofqual": "https://www.gov.uk/government/organisations/ofqual"}
TRACKING_LINK = re.compile(r"https?://\S+/complaints/track/[A-Za-z0-9_-]+")


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def flash(page: Page):
    return page.locator(".flash-success")


def tracking_link(mailbox) -> str:
    return TRACKING_LINK.search(mailbox.last_to(LEARNER_EMAIL).get_content()).group(0)


def expect_signposted(learner: Page, regulators: dict[str, str], outcome: str) -> None:
    """The learner's tracking page after the final stage: resolved, the final outcome and only these regulators."""
    expect(learner.locator("dl.summary")).to_contain_text("Resolved")
    final = learner.locator(".history-item").filter(has_text=f"Final outcome: {outcome}")
    for name, url in regulators.items():
        expect(final).to_contain_text(f"{name} ({url})")
    for other in ("Ofqual", "Qualifications Wales", "CCEA", "SQA", "SPSO"):
        if not any(other in name for name in regulators):
            expect(final).not_to_contain_text(other)
    expect(learner.get_by_role("button")).to_have_count(0)  # nothing left to accept, ask for or escalate
    links = learner.locator(".notice").filter(has_text="If you are not happy with the final outcome")
    for name, url in regulators.items():
        expect(links.get_by_role("link", name=name)).to_have_attribute("href", url)
    expect(links.get_by_role("link")).to_have_count(len(regulators))


def expect_signposting_links(staff: Page, regulators: dict[str, str]) -> None:
    """The awarding body's case page after the final stage: a link to each regulator the learner was sent to."""
    signposting = staff.locator(".notice").filter(has_text="Signposting after the final stage")
    for name, url in regulators.items():
        expect(signposting.get_by_role("link", name=name)).to_have_attribute("href", url)
    expect(signposting.get_by_role("link")).to_have_count(len(regulators))


def ask_for_next_stage(learner: Page, axe, closed_stage: str, outcome: str) -> None:
    """The learner, told a stage is closed, reads the outcome and asks for the next stage (no escalation yet)."""
    learner.reload()
    expect(learner.locator(".notice")).to_contain_text(f"{closed_stage} is closed. Outcome: {outcome}")
    axe(learner)
    learner.get_by_role("button", name="Ask for the next stage").click()
    expect(flash(learner)).to_contain_text("You asked for the next stage.")
    axe(learner)


def test_a_complaint_from_the_centre_to_the_final_stage_and_the_regulator(
        make_centre, make_admin, new_browser_page, live_server, mailbox, axe, sign_in):
    regulators = OFQUAL
    centre = make_centre("Northgate Training")  # in England
    slug, contact_email = centre.slug, quality_contact_of(centre).email
    customer_service, team_leader, director = (make_admin(role).email
                                              for role in ("customer_service", "team_leader", "director"))

    # The Quality contact publishes the policy the centre was provisioned with.
    centre_staff = new_browser_page()
    sign_in(centre_staff, contact_email)
    centre_staff.get_by_role("link", name="Complaints policy").click()
    expect(heading(centre_staff)).to_have_text("Complaints policy")
    axe(centre_staff)
    centre_staff.locator("#policy-status").get_by_role("button", name="Publish as version 1").click()
    expect(centre_staff.get_by_role("status").first).to_contain_text("Published version 1")
    axe(centre_staff)

    # The learner, with no account: the centre's page → its policy → the triage question → the form.
    learner = new_browser_page()
    learner.goto(f"/c/{slug}/")
    expect(heading(learner)).to_have_text("Northgate Training")
    axe(learner)
    learner.get_by_role("link", name="Read Northgate Training's complaints policy").click()
    axe(learner)
    learner.get_by_role("link", name="Make a complaint").click()
    expect(heading(learner)).to_have_text("Complain to Northgate Training")
    for stage in CENTRE_STAGES:
        expect(learner.locator("main ol")).to_contain_text(stage)
    axe(learner)
    learner.get_by_label("A complaint about the centre or a product or service").check()
    learner.get_by_role("button", name="Continue").click()
    expect(heading(learner)).to_have_text("Make a complaint to Northgate Training")
    axe(learner)

    summary = "My assignment feedback was promised in two weeks and never came."
    learner.get_by_label("Your full name").fill(LEARNER)
    learner.get_by_label("What is your complaint about?").fill(summary)
    expect(learner.locator("#summary-info")).to_have_text(f"You have {10_000 - len(summary):,} characters remaining")
    learner.get_by_label("The centre (how it runs things)").check()
    learner.get_by_label("Which of these fits best?").select_option(label="Process or timescale not followed")
    learner.get_by_label("What outcome would you like?").fill("Feedback and an apology")
    learner.get_by_role("button", name="Send complaint").click()  # no email address yet
    errors = learner.locator(".error-summary")
    expect(errors).to_be_focused()
    expect(learner).to_have_title(re.compile(r"^Error: "))
    expect(errors.get_by_role("link")).to_have_count(1)
    expect(learner.get_by_label("Your full name")).to_have_value(LEARNER)  # what was typed is kept
    expect(learner.get_by_label("What is your complaint about?")).to_have_value(summary)
    expect(learner.get_by_label("The centre (how it runs things)")).to_be_checked()
    axe(learner)
    learner.get_by_label("Your email address").fill(LEARNER_EMAIL)
    learner.get_by_role("button", name="Send complaint").click()
    expect(heading(learner)).to_have_text("We have received it")
    reference = learner.locator(".panel-success strong").inner_text()
    assert re.fullmatch(r"C-\d+-\d+", reference), reference
    axe(learner)

    learner.goto(tracking_link(mailbox))
    expect(heading(learner)).to_have_text(f"Complaint {reference}")
    track_url = learner.url
    expect(learner.get_by_role("button", name="Escalate to the awarding body")).to_have_count(0)
    expect(learner.locator("main")).to_contain_text("You can escalate to the awarding body once the centre's final "
                                                    "stage is closed")
    axe(learner)

    # The centre works through each stage of its policy; the learner asks for the next one each time.
    centre_staff.get_by_role("link", name="Complaints", exact=True).click()
    expect(heading(centre_staff)).to_have_text("Complaints")
    axe(centre_staff)
    centre_staff.get_by_role("link", name=reference).click()
    expect(heading(centre_staff)).to_have_text(f"Complaint {reference}")
    axe(centre_staff)
    for number, stage in enumerate(CENTRE_STAGES, start=1):
        expect(centre_staff.get_by_role("heading", name=f"Act on {stage}")).to_be_visible()
        centre_staff.get_by_role("button", name="Acknowledge").click()
        expect(flash(centre_staff)).to_contain_text("Acknowledged")
        expect(centre_staff.locator(".flashes")).to_be_focused()  # the confirmation, not the top of the page
        axe(centre_staff)
        if number == 1:
            centre_staff.get_by_label("Note or update").fill("We are asking your tutor for the feedback.")
            centre_staff.get_by_label("The learner too (an update: the stage's outcome is given by closing it)").check()
            centre_staff.get_by_role("button", name="Save", exact=True).click()
            expect(flash(centre_staff)).to_contain_text("Saved.")
            axe(centre_staff)
        outcome = f"Centre outcome {number}: your feedback is attached."
        centre_staff.get_by_label("Outcome of this stage (the learner sees it)").fill(outcome)
        centre_staff.get_by_role("button", name="Close this stage").click()
        expect(flash(centre_staff)).to_contain_text("Stage closed")
        axe(centre_staff)
        if number < len(CENTRE_STAGES):
            if number == 1:  # the learner sees the update; escalation is refused before the final stage
                learner.reload()
                expect(learner.locator(".history")).to_contain_text("We are asking your tutor for the feedback.")
                expect(learner.get_by_role("button", name="Escalate to the awarding body")).to_have_count(0)
                learner.evaluate("""url => {  // a hand-made POST, with the page's own CSRF token
                    const form = document.querySelector('form[action$="/next-stage"]');
                    form.action = url;
                    form.submit();
                }""", f"{track_url}/escalate")
                expect(heading(learner)).to_have_text("That cannot be done yet")
                expect(learner.locator("main")).to_contain_text("it is not the final stage: ask the centre for the "
                                                                "next stage first")
                axe(learner)
                learner.get_by_role("link", name="Back to your complaint").click()
            ask_for_next_stage(learner, axe, stage, outcome)
            centre_staff.reload()
            axe(centre_staff)

    # The centre's final stage is closed: the learner escalates and gets a complaint service request number.
    learner.reload()
    expect(learner.get_by_role("button", name="Ask for the next stage")).to_have_count(0)
    axe(learner)
    learner.get_by_role("button", name="Escalate to the awarding body").click()
    expect(flash(learner)).to_contain_text("Your complaint is now with the awarding body.")
    service_request = learner.locator("dl.summary dd").filter(has_text=re.compile(r"^CSR-\d+$"))
    expect(service_request).to_have_count(1)
    expect(learner.get_by_role("rowheader", name=AWARDING_BODY_STAGES[0])).to_be_visible()
    axe(learner)
    csr = service_request.inner_text()

    # Stage 2: customer service, who tells the learner before contacting the centre.
    staff = new_browser_page()
    sign_in(staff, customer_service)
    staff.goto("/admin/complaints/")
    expect(heading(staff)).to_have_text("Complaints at the awarding body")
    expect(staff.get_by_role("row").filter(has_text=reference)).to_contain_text(csr)
    axe(staff)
    staff.get_by_role("link", name=reference).click()
    expect(heading(staff)).to_have_text(f"Complaint {reference}")
    case_path = staff.url.removeprefix(live_server.url)
    axe(staff)
    staff.get_by_role("button", name="Acknowledge").click()
    expect(flash(staff)).to_contain_text("Acknowledged")
    axe(staff)
    staff.get_by_label("What we will ask the centre, and why").fill("We will ask for the feedback timetable.")
    staff.get_by_role("button", name="Tell the learner we need to contact the centre").click()
    expect(flash(staff)).to_contain_text("The learner has been told that we will contact the centre.")
    axe(staff)
    staff.get_by_role("button", name="Record that we contacted the centre").click()
    expect(flash(staff)).to_contain_text("Recorded that we contacted the centre.")
    axe(staff)
    staff.get_by_label("Outcome of this stage (the complainant sees it)").fill("Stage 2: the centre will apologise.")
    staff.get_by_role("button", name="Close the stage").click()
    expect(flash(staff)).to_contain_text("Stage closed")
    axe(staff)
    learner.reload()
    expect(learner.locator(".history")).to_contain_text("we need to contact Northgate Training")
    ask_for_next_stage(learner, axe, AWARDING_BODY_STAGES[0], "Stage 2: the centre will apologise.")

    # Stage 3: the team leader; then the final stage: the director.
    for person, stage, outcome in ((team_leader, AWARDING_BODY_STAGES[1], "Stage 3: the review agrees."),
                                   (director, AWARDING_BODY_STAGES[2], "Final: the complaint is upheld in part.")):
        staff = new_browser_page()
        sign_in(staff, person)
        staff.goto(case_path)
        expect(staff.get_by_role("heading", name=f"Act on {stage}")).to_be_visible()
        axe(staff)
        staff.get_by_label("Outcome of this stage (the complainant sees it)").fill(outcome)
        staff.get_by_role("button", name="Close the stage").click()
        expect(flash(staff)).to_contain_text("Stage closed")
        axe(staff)
        if stage != AWARDING_BODY_STAGES[-1]:
            ask_for_next_stage(learner, axe, stage, outcome)

    expect_signposting_links(staff, regulators)

    # The learner's page: the final outcome and the regulator(s) of the centre's nation, and nothing to do.
    learner.reload()
    expect_signposted(learner, regulators, "Final: the complaint is upheld in part.")
    axe(learner)
    assert tracking_link(mailbox) and "Final outcome of your complaint" in mailbox.last_to(LEARNER_EMAIL)["Subject"]


@pytest.mark.parametrize(("nation", "public_body", "regulators"), [
    pytest.param(Nation.SCOTLAND, True, {"SQA (Scottish Qualifications Authority)": "https://www.sqa.org.uk/",
                                         "Scottish Public Services Ombudsman (SPSO)": "https://www.spso.org.uk/"},
                 id="scottish-public-body-centre"),
    pytest.param(Nation.WALES, False, {"Qualifications Wales": "https://qualifications.wales/"}, id="welsh-centre"),
    pytest.param(Nation.NORTHERN_IRELAND, False,
                 {"CCEA (Council for the Curriculum, Examinations and Assessment)": "https://ccea.org.uk/"},
                 id="northern-irish-centre"),
])
def test_the_final_stage_signposts_the_regulator_of_the_centres_nation(
        nation, public_body, regulators, make_centre, make_admin, new_browser_page, axe, sign_in):
    """The short version elsewhere: the case reaches the director through the services, the last step is clicked."""
    centre = make_centre("Glenview College", nation=nation, public_body=public_body)
    contact = quality_contact_of(centre)
    by_role = {role: make_admin(role.value) for role in (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER, Role.DIRECTOR)}
    publish(centre, by=contact)
    commit()
    complaint, token = intake.submit_complaint(centre, ComplaintDetails(
        name=LEARNER, email=LEARNER_EMAIL, summary="My certificate is three months late."))
    commit()
    for number in range(len(CENTRE_STAGES)):
        handling.close_stage(complaint, f"Centre outcome {number + 1}.", by=contact)
        commit()
        if number < len(CENTRE_STAGES) - 1:
            handling.learner_asks_next_stage(complaint)
            commit()
    escalation.escalate(complaint)
    commit()
    for role in (Role.CUSTOMER_SERVICE, Role.TEAM_LEADER):
        handling.close_stage(complaint, f"Outcome of {complaint.current_stage.name}.", by=by_role[role])
        handling.learner_asks_next_stage(complaint)
        commit()
    case_path, track_path = f"/admin/complaints/{complaint.id}", f"/c/{centre.slug}/complaints/track/{token}"

    director = new_browser_page()
    sign_in(director, by_role[Role.DIRECTOR].email)
    director.goto(case_path)
    expect(director.get_by_role("heading", name=f"Act on {AWARDING_BODY_STAGES[-1]}")).to_be_visible()
    axe(director)
    director.get_by_label("Outcome of this stage (the complainant sees it)").fill("Not upheld.")
    director.get_by_role("button", name="Close the stage").click()
    expect(flash(director)).to_contain_text("Stage closed")
    expect_signposting_links(director, regulators)
    axe(director)

    learner = new_browser_page()
    learner.goto(track_path)
    expect_signposted(learner, regulators, "Not upheld.")
    axe(learner)
