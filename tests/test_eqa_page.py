"""Issue 9 §5 (SPEC §6.3): the External Quality Assurer's page — centres flagged for their referral rate in the last
two complete months, their rates and the service's, and the visits and actions recorded (audited)."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.admin.eqa_models import EqaFollowUp, FollowUpKind
from portal.audit import AuditEvent
from portal.auth.models import Role
from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.db import utcnow
from portal.extensions import db
from portal.workdays import london_date
from tenants.learners.models import Learner
from tenants.submissions import tracker
from tenants.submissions.models import Authenticity, Result, Submission, SubmissionStatus
from tests.conftest import Auth, quality_contact_of

URL = "/admin/eqa"
R, P = Result.REFERRED, Result.PASS


def text(response) -> str:
    """The page's text, tags removed and whitespace collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


@pytest.fixture
def unit(app):
    unit = Unit(code="8600-301", title="Managing a team", pathway=Pathway.LEADERSHIP_MANAGEMENT, level=3,
                limit_rule=LimitRule.WORDS_5000)
    db.session.add(unit)
    db.session.commit()
    return unit


_serial = iter(range(10_000, 99_999))


def released(centre, unit, results_by_month) -> None:
    """One learner per released result, in each month given."""
    for when, results in results_by_month.items():
        for result in results:
            n = next(_serial)
            learner = Learner(centre_id=centre.id, first_name="Sam", last_name=f"Smith{n}", enrolment_number=f"E{n}")
            db.session.add(learner)
            db.session.flush()
            db.session.add(Submission(centre_id=centre.id, learner_id=learner.id, unit_id=unit.id, number=1,
                                      status=SubmissionStatus.RELEASED, result=result, uploaded_at=when,
                                      released_at=when, authenticity=Authenticity.COVER_PAGE))
    db.session.commit()


@pytest.fixture
def months():
    """Moments in the month before last, last month and this month (London)."""
    return tuple(moment + timedelta(days=3) for moment in tracker.complete_months(utcnow()))


@pytest.fixture
def service(make_centre, unit, months):
    """Three centres. Month before last: service 4 of 10 referred (40%); last month 3 of 10 (30%).
    High: 3 of 4 (75%) then 2 of 4 (50%) — flagged. Once: 1 of 2 (50%) then 0 of 2 — not flagged.
    Recent: 0 of 4, 1 of 4 (25%), and every result of this month referred — not flagged (this month is partial)."""
    before_last, last, this = months
    centres = {"high": make_centre("High Referrals Ltd"), "once": make_centre("One Bad Month Ltd"),
               "recent": make_centre("Recently Worse Ltd")}
    released(centres["high"], unit, {before_last: (R, R, R, P), last: (R, R, P, P), this: (P,)})
    released(centres["once"], unit, {before_last: (R, P), last: (P, P)})
    released(centres["recent"], unit, {before_last: (P, P, P, P), last: (R, P, P, P), this: (R, R, R)})
    return centres


def signed_in(app, *roles: str, make_admin):
    client = app.test_client()
    account = make_admin(*roles)
    assert Auth(client).sign_in(account).status_code == 303
    return client, account


def test_the_page_lists_flagged_centres_with_their_rates_and_the_services(app, service, months, make_admin):
    client, _ = signed_in(app, "eqa", make_admin=make_admin)
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    before_last, last = (m.strftime("%B %Y") for m in months[:2])
    assert f"in each of the last two complete months: {before_last} and {last}" in page
    assert f"{before_last} 10 4 40%" in page and f"{last} 10 3 30%" in page  # the service's own rates
    flagged = page[page.index("Flagged centres"):page.index("Record a visit or action")]
    assert "High Referrals Ltd" in flagged
    assert "3 of 4 (75%)" in flagged and "2 of 4 (50%)" in flagged
    assert f"{before_last}: referred of released (rate; service 40%)" in flagged
    assert "One Bad Month Ltd" not in flagged and "Recently Worse Ltd" not in flagged


@pytest.mark.parametrize(("roles", "status"), [
    (("eqa",), 200),
    (("platform_admin",), 200),
    (("assessment", "quality", "finance", "customer_service", "team_leader", "director"), 403),
])
def test_who_may_see_the_page_and_record(app, service, make_admin, roles, status):
    client, _ = signed_in(app, *roles, make_admin=make_admin)
    assert client.get(URL).status_code == status
    response = client.post(f"{URL}/follow-ups", data={
        "centre": service["high"].id, "kind": "visit", "happened_on": london_date(utcnow()).isoformat(),
        "note": "Reviewed marked work with the centre."})
    assert response.status_code == (303 if status == 200 else 403)
    assert len(db.session.execute(select(EqaFollowUp)).scalars().all()) == (1 if status == 200 else 0)


def test_centre_staff_do_not_see_the_page(app, service):
    client = app.test_client()
    assert Auth(client).sign_in(quality_contact_of(service["high"])).status_code == 303
    assert client.get(URL).status_code == 404


def test_a_visit_is_recorded_audited_and_listed(app, service, make_admin):
    client, eqa = signed_in(app, "eqa", make_admin=make_admin)
    day = london_date(utcnow()) - timedelta(days=1)
    response = client.post(f"{URL}/follow-ups", data={
        "centre": service["high"].id, "kind": "visit", "happened_on": day.isoformat(),
        "note": "Visited: assessors reminded of the referral criteria.\nStandardisation booked."})
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    [follow_up] = db.session.execute(select(EqaFollowUp)).scalars().all()
    assert (follow_up.centre_id, follow_up.kind, follow_up.happened_on, follow_up.recorded_by_id) == (
        service["high"].id, FollowUpKind.VISIT, day, eqa.id)
    assert "3 of 4 referred (75%), service 40%" in follow_up.rates
    [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "eqa_follow_up_recorded")
                                 ).scalars().all()
    assert (event.actor_id, event.centre_id) == (eqa.id, service["high"].id)
    assert "Standardisation booked." in event.detail and "3 of 4 referred" in event.detail

    page = text(client.get(URL))
    assert "Follow-up recorded." in page
    listed = page[page.index("Visits and actions recorded"):]
    assert "High Referrals Ltd" in listed and "Visit" in listed and "Standardisation booked." in listed
    assert eqa.name in listed
    flagged = page[page.index("Flagged centres"):page.index("Record a visit or action")]
    assert day.strftime("%-d %b %Y") in flagged  # its last follow-up


@pytest.mark.parametrize(("fields", "message"), [
    ({"centre": ""}, "Choose the centre."),
    ({"kind": ""}, "Choose visit or action."),
    ({"happened_on": ""}, "Enter the date, for example 27 11 2026."),
    ({"happened_on": "tomorrow"}, "future"),
    ({"note": "  "}, "Say what it found or did."),
])
def test_refusals_say_why_and_keep_what_was_typed(app, service, make_admin, fields, message):
    client, _ = signed_in(app, "eqa", make_admin=make_admin)
    data = {"centre": str(service["high"].id), "kind": "action", "happened_on": london_date(utcnow()).isoformat(),
            "note": "Called the centre's Quality contact."}
    data.update(fields)
    if data["happened_on"] == "tomorrow":
        data["happened_on"] = (london_date(utcnow()) + timedelta(days=1)).isoformat()
        message = "Record a visit or action once it has happened: the date cannot be in the future."
    response = client.post(f"{URL}/follow-ups", data=data)
    assert response.status_code == 422
    page = text(response)
    assert "There is a problem" in page and message in page
    if fields.get("note") is None:
        assert "Called the centre's Quality contact." in page
    assert db.session.execute(select(EqaFollowUp)).scalars().all() == []


def test_the_page_runs_a_fixed_number_of_statements(app, service, unit, months, make_centre, make_admin,
                                                    count_queries):
    client, _ = signed_in(app, "eqa", make_admin=make_admin)

    def statements() -> int:
        client.get(URL)
        with count_queries() as seen:
            assert client.get(URL).status_code == 200
        return len(seen)

    def follow_up(centre) -> None:
        db.session.add(EqaFollowUp(centre_id=centre.id, kind=FollowUpKind.ACTION, happened_on=months[1].date(),
                                   note="Called.", recorded_by_id=make_admin("eqa").id))

    follow_up(service["high"])  # one recorder's roles are read in one statement however many there are
    db.session.commit()
    few = statements()
    for n in range(3):
        centre = make_centre(f"Another High {n}")
        released(centre, unit, {months[0]: (R, R), months[1]: (R, R)})
        follow_up(centre)
    db.session.commit()
    assert statements() == few


def test_the_role_has_a_readable_name():
    assert Role.EQA.label == "External Quality Assurer"
