"""Centres (SPEC §2): the public application, the 20-working-day decision clock, approval and provisioning,
decline, and suspension / reinstatement / closure by a platform admin."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import lxml.html
import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.auth.models import AccountStatus, User
from portal.db import commit, utcnow
from portal.extensions import db
from portal.workdays import Nation, to_london
from tenants import services as centres
from tenants.models import Centre, CentreStatus
from tests.conftest import PASSWORD, Auth, quality_contact_of

APPLICATION = {
    "name": "Fife Learning Partnership",
    "nation": "scotland",
    "scottish_public_body": "y",
    "address": "1 Kirk Wynd\nCupar KY15 4AA",
    "website": "https://fife-learning.example",
    "contact_name": "Morag Reid",
    "contact_email": "Morag.Reid@Fife-Learning.example",
    "contact_phone": "01334 000000",
    "qualifications_sought": "ILM Level 3 Certificate in Leadership and Management",
}
REQUIRED = ["name", "nation", "address", "contact_name", "contact_email", "qualifications_sought"]


def page(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def error_links(response) -> dict[str, str]:
    """Error summary: field id -> message, for every linked error."""
    return {a.get("href").removeprefix("#"): a.text_content().strip()
            for a in page(response).xpath('//*[contains(@class, "error-summary")]//a')}


def field_value(doc, name: str) -> str | bool:
    """What the form would send again for `name`: an input's value, the selected option, a textarea's text."""
    found = doc.xpath("//*[@name=$name]", name=name)
    if len(found) != 1:
        return f"<{len(found)} fields named {name}>"
    element = found[0]
    if element.tag == "select":
        selected = [option.get("value") for option in element.xpath(".//option") if option.get("selected") is not None]
        return selected[0] if selected else ""
    if element.tag == "textarea":
        return (element.text or "").replace("\r\n", "\n").strip("\n")
    if element.get("type") == "checkbox":
        return element.get("checked") is not None
    return element.get("value") or ""


def events(action: str, centre: Centre | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action)
    if centre is not None:
        statement = statement.where(AuditEvent.centre_id == centre.id)
    return list(db.session.execute(statement).scalars())


def application_centre(**overrides) -> Centre:
    """An application made through the service (not the public form), committed."""
    details = dict(name="Valley Skills", nation=Nation.WALES, scottish_public_body=False, address="5 River St",
                   contact_name="Rhys Evans", contact_email="rhys@valley-skills.example", qualifications_sought="ILM")
    centre = centres.submit_application(**{**details, **overrides})
    commit()
    return centre


# --- the public application form -------------------------------------------------------------------------

def test_application_form_is_public(client):
    response = client.get("/apply")
    assert response.status_code == 200
    assert set(REQUIRED) <= {element.get("name") for element in page(response).xpath("//*[@name]")}


def test_empty_application_lists_every_error_linked_to_its_field(client):
    response = client.post("/apply", data={})
    assert response.status_code == 422
    links = error_links(response)
    assert set(links) == set(REQUIRED)
    doc = page(response)
    for field_id in links:
        (element,) = doc.xpath("//*[@id=$id]", id=field_id)
        assert element.get("aria-invalid") == "true", field_id
        assert f"{field_id}-error" in element.get("aria-describedby"), field_id
        assert doc.xpath("//*[@id=$id]", id=f"{field_id}-error"), field_id
    assert db.session.execute(select(Centre)).first() is None


@pytest.mark.parametrize("left_out", REQUIRED)
def test_application_with_one_field_missing_keeps_everything_typed(client, left_out):
    typed = {**APPLICATION, left_out: ""}
    response = client.post("/apply", data=typed)
    assert response.status_code == 422
    assert set(error_links(response)) == {left_out}
    doc = page(response)
    for name, value in typed.items():
        expected = True if name == "scottish_public_body" else value
        assert field_value(doc, name) == expected, name
    assert db.session.execute(select(Centre)).first() is None


@pytest.mark.parametrize("nation", ["england", "wales", "northern_ireland"])
def test_only_a_centre_in_scotland_can_be_a_scottish_public_body(client, nation):
    response = client.post("/apply", data={**APPLICATION, "nation": nation})
    assert response.status_code == 422
    assert set(error_links(response)) == {"scottish_public_body"}
    assert "Only centres in Scotland" in error_links(response)["scottish_public_body"]
    assert field_value(page(response), "nation") == nation


def test_valid_application_is_recorded_acknowledged_and_audited(client, mailbox):
    response = client.post("/apply", data=APPLICATION)
    assert response.status_code == 200
    centre = db.session.execute(select(Centre)).scalar_one()
    assert centre.status is CentreStatus.APPLIED
    assert (centre.name, centre.nation, centre.scottish_public_body) == ("Fife Learning Partnership",
                                                                         Nation.SCOTLAND, True)
    assert centre.contact_email == "morag.reid@fife-learning.example"
    assert centre.slug is None and centre.centre_number is None
    due = to_london(centre.decision_due).strftime("%A %-d %B %Y")
    assert due in response.get_data(as_text=True)

    acknowledgement = mailbox.last_to("morag.reid@fife-learning.example")
    assert acknowledgement["Subject"] == "Your application for centre approval"
    body = acknowledgement.get_content()
    assert "Fife Learning Partnership" in body and "20 working days" in body and due in body

    (event,) = events("centre_applied", centre)
    assert event.actor_id is None and event.subject == "Fife Learning Partnership"


# --- the 20-working-day decision clock -------------------------------------------------------------------
# Worked by hand from the gov.uk bank holidays, counting from the first working day after the London date:
# Applied Mon 14 Dec 2026. England/Wales/NI: Tue 15-Fri 18 (4), Mon 21-Thu 24 (8), Fri 25 Christmas,
#   Mon 28 Boxing Day substitute (26th is a Saturday), Tue 29-Thu 31 (11), Fri 1 Jan New Year, Mon 4-Fri 8 (16),
#   Mon 11-Thu 14 (20) -> end of Thu 14 Jan 2027, 23:59:59 GMT.
# Scotland also loses Mon 4 Jan 2027 (2 January is a Saturday): Tue 5-Fri 8 (15), Mon 11-Fri 15 (20)
#   -> end of Fri 15 Jan 2027.
# Applied Tue 30 Jun 2026 23:30 UTC = Wed 1 Jul 00:30 BST: the clock counts from Wednesday, not Tuesday.
#   England: Thu 2, Fri 3 (2), 6-10 (7), 13-17 (12), 20-24 (17), Mon 27-Wed 29 (20) -> Wed 29 Jul, 23:59:59 BST.
#   Northern Ireland: Mon 13 Jul is the Battle of the Boyne substitute (12th is a Sunday) -> Thu 30 Jul.
CHRISTMAS_2026 = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
JULY_2026 = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
DECISION_CLOCK = [
    pytest.param(CHRISTMAS_2026, Nation.ENGLAND, datetime(2027, 1, 14, 23, 59, 59, tzinfo=UTC),
                 "Thursday 14 January 2027", id="england-over-christmas"),
    pytest.param(CHRISTMAS_2026, Nation.WALES, datetime(2027, 1, 14, 23, 59, 59, tzinfo=UTC),
                 "Thursday 14 January 2027", id="wales-over-christmas"),
    pytest.param(CHRISTMAS_2026, Nation.SCOTLAND, datetime(2027, 1, 15, 23, 59, 59, tzinfo=UTC),
                 "Friday 15 January 2027", id="scotland-2-january-substitute"),
    pytest.param(JULY_2026, Nation.ENGLAND, datetime(2026, 7, 29, 22, 59, 59, tzinfo=UTC),
                 "Wednesday 29 July 2026", id="england-late-evening-utc-is-next-day-in-london"),
    pytest.param(JULY_2026, Nation.NORTHERN_IRELAND, datetime(2026, 7, 30, 22, 59, 59, tzinfo=UTC),
                 "Thursday 30 July 2026", id="northern-ireland-boyne-substitute"),
]


@pytest.mark.parametrize(("applied_at", "nation", "due", "due_text"), DECISION_CLOCK)
def test_decision_is_due_20_working_days_after_the_application(app, client, make_admin, applied_at, nation, due,
                                                                due_text, mailbox):
    centre = application_centre(nation=nation, applied_at=applied_at)
    db.session.expire_all()  # read back from the database: the clock survives the round trip
    assert db.session.get(Centre, centre.id).decision_due == due
    assert due_text in mailbox.last_to("rhys@valley-skills.example").get_content()

    Auth(client).sign_in(make_admin("quality"))
    detail = client.get(f"/admin/applications/{centre.id}").get_data(as_text=True)
    assert f"Decision due by the end of {due_text}" in detail


def test_application_queue_shows_the_clock_and_flags_overdue_ones(client, make_admin):
    late = application_centre(name="Late Ltd", contact_email="late@example.org",
                              applied_at=utcnow() - timedelta(days=45))
    fresh = application_centre(name="Fresh Ltd", contact_email="fresh@example.org")
    decided = application_centre(name="Done Ltd", contact_email="done@example.org",
                                 applied_at=utcnow() - timedelta(days=90))
    decided.status = CentreStatus.DECLINED
    commit()

    Auth(client).sign_in(make_admin("quality"))
    response = client.get("/admin/applications")
    assert response.status_code == 200
    rows = {row.xpath("./th")[0].text_content().strip(): row.text_content()
            for row in page(response).xpath('//*[@id="applications"]//tbody/tr')}
    assert set(rows) == {"Late Ltd", "Fresh Ltd"}  # the queue is what awaits a decision, oldest first
    assert list(rows) == ["Late Ltd", "Fresh Ltd"]
    assert to_london(late.decision_due).strftime("%a %-d %b %Y") in rows["Late Ltd"]
    assert "Overdue" in rows["Late Ltd"]
    assert to_london(fresh.decision_due).strftime("%a %-d %b %Y") in rows["Fresh Ltd"]
    assert "Overdue" not in rows["Fresh Ltd"]
    assert "Overdue" in client.get(f"/admin/applications/{late.id}").get_data(as_text=True)
    assert "Overdue" not in client.get(f"/admin/applications/{fresh.id}").get_data(as_text=True)


# --- approval: the admin form provisions the workspace ---------------------------------------------------

APPROVAL = {"slug": "valley-skills", "centre_number": "654321", "quality_contact_name": "Carys Jones",
            "quality_contact_email": "carys@valley-skills.example"}


@pytest.fixture
def quality_admin(client, make_admin):
    """Signed in on `client`: an awarding-body account with the quality role only."""
    admin = make_admin("quality")
    assert Auth(client).sign_in(admin).status_code == 303
    return admin


# (field, what is typed, the message beside it, name); "{existing.*}" is a detail another centre already has
BAD_APPROVALS = [
    ("slug", "Valley Skills!", "lower-case letters", "slug-with-spaces-and-punctuation"),
    ("slug", "-valley", "lower-case letters", "slug-starting-with-hyphen"),
    ("slug", "valley-", "lower-case letters", "slug-ending-with-hyphen"),
    ("slug", "admin", "lower-case letters", "reserved-slug"),
    ("slug", "x" * 61, "60", "slug-too-long"),
    ("slug", "{existing.slug}", "already uses this address", "duplicate-slug"),
    ("slug", "{existing.slug_upper}", "already uses this address", "duplicate-slug-other-case"),
    ("centre_number", "12345", "six digits", "number-too-short"),
    ("centre_number", "12345a", "six digits", "number-not-digits"),
    ("centre_number", "{existing.centre_number}", "already has this centre number", "duplicate-number"),
    ("quality_contact_email", "{existing.qc_email}", "already exists", "existing-staff-email"),
    ("quality_contact_email", "{existing.qc_email_upper}", "already exists", "existing-email-other-case"),
    ("quality_contact_email", "{existing.admin_email}", "already exists", "existing-awarding-body-email"),
    ("quality_contact_email", "not-an-email", "Enter an email address", "bad-email"),
]


def test_approval_refuses_bad_or_taken_details(client, centre, quality_admin, mailbox):
    """Every line of BAD_APPROVALS on the same application: refused beside its field, what was typed kept,
    nothing approved, nobody emailed."""
    application = application_centre()
    qc = quality_contact_of(centre)

    class Existing:
        slug, slug_upper, centre_number = centre.slug, centre.slug.upper(), centre.centre_number
        qc_email, qc_email_upper, admin_email = qc.email, qc.email.upper(), quality_admin.email

    failures = []
    for field, value, message, case in BAD_APPROVALS:
        typed = {**APPROVAL, field: value.format(existing=Existing)}
        response = client.post(f"/admin/applications/{application.id}", data=typed)
        links = error_links(response)
        if response.status_code != 422 or set(links) != {field} or message not in links[field]:
            failures.append(f"{case}: {response.status_code}, errors {links}")
        elif field_value(page(response), field) != typed[field]:
            failures.append(f"{case}: what was typed in {field} was not kept")
    assert not failures, "\n".join(failures)
    db.session.expire_all()
    assert db.session.get(Centre, application.id).status is CentreStatus.APPLIED
    assert db.session.execute(select(User).where(User.email == APPROVAL["quality_contact_email"])).first() is None
    assert not events("centre_approved", application)
    assert not mailbox.to(APPROVAL["quality_contact_email"])


def test_approval_form_suggests_a_slug_and_the_next_centre_number(client, centre, quality_admin):
    application = application_centre(name="Valley Skills (Cymru) Ltd")
    doc = page(client.get(f"/admin/applications/{application.id}"))
    assert field_value(doc, "slug") == "valley-skills-cymru-ltd"
    assert field_value(doc, "centre_number") == f"{int(centre.centre_number) + 1:06d}"
    assert field_value(doc, "quality_contact_email") == "rhys@valley-skills.example"


def test_approval_provisions_the_workspace_and_its_quality_contact(client, app, quality_admin, mailbox):
    application = application_centre()
    response = client.post(f"/admin/applications/{application.id}",
                           data={**APPROVAL, "quality_contact_email": "Carys@Valley-Skills.example"})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/admin/centres/{application.id}"

    centre = db.session.get(Centre, application.id)
    assert (centre.status, centre.slug, centre.centre_number) == (CentreStatus.APPROVED, "valley-skills", "654321")
    assert centre.decided_at is not None
    contact = db.session.execute(select(User).where(User.centre_id == centre.id)).scalar_one()
    assert (contact.name, contact.email) == ("Carys Jones", "carys@valley-skills.example")
    assert contact.status is AccountStatus.ACTIVE and contact.is_quality_contact
    assert contact.password_hash is None and contact.decided_by_id == quality_admin.id

    (approved,) = events("centre_approved", centre)
    assert approved.actor_id == quality_admin.id and "654321" in approved.detail
    assert "Valley Skills is approved as centre 654321" in mailbox.last_to("rhys@valley-skills.example").get_content()
    assert client.get("/c/valley-skills/").status_code == 200

    # The Quality contact's email carries a one-time link; with it they set a password and sign in.
    invitation = mailbox.last_to("carys@valley-skills.example")
    assert invitation["Subject"] == "Set your Centre Portal password"
    link = urlsplit(re.search(r"https?://\S+/set-password/\S+", invitation.get_content()).group())
    newcomer = app.test_client()
    assert newcomer.get(link.path).status_code == 200
    set_password = newcomer.post(link.path, data={"password": PASSWORD, "confirm": PASSWORD})
    assert set_password.status_code == 303
    signed_in = Auth(newcomer).sign_in("carys@valley-skills.example")
    assert urlsplit(signed_in.headers["Location"]).path == "/c/valley-skills/staff/"
    assert newcomer.get("/c/valley-skills/staff/accounts").status_code == 200


def test_an_application_is_approved_once_only(client, quality_admin):
    application = application_centre()
    assert client.post(f"/admin/applications/{application.id}", data=APPROVAL).status_code == 303
    again = {"slug": "valley-two", "centre_number": "654322", "quality_contact_name": "Someone Else",
             "quality_contact_email": "else@valley-skills.example"}
    response = client.post(f"/admin/applications/{application.id}", data=again)
    assert response.status_code == 422
    assert "is approved; that cannot be done now" in response.get_data(as_text=True)
    centre = db.session.get(Centre, application.id)
    assert (centre.slug, centre.centre_number) == ("valley-skills", "654321")
    assert db.session.execute(select(User).where(User.email == "else@valley-skills.example")).first() is None
    assert len(events("centre_approved", centre)) == 1
    # ...and an approved centre cannot then be declined.
    client.post(f"/admin/applications/{application.id}/decline", data={"decline-reason": "Changed our mind"})
    db.session.expire_all()
    assert db.session.get(Centre, application.id).status is CentreStatus.APPROVED


def test_decline_needs_a_reason_and_tells_the_applicant(client, quality_admin, mailbox):
    application = application_centre()
    no_reason = client.post(f"/admin/applications/{application.id}/decline", data={"decline-reason": "  "})
    assert no_reason.status_code == 422  # the page again, the error in its summary and beside the field
    assert db.session.get(Centre, application.id).status is CentreStatus.APPLIED
    summary = page(no_reason).xpath('//*[contains(@class, "error-summary")]//a')
    assert [(a.get("href"), a.text_content()) for a in summary] == [("#decline-reason", "Give a reason.")]

    reason = "We could not verify the centre's premises."
    declined = client.post(f"/admin/applications/{application.id}/decline", data={"decline-reason": reason})
    assert declined.status_code == 303
    centre = db.session.get(Centre, application.id)
    assert (centre.status, centre.decision_note) == (CentreStatus.DECLINED, reason)
    message = mailbox.last_to("rhys@valley-skills.example")
    assert "cannot approve Valley Skills" in message.get_content() and reason in message.get_content()
    (event,) = events("centre_declined", centre)
    assert event.actor_id == quality_admin.id and event.detail == reason

    # A declined application cannot then be approved.
    response = client.post(f"/admin/applications/{application.id}", data=APPROVAL)
    assert response.status_code == 422 and "cannot be done now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Centre, application.id).status is CentreStatus.DECLINED
    assert not events("centre_approved")


CENTRE_MANAGEMENT = [("GET", "/admin/centres/{id}"), ("POST", "/admin/centres/{id}/staff"),
                     ("POST", "/admin/centres/{id}/quality-contact"), ("POST", "/admin/centres/{id}/status/closed")]


@pytest.mark.parametrize("status", [CentreStatus.APPLIED, CentreStatus.DECLINED], ids=str)
def test_an_application_has_no_centre_pages_to_manage(client, make_admin, status):
    application = application_centre()
    application.status = status
    commit()
    Auth(client).sign_in(make_admin())
    data = {"staff-name": "Early Bird", "staff-email": "early@example.org", "status-reason": "Tidying up",
            "user_id": "1"}
    answers = {path: client.open(path.format(id=application.id), method=method, data=data).status_code
               for method, path in CENTRE_MANAGEMENT}
    assert set(answers.values()) == {404}, answers
    db.session.expire_all()
    assert db.session.get(Centre, application.id).status is status
    assert db.session.execute(select(User).where(User.centre_id == application.id)).first() is None


# --- suspension, reinstatement, closure ------------------------------------------------------------------

@pytest.fixture
def platform_admin(app, make_admin):
    """A second browser, signed in as a platform admin."""
    browser = app.test_client()
    assert Auth(browser).sign_in(make_admin("platform_admin")).status_code == 303
    return browser


def set_status(browser, centre: Centre, new_status: str, reason: str = "Audit found problems"):
    return browser.post(f"/admin/centres/{centre.id}/status/{new_status}", data={"status-reason": reason})


def staff_page_of(browser, centre: Centre):
    return browser.get(f"/c/{centre.slug}/staff/")


def is_sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in"


def test_suspension_signs_staff_out_and_reinstatement_lets_them_sign_in_again(
        client, app, centre, other_centre, make_staff, platform_admin):
    member = make_staff(centre)
    staff_browsers = {user.email: app.test_client() for user in (quality_contact_of(centre), member)}
    for email, browser in staff_browsers.items():
        assert Auth(browser).sign_in(email).status_code == 303
        assert staff_page_of(browser, centre).status_code == 200
    neighbour = app.test_client()
    Auth(neighbour).sign_in(quality_contact_of(other_centre))

    assert set_status(platform_admin, centre, "suspended").status_code == 303
    assert db.session.get(Centre, centre.id).status is CentreStatus.SUSPENDED
    for email, browser in staff_browsers.items():
        assert is_sent_to_sign_in(staff_page_of(browser, centre)), email  # their session no longer loads
        Auth(browser).refused_sign_in(email)
    assert staff_page_of(neighbour, other_centre).status_code == 200  # other centres carry on
    public = client.get(f"/c/{centre.slug}/").get_data(as_text=True)
    assert "Not accepting submissions" in public and "is suspended" in public
    (suspended,) = events("centre_suspended", centre)
    assert "Audit found problems" in suspended.detail and suspended.actor_id is not None

    assert set_status(platform_admin, centre, "approved", "Problems fixed").status_code == 303
    assert db.session.get(Centre, centre.id).status is CentreStatus.APPROVED
    assert events("centre_reinstated", centre)
    assert "Not accepting submissions" not in client.get(f"/c/{centre.slug}/").get_data(as_text=True)
    for email, browser in staff_browsers.items():
        # Signed out means signed out: the session from before the suspension does not come back...
        assert is_sent_to_sign_in(staff_page_of(browser, centre)), email
        # ...but they can sign in again.
        assert Auth(browser).sign_in(email).status_code == 303
        assert staff_page_of(browser, centre).status_code == 200


@pytest.mark.parametrize("via", ["approved", "suspended"])
def test_closing_a_centre_ends_sign_in_for_good(client, app, centre, platform_admin, via):
    qc = quality_contact_of(centre)
    staff_browser = app.test_client()
    Auth(staff_browser).sign_in(qc)
    if via == "suspended":
        assert set_status(platform_admin, centre, "suspended").status_code == 303
    assert set_status(platform_admin, centre, "closed", "Centre has ceased trading").status_code == 303
    assert db.session.get(Centre, centre.id).status is CentreStatus.CLOSED
    assert is_sent_to_sign_in(staff_page_of(staff_browser, centre))
    Auth(staff_browser).refused_sign_in(qc)
    public = client.get(f"/c/{centre.slug}/")
    assert public.status_code == 200 and "Not accepting submissions" in public.get_data(as_text=True)
    (closed,) = events("centre_closed", centre)
    assert "Centre has ceased trading" in closed.detail

    # Closed is the end: no reinstatement, no second closure.
    for new_status in ("approved", "closed", "suspended"):
        refused = set_status(platform_admin, centre, new_status)
        assert refused.status_code == 422 and "cannot be done now" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Centre, centre.id).status is CentreStatus.CLOSED


@pytest.mark.parametrize("new_status", ["suspended", "closed"])
def test_a_status_change_needs_a_reason(centre, platform_admin, new_status):
    for reason in ("", "   "):
        response = set_status(platform_admin, centre, new_status, reason)
        assert response.status_code == 422, repr(reason)
        assert set(error_links(response)) == {"status-reason"}, repr(reason)
    db.session.expire_all()
    assert db.session.get(Centre, centre.id).status is CentreStatus.APPROVED
    assert not events(f"centre_{new_status}", centre)


@pytest.mark.parametrize("transition", ["reinstate-approved", "suspend-suspended"])
def test_a_status_change_from_the_wrong_state_is_refused(centre, platform_admin, transition):
    if transition == "suspend-suspended":
        set_status(platform_admin, centre, "suspended")
        response = set_status(platform_admin, centre, "suspended")
        expected = CentreStatus.SUSPENDED
    else:
        response = set_status(platform_admin, centre, "approved")
        expected = CentreStatus.APPROVED
    assert response.status_code == 422
    assert "cannot be done now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Centre, centre.id).status is expected


def test_only_a_platform_admin_changes_a_centres_status(client, centre, quality_admin):
    assert set_status(client, centre, "suspended").status_code == 403
    db.session.expire_all()
    assert db.session.get(Centre, centre.id).status is CentreStatus.APPROVED
    # and the quality role's centre page offers no status buttons
    assert "Suspend centre" not in client.get(f"/admin/centres/{centre.id}").get_data(as_text=True)
