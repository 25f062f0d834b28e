"""Regulator signposting after the awarding body's final stage, for every nation × public-body flag × subject
(SPEC §5.3; ILM complaints policy v3, "Further Information"): Ofqual (England), Qualifications Wales, CCEA
(Northern Ireland), SQA (Scotland); the SPSO too for learners of a Scottish public-body centre; and for a
complaint only about such a centre's staff, the SPSO straight after the centre — the awarding body has no stage.
"""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.db import commit
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import Nation
from tenants.complaints import escalation, handling
from tenants.complaints.models import Audience, Complaint, ComplaintUpdate, Route, Status, Subject
from tenants.complaints.signposting import (
    only_about_public_body_staff,
    regulators_after_final_stage,
    regulators_for,
)

REGULATOR = {Nation.ENGLAND: "ofqual", Nation.WALES: "qualifications_wales", Nation.NORTHERN_IRELAND: "ccea",
             Nation.SCOTLAND: "sqa"}
SPSO_ONLY_AFTER_CENTRE = "spso only, after the centre"


def expected(nation: Nation, public_body: bool, subject: Subject):
    """The table, written out: what the learner is signposted to (codes), or the SPSO-only route."""
    if nation is Nation.SCOTLAND and public_body and subject is Subject.CENTRE_STAFF:
        return SPSO_ONLY_AFTER_CENTRE
    if nation is Nation.SCOTLAND and public_body and subject is not Subject.PRODUCT_SERVICE:
        return ["sqa", "spso"]  # never the SPSO for the awarding body's own product or service
    return [REGULATOR[nation]]  # a public-body flag outside Scotland changes nothing: the SPSO is Scotland's


COMBINATIONS = [pytest.param(n, p, s, id=f"{n.value}-{'public' if p else 'private'}-{s.value}")
                for n, p, s in itertools.product(Nation, (False, True), Subject)]


def test_the_table_covers_every_combination():
    assert len(COMBINATIONS) == 4 * 2 * 3
    assert sum(expected(n, p, s) == SPSO_ONLY_AFTER_CENTRE for n, p, s in
               itertools.product(Nation, (False, True), Subject)) == 1


@pytest.mark.parametrize(("nation", "public_body", "subject"), COMBINATIONS)
def test_signposting_rules(nation, public_body, subject):
    want = expected(nation, public_body, subject)
    staff_only = subject is Subject.CENTRE_STAFF
    assert only_about_public_body_staff(nation, public_body, staff_only) is (want == SPSO_ONLY_AFTER_CENTRE)
    if want != SPSO_ONLY_AFTER_CENTRE:
        spso = nation is Nation.SCOTLAND and public_body and subject is not Subject.PRODUCT_SERVICE
        assert [r.code for r in regulators_after_final_stage(nation, spso)] == want


@pytest.mark.parametrize(("nation", "public_body", "subject"), COMBINATIONS)
def test_signposting_through_the_whole_learner_route(escalated_case, make_centre, advance, people, signed_in, nation,
                                                     public_body, subject):
    """Escalate, run stage 2, stage 3 and the final stage; the outcome names the regulators in order."""
    want = expected(nation, public_body, subject)
    if want == SPSO_ONLY_AFTER_CENTRE:
        _refused_with_the_spso_explanation(make_centre, escalated_case, nation, public_body, subject)
        return
    complaint = advance(escalated_case(nation=nation, public_body=public_body, subject=subject), 2)
    handling.close_stage(complaint, "We reprinted the certificate.", by=people[Role.DIRECTOR])
    commit()
    assert complaint.status is Status.RESOLVED and complaint.regulator == want[0]
    assert [r.code for r in regulators_for(complaint)] == want
    outcome = db.session.execute(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == complaint.id,
                                                               ComplaintUpdate.kind == "outcome")).scalar_one()
    assert outcome.audience is Audience.LEARNER
    names = [r.name for r in regulators_for(complaint)]
    assert all(name in outcome.body for name in names)
    assert ("Scottish Public Services Ombudsman" in outcome.body) is ("spso" in want)
    page = signed_in(people[Role.CUSTOMER_SERVICE]).get(f"/admin/complaints/{complaint.id}").get_data(as_text=True)
    assert "Signposting after the final stage" in page and all(name.replace("&", "&amp;") in page for name in names)


def _refused_with_the_spso_explanation(make_centre, escalated_case, nation, public_body, subject):
    centre = make_centre("Fife College", nation=nation, public_body=public_body)
    try:
        escalated_case(centre, subject=subject)
    except Refused as refused:
        message = refused.message
    else:
        pytest.fail("a complaint only about a Scottish public body's staff was escalated to the awarding body")
    db.session.rollback()
    assert "Scottish Public Services Ombudsman (SPSO)" in message and "not the awarding body" in message
    assert "Fife College" in message
    complaint = db.session.execute(select(Complaint)).scalar_one()
    verdict = escalation.eligibility(complaint)
    assert not verdict.allowed and "SPSO" in verdict.explanation
    assert complaint.escalated_at is None and complaint.service_request_number is None


DIRECT = [
    pytest.param(None, False, ["ofqual"], id="member-of-the-public-no-centre"),
    pytest.param(Nation.WALES, False, ["qualifications_wales"], id="welsh-centre"),
    pytest.param(Nation.NORTHERN_IRELAND, False, ["ccea"], id="northern-irish-centre"),
    # The SPSO hears complaints about a Scottish public body from the people it serves; here the complainant is
    # the public body itself, complaining about the awarding body.
    pytest.param(Nation.SCOTLAND, True, ["sqa"], id="scottish-public-body-centre-complaining-itself"),
]


@pytest.mark.parametrize(("nation", "public_body", "want"), DIRECT)
def test_direct_route_signposting(direct_case, make_centre, advance, people, nation, public_body, want):
    centre = make_centre(nation=nation, public_body=public_body) if nation else None
    complaint = advance(direct_case(from_centre=centre, subject=Subject.PRODUCT_SERVICE), 2)
    handling.close_stage(complaint, "Final answer.", by=people[Role.DIRECTOR])
    commit()
    assert complaint.route is Route.DIRECT and complaint.regulator == want[0]
    assert [r.code for r in regulators_for(complaint)] == want
