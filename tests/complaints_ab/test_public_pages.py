"""The awarding body's public complaint pages (no account): the two routes, the direct complaint form, tracking
a direct case by its private link — and the whole direct route, stage one to signposting, through HTTP.
"""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from portal.auth.models import Role
from portal.db import commit
from portal.extensions import db
from portal.workdays import Nation
from tenants.complaints import handling
from tenants.complaints.models import Complaint, Route, Status, Subject
from tests.complaints_ab.conftest import DIRECT_FORM, reload

FORM = DIRECT_FORM


def complaints_count() -> int:
    return db.session.execute(select(func.count()).select_from(Complaint)).scalar_one()


def tracking_path(mailbox, address: str) -> str:
    body = mailbox.last_to(address).get_content()
    match = re.search(r"http://localhost(/complaints/track/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_index_explains_both_routes_and_lists_centres(client, make_centre):
    centre = make_centre("Northgate Training")
    page = text(client.get("/complaints/"))
    assert "Learners: your centre first" in page and "complain to us directly" in page
    assert f'href="/c/{centre.slug}/complaints/"' in page
    assert 'href="/complaints/direct"' in page
    assert 'href="/complaints/"' in text(client.get("/"))  # linked from the home page


def test_a_learner_complaining_about_their_centre_is_sent_there_and_keeps_what_they_typed(client):
    response = client.post("/complaints/direct", data={**FORM, "learner_at_centre": "yes"})
    page = text(response)
    assert response.status_code == 422
    assert "Learners complain to their centre first" in page
    assert 'href="/complaints/#centres"' in page
    for field in ("name", "email", "key_dates", "actions_taken", "outcome_wanted"):
        assert FORM[field] in page, field
    assert FORM["summary"] in page
    assert complaints_count() == 0


def test_the_honeypot_is_hidden_with_css_and_refused_visibly(client):
    page = text(client.get("/complaints/direct"))
    block = re.search(r'<div class="hp">(.*?)</div>', page, re.S).group(1)
    assert 'name="hp_contact"' in block and "aria-hidden" not in block
    response = client.post("/complaints/direct", data={**FORM, "hp_contact": "http://spam.example"})
    page = text(response)
    assert response.status_code == 422
    assert "We could not accept the form as it was sent" in page
    assert "http://spam.example" not in page  # cleared, so a person whose browser filled it can send again
    assert FORM["summary"] in page
    assert complaints_count() == 0


def test_a_centre_must_give_a_known_centre_number(client, make_centre):
    response = client.post("/complaints/direct", data={**FORM, "as_centre": "yes", "centre_number": ""})
    assert response.status_code == 422 and "Enter your centre number." in text(response)
    response = client.post("/complaints/direct", data={**FORM, "as_centre": "yes", "centre_number": "999999"})
    assert response.status_code == 422 and "We have no approved centre with that number" in text(response)
    centre = make_centre(nation=Nation.WALES)
    response = client.post("/complaints/direct", data={**FORM, "as_centre": "yes",
                                                       "centre_number": centre.centre_number})
    assert response.status_code == 200
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.centre_id == centre.id and complaint.complainant_is_centre and complaint.route is Route.DIRECT
    assert complaint.current_stage.name == "Stage one: customer service"


def test_a_direct_complaint_gets_a_reference_a_service_request_number_and_a_private_link(client, mailbox, people):
    received = client.post("/complaints/direct", data=FORM)
    assert received.status_code == 200
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.route is Route.DIRECT and complaint.centre_id is None and complaint.confidential
    assert complaint.subject is Subject.PRODUCT_SERVICE and complaint.reference.startswith("D-")
    # The receipt is the answer to the submission: shown once, kept nowhere in the browser's session.
    assert complaint.reference in text(received) and complaint.service_request_number in text(received)
    assert received.headers["Cache-Control"] == "no-store"
    assert "/complaints/track/" in received.get_data(as_text=True)
    with client.session_transaction() as session:
        assert not any("direct" in key or "receipt" in key for key in session)
    later = client.get("/complaints/direct/received")
    assert later.status_code == 303 and complaint.reference not in text(client.get(later.headers["Location"]))
    path = tracking_path(mailbox, "pat@example.org")
    assert complaint.service_request_number in mailbox.last_to("pat@example.org").get_content()
    assert len(mailbox.to(people[Role.CUSTOMER_SERVICE].email)) == 1
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert complaint.reference in text(page) and "Stage one: customer service" in text(page)


def test_links_open_only_their_own_kind_of_case(client, mailbox, escalated_case, direct_case, make_centre):
    assert client.get("/complaints/track/not-a-real-token").status_code == 404
    refused = client.get("/complaints/track/not-a-real-token")
    assert refused.headers["Cache-Control"] == "no-store" and "Get a new link" in text(refused)
    learner_case = escalated_case()
    learner_link = re.search(r"http://localhost(/c/[^/]+/complaints/track/[A-Za-z0-9_-]+)",
                             mailbox.last_to("lena@example.org").get_content()).group(1)
    token = learner_link.rsplit("/", 1)[1]
    assert client.get(f"/complaints/track/{token}").status_code == 404  # a centre's case: on the centre's pages
    centre = make_centre()
    direct = direct_case(from_centre=centre, email="centre@example.org")
    path = tracking_path(mailbox, "centre@example.org")  # a direct case made by a centre: our pages, not its
    assert client.get(path).status_code == 200
    token = path.rsplit("/", 1)[1]
    assert client.get(f"/c/{centre.slug}/complaints/track/{token}").status_code == 404
    assert learner_case.reference != direct.reference


def test_the_whole_direct_route_ends_with_ofqual(client, app, mailbox, people, signed_in):
    """Stage one (customer service) → stage two (team leader) → final (director), asked for from the tracking
    page, with no centre anywhere; the final outcome signposts Ofqual."""
    assert client.post("/complaints/direct", data={**FORM, "confidential": ""}).status_code == 200
    complaint = db.session.execute(select(Complaint)).scalar_one()
    path = tracking_path(mailbox, "pat@example.org")
    staff = signed_in(people[Role.CUSTOMER_SERVICE])
    case = f"/admin/complaints/{complaint.id}"
    assert staff.post(f"{case}/acknowledge").status_code == 303
    assert staff.post(f"{case}/updates", data={"update-body": "We found your order.", "update-audience": "learner"}
                      ).status_code == 303
    assert staff.post(f"{case}/updates", data={"update-body": "Internal: courier lost it.",
                                               "update-audience": "internal"}).status_code == 303
    assert "Contact the centre" not in text(staff.get(case))  # no centre on this case
    expected = [("Stage one: customer service", Role.CUSTOMER_SERVICE), ("Stage two: team leader review",
                                                                         Role.TEAM_LEADER),
                ("Final stage: director review", Role.DIRECTOR)]
    for number, (name, role) in enumerate(expected):
        page = text(client.get(path))
        assert name in page
        handler = signed_in(people[role])
        assert handler.post(f"{case}/close-stage", data={"close-outcome": f"Outcome {number}"}).status_code == 303
        page = text(client.get(path))
        if number < 2:
            assert "Ask for the next stage" in page and "Accept the outcome" in page
            response = client.post(f"{path}/next-stage")
            assert response.status_code == 303 and response.headers["Cache-Control"] == "no-store"
            assert response.headers["Location"].endswith(path)
            again = client.post(f"{path}/next-stage")  # a second press is refused, with the reason, not repeated
            assert again.status_code == 409 and "There is no next stage to ask for now." in text(again)
            assert len(reload(complaint).stages) == number + 2
    complaint = reload(complaint)
    assert complaint.status is Status.RESOLVED and complaint.regulator == "ofqual" and complaint.centre_id is None
    page = text(client.get(path))
    assert "If you are not happy with the final outcome" in page and "Ofqual" in page
    assert "Scottish Public Services Ombudsman" not in page
    assert "We found your order." in page and "Internal: courier lost it." not in page
    assert "Ask for the next stage" not in page and "Accept the outcome" not in page
    outcome = mailbox.last_to("pat@example.org")
    assert outcome["Subject"] == f"Final outcome of your complaint — {complaint.reference}"
    assert "Ofqual" in outcome.get_content()


def test_accepting_closes_a_direct_case(client, mailbox, direct_case, people):

    complaint = direct_case()
    path = tracking_path(mailbox, "lena@example.org")
    early = client.post(f"{path}/accept")
    assert early.status_code == 409 and "There is no stage outcome waiting for your decision." in text(early)
    assert reload(complaint).status is Status.OPEN  # nothing to accept while the stage is open
    handling.close_stage(complaint, "Reprinted.", by=people[Role.CUSTOMER_SERVICE])
    commit()
    assert client.post(f"{path}/accept").status_code == 303
    assert reload(complaint).status is Status.RESOLVED
    assert "You accepted the outcome" in text(client.get(path))


def test_a_new_link_can_be_sent_and_the_answer_never_says_whether_the_case_exists(client, mailbox, direct_case):
    complaint = direct_case()
    old = tracking_path(mailbox, "lena@example.org")
    wrong = client.post("/complaints/resend", data={"reference": complaint.reference, "email": "x@example.org"})
    right = client.post("/complaints/resend", data={"reference": complaint.reference.lower(),
                                                    "email": "LENA@example.org"})
    assert wrong.status_code == right.status_code == 200
    # The same page either way, but for the signed CSRF token, which carries the second it was made in.
    without_token = [re.sub(r'"X-CSRFToken": "[^"]*"', "", text(r)) for r in (wrong, right)]
    assert without_token[0] == without_token[1]
    assert len(mailbox.to("x@example.org")) == 0
    new = tracking_path(mailbox, "lena@example.org")
    assert new != old
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200


@pytest.mark.parametrize(("path", "limit"), [("/complaints/direct", 10), ("/complaints/resend", 5)])
def test_posts_are_rate_limited(client, path, limit):
    for _ in range(limit):
        assert client.post(path, data={}).status_code == 422
    assert client.post(path, data={}).status_code == 429
    assert client.get(path).status_code == 200  # reading the form is not limited


def test_learner_decisions_are_rate_limited(client, mailbox, direct_case):
    direct_case()
    path = tracking_path(mailbox, "lena@example.org")
    for _ in range(30):
        assert client.post(f"{path}/accept").status_code == 409  # refused: the stage is still open
    assert client.post(f"{path}/accept").status_code == 429
