"""SPEC §3 and §6.2: learners registered at a centre — ENR unique within the centre, status, the staff rule."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.db import commit
from portal.extensions import db
from tenants.learners.models import Learner, LearnerStatus
from tenants.learners.services import PAGE_SIZE, find_learner
from tests.conftest import Auth, quality_contact_of

HX = {"HX-Request": "true"}
SAM = {"first_name": "Sam", "last_name": "Smith", "enrolment_number": "ABC123", "email": "sam@example.org",
       "qualification": "ILM Level 5 Certificate in Leadership and Management"}


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).sign_in(user).status_code == 303
    return client


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def learners_at(centre) -> list[Learner]:
    return list(db.session.execute(select(Learner).where(Learner.centre_id == centre.id)
                                   .order_by(Learner.id)).scalars())


def audit_events(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)).scalars())


@pytest.fixture
def member(centre, make_staff):
    return make_staff(centre, name="Tia Tutor", email="tia@example.org")


@pytest.fixture
def browser(app, member):
    """An ordinary member of the centre's staff: learners are every member's business."""
    return signed_in(app, member)


def url(centre, path: str = "") -> str:
    return f"/c/{centre.slug}/learners/{path}"


def add(centre, **values):
    learner = Learner(centre_id=centre.id, **{"first_name": "Lee", "last_name": "Learner",
                                              "enrolment_number": "LEE001", **values})
    db.session.add(learner)
    commit()
    return learner


# --- registering and editing -----------------------------------------------------------------------------

def test_a_member_of_staff_registers_a_learner(browser, centre, member):
    assert browser.get(url(centre, "new")).status_code == 200
    typed = {**SAM, "enrolment_number": " abc123 ", "email": " Sam@Example.org"}
    response = browser.post(url(centre, "new"), data=typed)
    assert response.status_code == 303
    (learner,) = learners_at(centre)
    assert (learner.full_name, learner.enrolment_number, learner.email, learner.status) == (
        "Sam Smith", "ABC123", "sam@example.org", LearnerStatus.IN_PROGRESS)
    (event,) = audit_events("learner_added")
    assert (event.centre_id, event.actor_id, event.subject) == (centre.id, member.id, "ABC123")
    listing = text(browser.get(url(centre)))
    assert "Sam Smith" in listing and "ABC123" in listing and "In progress" in listing


def test_email_is_optional(browser, centre):
    assert browser.post(url(centre, "new"), data={**SAM, "email": ""}).status_code == 303
    assert learners_at(centre)[0].email is None


INVALID = [  # (changes to SAM, field, message)
    ({"first_name": ""}, "first_name", "Enter the learner's first name."),
    ({"last_name": "  "}, "last_name", "Enter the learner's last name."),
    ({"enrolment_number": ""}, "enrolment_number", "Enter the learner's enrolment number (ENR)."),
    ({"enrolment_number": "AB 123"}, "enrolment_number", "letters and digits only"),
    ({"enrolment_number": "AB(1)"}, "enrolment_number", "letters and digits only"),
    ({"enrolment_number": "AB"}, "enrolment_number", "letters and digits only, 3 to 40"),
    ({"email": "not-an-address"}, "email", "Enter an email address like name@example.org."),
    ({"first_name": "x" * 81}, "first_name", "First name must be 80 characters or fewer"),
]


@pytest.mark.parametrize("changes, field, message", INVALID, ids=[str(c)[:40] for c, _, _ in INVALID])
def test_invalid_details_are_refused_beside_the_field_and_kept(browser, centre, changes, field, message):
    response = browser.post(url(centre, "new"), data={**SAM, **changes})
    assert response.status_code == 422
    body = text(response)
    assert message in body and "There is a problem" in body and f'href="#{field}"' in body
    assert 'value="ILM Level 5 Certificate in Leadership and Management"' in body  # what was typed is kept
    assert learners_at(centre) == []


def test_enr_is_unique_within_the_centre_not_across_centres(app, browser, centre, other_centre, make_staff):
    add(centre, first_name="Sam", last_name="Smith", enrolment_number="ABC123")
    again = browser.post(url(centre, "new"), data={**SAM, "first_name": "Samira", "enrolment_number": "abc123"})
    assert again.status_code == 422
    assert "Enrolment number ABC123 is already used by Sam Smith at this centre." in text(again)
    assert len(learners_at(centre)) == 1
    elsewhere = signed_in(app, make_staff(other_centre))
    assert elsewhere.post(url(other_centre, "new"), data=SAM).status_code == 303
    assert [lr.enrolment_number for lr in learners_at(other_centre)] == ["ABC123"]
    assert find_learner(centre, " abc123").centre_id == centre.id
    assert find_learner(other_centre, "ABC123").centre_id == other_centre.id
    assert find_learner(centre, "NOPE999") is None


def test_the_database_also_holds_enr_uniqueness(app, centre):
    from sqlalchemy.exc import IntegrityError

    add(centre, enrolment_number="DUP001")
    db.session.add(Learner(centre_id=centre.id, first_name="A", last_name="B", enrolment_number="DUP001"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_editing_a_learner(browser, centre):
    learner = add(centre, **{k: v for k, v in SAM.items()})
    other = add(centre, first_name="Ola", last_name="Other", enrolment_number="OLA777")
    form = browser.get(url(centre, f"{learner.id}/edit"))
    assert form.status_code == 200 and 'value="ABC123"' in text(form)
    changed = {**SAM, "last_name": "Smith-Jones", "qualification": "ILM Level 3 Award"}
    assert browser.post(url(centre, f"{learner.id}/edit"), data=changed).status_code == 303
    assert (learner.last_name, learner.qualification) == ("Smith-Jones", "ILM Level 3 Award")
    (event,) = audit_events("learner_changed")
    assert "last_name: Smith → Smith-Jones" in event.detail
    clash = browser.post(url(centre, f"{learner.id}/edit"),
                         data={**changed, "enrolment_number": other.enrolment_number})
    assert clash.status_code == 422 and "already used by Ola Other" in text(clash)
    assert learner.enrolment_number == "ABC123"
    # saving without a change records nothing
    assert browser.post(url(centre, f"{learner.id}/edit"), data=changed).status_code == 303
    assert len(audit_events("learner_changed")) == 1


def test_another_centres_learner_is_404(app, centre, other_centre, make_staff):
    theirs = add(other_centre, enrolment_number="THEIRS1")
    client = signed_in(app, make_staff(centre))
    assert client.get(url(centre, f"{theirs.id}/edit")).status_code == 404
    assert client.post(url(centre, f"{theirs.id}/status"), data={"status": "completed"}).status_code == 404
    found = text(client.get(url(centre) + "?q=THEIRS1", headers=HX))
    assert "THEIRS1" not in found and "0 learners" in found
    assert theirs.status is LearnerStatus.IN_PROGRESS


# --- status and the staff-account rule (SPEC §3) ---------------------------------------------------------

def test_marking_completed_and_back_in_progress(browser, centre):
    learner = add(centre)
    row = browser.post(url(centre, f"{learner.id}/status"), data={"status": "completed"}, headers=HX)
    assert row.status_code == 200
    body = text(row)
    assert body.startswith('{# ') is False and f'id="learner-{learner.id}"' in body and "<html" not in body
    assert "Lee Learner's qualification is now completed." in body and "Back in progress" in body
    assert learner.status is LearnerStatus.COMPLETED
    again = browser.post(url(centre, f"{learner.id}/status"), data={"status": "completed"}, headers=HX)
    assert "already completed" in text(again) and 'role="alert"' in text(again)
    plain = browser.post(url(centre, f"{learner.id}/status"), data={"status": "in_progress"})
    assert plain.status_code == 303
    assert learner.status is LearnerStatus.IN_PROGRESS
    assert [e.action for e in audit_events("learner_completed") + audit_events("learner_reopened")] == [
        "learner_completed", "learner_reopened"]
    assert browser.post(url(centre, f"{learner.id}/status"), data={}, headers=HX).status_code == 200
    assert learner.status is LearnerStatus.IN_PROGRESS


def test_a_learner_in_progress_cannot_get_a_staff_account_until_completed(app, browser, centre):
    """The learner's status feeds the staff side's refusal (tenants.staff.services)."""
    browser.post(url(centre, "new"), data={**SAM, "email": "sam.learner@example.org"})
    (learner,) = learners_at(centre)
    request = {"name": "Sam Smith", "email": "Sam.Learner@example.org"}
    refused = browser.post(f"/c/{centre.slug}/staff/accounts/new", data=request)
    assert refused.status_code == 422
    assert "registered as a learner at this centre with a qualification in progress" in text(refused)
    browser.post(url(centre, f"{learner.id}/status"), data={"status": "completed"})
    assert browser.post(f"/c/{centre.slug}/staff/accounts/new", data=request).status_code == 303


def test_active_staff_cannot_be_registered_as_a_learner_in_progress(app, browser, centre, other_centre, member,
                                                                    make_staff):
    """The mirror of the staff rule: a learner with an active staff member's email is refused."""
    refused = browser.post(url(centre, "new"), data={**SAM, "email": "TIA@example.org"})
    assert refused.status_code == 422
    assert "belongs to an active staff account at this centre" in text(refused)
    assert learners_at(centre) == []
    # a staff account at another centre, or a closed one here, is no obstacle
    make_staff(other_centre, email="elsewhere@example.org")
    make_staff(centre, status="closed", email="left@example.org")
    for email, enr in (("elsewhere@example.org", "ELS001"), ("left@example.org", "LFT001")):
        response = browser.post(url(centre, "new"), data={**SAM, "email": email, "enrolment_number": enr})
        assert response.status_code == 303


def test_a_completed_learner_who_joined_the_staff_cannot_go_back_in_progress(browser, centre, member):
    learner = add(centre, email="tia@example.org", status=LearnerStatus.COMPLETED)
    response = browser.post(url(centre, f"{learner.id}/status"), data={"status": "in_progress"}, headers=HX)
    assert "belongs to an active staff account at this centre" in text(response)
    assert learner.status is LearnerStatus.COMPLETED
    # editing a completed learner's other details is fine; giving an in-progress learner that email is not
    edit = {"first_name": "Tia", "last_name": "Tutor", "enrolment_number": "LEE001", "email": "tia@example.org"}
    assert browser.post(url(centre, f"{learner.id}/edit"), data=edit).status_code == 303
    other = add(centre, enrolment_number="OTH001")
    refused = browser.post(url(centre, f"{other.id}/edit"), data={**edit, "enrolment_number": "OTH001"})
    assert refused.status_code == 422 and "active staff account" in text(refused)


# --- list, search, paging, query count ------------------------------------------------------------------

@pytest.fixture
def roster(centre, other_centre):
    going, done = LearnerStatus.IN_PROGRESS, LearnerStatus.COMPLETED
    rows = [("Sam", "Smith", "ABC123", going), ("Samira", "Khan", "KHA042", done),
            ("Ben", "Samuels", "BEN007", going), ("Zoe", "Adams", "ZOE100", going)]
    db.session.add_all(Learner(centre_id=centre.id, first_name=f, last_name=last, enrolment_number=e, status=s)
                       for f, last, e, s in rows)
    db.session.add(Learner(centre_id=other_centre.id, first_name="Sam", last_name="Elsewhere",
                           enrolment_number="ABC999"))
    commit()


@pytest.mark.parametrize("query, expected", [
    ("", ["Zoe Adams", "Samira Khan", "Ben Samuels", "Sam Smith"]),  # by surname
    ("?q=sam", ["Samira Khan", "Ben Samuels", "Sam Smith"]),
    ("?q=sam+smi", ["Sam Smith"]),
    ("?q=abc", ["Sam Smith"]),
    ("?q=kha042", ["Samira Khan"]),
    ("?q=%25", []),  # a literal %, not a wildcard
    ("?status=completed", ["Samira Khan"]),
    ("?q=sam&status=in_progress", ["Ben Samuels", "Sam Smith"]),
])
def test_search_by_name_or_enr(browser, centre, roster, query, expected):
    partial = browser.get(url(centre) + query, headers=HX)
    full = browser.get(url(centre) + query)
    assert partial.status_code == full.status_code == 200
    assert "<html" not in text(partial) and "<html" in text(full)
    body = text(partial)
    found = [name for name in ("Zoe Adams", "Samira Khan", "Ben Samuels", "Sam Smith") if name in body]
    assert sorted(found, key=body.index) == expected
    assert "Elsewhere" not in body and "ABC999" not in body
    assert f"{len(expected)} learner" in body


def test_paging(browser, centre):
    db.session.add_all(Learner(centre_id=centre.id, first_name="Pat", last_name=f"Page{n:03}",
                               enrolment_number=f"PG{n:03}") for n in range(PAGE_SIZE + 7))
    commit()
    first, second = text(browser.get(url(centre))), text(browser.get(url(centre) + "?page=2", headers=HX))
    assert "Page 1 of 2" in first and "Next page" in first and "Page000" in first and f"Page{PAGE_SIZE:03}" not in first
    assert "Page 2 of 2" in second and f"Page{PAGE_SIZE:03}" in second and "Page000" not in second
    assert f"{PAGE_SIZE + 7} learners" in second


def test_the_list_costs_the_same_statements_whatever_the_number_of_learners(browser, centre, count_queries):
    page = url(centre)

    def statements() -> int:
        browser.get(page)
        with count_queries() as queries:
            assert browser.get(page).status_code == 200
        return len(queries)

    def register(n: int, start: int) -> None:
        db.session.add_all(Learner(centre_id=centre.id, first_name="Q", last_name=f"Count{start + i}",
                                   enrolment_number=f"QC{start + i}", email=f"q{start + i}@example.org")
                           for i in range(n))
        commit()

    register(3, 0)
    few = statements()
    register(57, 100)
    assert db.session.execute(select(func.count(Learner.id))).scalar() == 60
    assert statements() == few


def test_anonymous_is_sent_to_sign_in(client, centre):
    response = client.get(url(centre))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_quality_contact_sees_learners_too(app, centre):
    client = signed_in(app, quality_contact_of(centre))
    assert client.get(url(centre)).status_code == 200
