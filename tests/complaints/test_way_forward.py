"""Issue 9 §1–2: "centre process first" never becomes "centre process forever", and the SPSO at the right moment
(SPEC §5.2, §5.3) — table tests through the learner's tracking page and the staff pages.

Each state of a case is built through the real services, then the learner's page is read: the buttons it offers
are exactly what the server then allows (each refused decision gets a 409 with the reason, an offered one a 303),
and the update and the email of a closed stage say the same as the page.
"""
from __future__ import annotations

import html
from datetime import timedelta

import pytest

from portal.db import commit, utcnow
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import Nation, to_london
from tenants.complaints import escalation, handling
from tenants.complaints.models import Audience, ComplaintUpdate, Exhausted, ExtensionConsent, Status
from tenants.complaints.way_forward import ACCEPT, ESCALATE, NEXT_STAGE, way_forward
from tests.complaints.conftest import act
from tests.conftest import quality_contact_of

BUTTONS = {ACCEPT: "Accept the outcome</button>", NEXT_STAGE: "Ask for the next stage</button>",
           ESCALATE: "Escalate to the awarding body</button>"}
PATHS = {ACCEPT: "accept", NEXT_STAGE: "next-stage", ESCALATE: "escalate"}
SPSO_LINK = '<a href="https://www.spso.org.uk/"'
SAYS_ESCALATE = "escalate your complaint to the awarding body"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


class Journey:
    """One learner's case at a centre, driven as the centre, the awarding body, the learner and the clock."""

    def __init__(self, client, centre, complaint, token, admin):
        self.client, self.centre, self.complaint, self.token, self.admin = client, centre, complaint, token, admin

    @property
    def track_path(self) -> str:
        return f"/c/{self.centre.slug}/complaints/track/{self.token}"

    def page(self) -> str:
        response = self.client.get(self.track_path)
        assert response.status_code == 200
        return text(response)

    def offered(self) -> set[str]:
        page = self.page()
        return {decision for decision, button in BUTTONS.items() if button in page}

    def learner(self, decision: str):
        return self.client.post(f"{self.track_path}/{PATHS[decision]}")

    def _by(self):
        stage = self.complaint.current_stage
        return quality_contact_of(self.centre) if stage.level.value == "centre" else self.admin

    def update(self, body="We are looking into it."):
        handling.post_update(self.complaint, body, learner_visible=True, by=self._by())
        commit()

    def close(self, outcome="Our outcome."):
        handling.close_stage(self.complaint, outcome, by=self._by())
        commit()

    def miss_deadline(self):
        """The clock passes the current stage's deadline."""
        stage = self.complaint.current_stage
        stage.respond_due, stage.extended_due = utcnow() - timedelta(minutes=1), None
        db.session.commit()

    def do(self, decision: str):
        response = self.learner(decision)
        assert response.status_code == 303, text(response)[:1000]

    def last_update(self) -> ComplaintUpdate:
        return db.session.execute(db.select(ComplaintUpdate).where(
            ComplaintUpdate.complaint_id == self.complaint.id, ComplaintUpdate.audience == Audience.LEARNER)
            .order_by(ComplaintUpdate.id.desc())).scalars().first()


@pytest.fixture
def journey(client, make_policy_centre, complain, make_admin):
    """`journey(nation=..., public_body=..., subject=..., stages=...)`: a fresh complaint at a fresh centre."""
    admin = make_admin("customer_service", "team_leader", "director")

    def start(name="Northgate Training", *, nation=Nation.ENGLAND, public_body=False, subject="centre", stages=None):
        centre = make_policy_centre(name, nation=nation, public_body=public_body, stages=stages)
        complaint, token = complain(centre, subject=subject)
        return Journey(client, centre, complaint, token, admin)

    return start


def _final_centre_stage_closed(j: Journey) -> None:
    for _ in range(2):
        j.close()
        j.do(NEXT_STAGE)
    j.close("Final review: we uphold the earlier findings.")


def _escalated(j: Journey) -> None:
    _final_centre_stage_closed(j)
    j.do(ESCALATE)


def _at_awarding_body_final_stage(j: Journey) -> None:
    _escalated(j)
    for _ in range(2):
        j.close()
        j.do(NEXT_STAGE)


STATES = {
    "stage 1 open, within its deadline": (lambda j: None, set()),
    "an update, then the deadline passes": (lambda j: (j.update(), j.miss_deadline()), {ESCALATE}),
    "stage 1 closed on time": (lambda j: j.close(), {ACCEPT, NEXT_STAGE}),
    "stage 1 closed after its deadline": (lambda j: (j.miss_deadline(), j.close()), {ACCEPT, NEXT_STAGE, ESCALATE}),
    "stage 1 missed, the learner went on to stage 2": (
        lambda j: (j.miss_deadline(), j.close(), j.do(NEXT_STAGE)), {ESCALATE}),
    "the final centre stage closed": (_final_centre_stage_closed, {ACCEPT, ESCALATE}),
    "accepted": (lambda j: (j.close(), j.do(ACCEPT)), set()),
    "escalated, stage 2 within its deadline": (_escalated, set()),
    "escalated, stage 2 past its deadline": (lambda j: (_escalated(j), j.miss_deadline()), {NEXT_STAGE}),
    "stage 2 closed": (lambda j: (_escalated(j), j.close()), {ACCEPT, NEXT_STAGE}),
    "final stage past its deadline": (lambda j: (_at_awarding_body_final_stage(j), j.miss_deadline()), set()),
    "final outcome given": (lambda j: (_at_awarding_body_final_stage(j), j.close()), set()),
}


@pytest.mark.parametrize("state", STATES)
def test_the_page_offers_exactly_what_the_server_allows(journey, state):
    build, expected = STATES[state]
    j = journey()
    build(j)
    assert j.offered() == expected == way_forward(j.complaint).choices
    # The invariant: waiting for a stage within its deadline, a choice, signposting, or finished.
    way, stage = way_forward(j.complaint), j.complaint.current_stage
    assert (stage.is_open and not stage.overdue(utcnow())) or way.choices or way.regulators or way.finished
    page = j.page()
    if ESCALATE not in expected:
        assert "You can now escalate" not in page and SAYS_ESCALATE not in way_forward(j.complaint).message
    for decision in sorted(set(PATHS) - expected):  # refused, with the reason, and nothing changes
        before = (j.complaint.status, len(j.complaint.stages))
        refused = j.learner(decision)
        assert refused.status_code == 409
        assert way_forward(j.complaint).refusal(decision) in text(refused)
        db.session.expire_all()
        assert (j.complaint.status, len(j.complaint.stages)) == before
    for decision in sorted(expected)[:1]:  # an offered decision goes through
        j.do(decision)


def test_final_stage_past_its_deadline_signposts_the_regulator(journey):
    j = journey()
    _at_awarding_body_final_stage(j)
    j.miss_deadline()
    page = j.page()
    assert "The awarding body's final stage is past its deadline" in page
    assert '<a href="https://www.gov.uk/government/organisations/ofqual"' in page
    j.close("Late, but final.")
    assert j.complaint.status is Status.RESOLVED  # the director can still give the outcome


def test_a_late_outcome_keeps_the_right_to_escalate_and_the_email_says_so(journey, mailbox):
    j = journey()
    j.miss_deadline()
    j.close("Sorry for the delay: here is our outcome.")
    way = way_forward(j.complaint)
    update, email = j.last_update().body, mailbox.last_to("sam@example.org").get_content()
    assert way.message in update and SAYS_ESCALATE in update
    assert way.message.split(".")[0] in email and SAYS_ESCALATE in email.replace("\n", " ")
    j.do(ESCALATE)
    assert j.complaint.exhausted_reason is Exhausted.DEADLINE_MISSED


@pytest.mark.parametrize(("stages_closed", "says"), [(1, "ask for the next stage"), (3, SAYS_ESCALATE)])
def test_stage_closed_update_and_email_are_written_from_the_decision(journey, mailbox, stages_closed, says):
    j = journey()
    for n in range(stages_closed):
        if n:
            j.do(NEXT_STAGE)
        j.close(f"Outcome {n + 1}.")
    way = way_forward(j.complaint)
    update = j.last_update()
    assert update.kind == "stage_closed" and update.body.endswith(way.message)
    email = mailbox.last_to("sam@example.org")
    assert email["Subject"].startswith("Stage closed") and says in update.body
    assert " ".join(way.message.split()) in " ".join(email.get_content().split())
    assert (SAYS_ESCALATE in update.body) is (ESCALATE in way.choices)
    assert way.message in j.page()


# --- extensions ------------------------------------------------------------------------------------------

def test_a_passed_deadline_cannot_be_extended_and_escalation_stays_open(journey, auth):
    """Issue 9: an extension after the deadline took away the learner's right to escalate (it was accepted)."""
    j = journey()
    auth.sign_in(quality_contact_of(j.centre))
    j.miss_deadline()
    assert BUTTONS[ESCALATE] in j.page()
    later = (to_london(utcnow()) + timedelta(days=10)).date().isoformat()
    response = act(j.client, j.centre, j.complaint, "extend", new_due=later, reason="Tutor on leave", consent="agreed")
    assert response.status_code == 422
    assert "has passed without its outcome, so it can no longer be extended" in text(response)
    db.session.expire_all()
    assert j.complaint.current_stage.extended_due is None
    assert "can no longer be extended" in text(j.client.get(f"/c/{j.centre.slug}/cases/{j.complaint.id}"))
    j.do(ESCALATE)
    assert j.complaint.exhausted_reason is Exhausted.DEADLINE_MISSED


def test_an_awarding_body_deadline_cannot_be_extended_once_passed(journey):
    j = journey()
    _escalated(j)
    j.miss_deadline()
    with pytest.raises(Refused, match="can no longer be extended") as refused:
        handling.extend(j.complaint, to_london(utcnow()).date() + timedelta(days=5), "Printer", "agreed", by=j.admin)
    assert refused.value.field == "new_due"


def test_an_extension_before_the_deadline_records_and_shows_the_learners_part(journey, auth, mailbox):
    j = journey()
    auth.sign_in(quality_contact_of(j.centre))
    new_due = to_london(j.complaint.current_stage.due).date() + timedelta(days=5)
    response = act(j.client, j.centre, j.complaint, "extend", new_due=new_due.isoformat(),
                   reason="Tutor on leave until Monday", consent="told")
    assert response.status_code == 303
    db.session.expire_all()
    stage = j.complaint.current_stage
    assert stage.extension_consent is ExtensionConsent.TOLD and stage.extended_at is not None
    assert "Extended (you were told of the new date): Tutor on leave until Monday" in j.page()
    email = mailbox.last_to("sam@example.org")
    assert email["Subject"].startswith("Deadline extended")
    assert "(you were told of the new date)" in email.get_content() and "Tutor on leave" in email.get_content()
    assert j.offered() == set()  # the new deadline has not passed


# --- the SPSO (SPEC §5.3) --------------------------------------------------------------------------------

def fife(journey, subject: str) -> Journey:
    return journey("Fife College of Leadership", nation=Nation.SCOTLAND, public_body=True, subject=subject)


def test_staff_only_complaint_at_a_scottish_public_body_goes_to_the_spso(journey, mailbox):
    """Issue 9: the page offered only "Accept", while the update and the email said "escalate to the awarding body",
    which the server then refused."""
    j = fife(journey, "centre_staff")
    j.close()
    assert SPSO_LINK not in j.page()  # not yet: the centre's process is not exhausted
    j.do(NEXT_STAGE)
    j.close()
    j.do(NEXT_STAGE)
    j.close("Final review: the tutor has apologised.")
    page = j.page()
    assert j.offered() == {ACCEPT}
    assert SPSO_LINK in page and "normally within 12 months" in page
    assert "The Scottish Public Services Ombudsman (SPSO)" in page
    for said in (j.last_update().body, mailbox.last_to("sam@example.org").get_content()):
        flat = " ".join(said.split())
        assert "Scottish Public Services Ombudsman (SPSO)" in flat and "https://www.spso.org.uk/" in flat
        assert "not the awarding body" in flat and SAYS_ESCALATE not in flat
    refused = j.learner(ESCALATE)
    assert refused.status_code == 409 and "Scottish Public Services Ombudsman (SPSO)" in text(refused)


def test_staff_only_complaint_whose_deadline_passed_goes_to_the_spso(journey):
    j = fife(journey, "centre_staff")
    j.miss_deadline()
    page = j.page()
    assert SPSO_LINK in page and j.offered() == set()
    assert "You can now take it to the Scottish Public Services Ombudsman (SPSO)" in page


def test_a_centre_complaint_at_a_scottish_public_body_shows_the_spso_beside_escalation(journey):
    j = fife(journey, "centre")
    _final_centre_stage_closed(j)
    page = j.page()
    assert j.offered() == {ACCEPT, ESCALATE} and SPSO_LINK in page
    assert "escalate your complaint to the awarding body or take it to the Scottish Public Services Ombudsman" \
        in " ".join(page.split())
    j.do(ESCALATE)
    assert SPSO_LINK not in j.page()  # at the awarding body now: shown again after its final stage


def test_never_the_spso_for_the_awarding_bodys_own_product_or_service(journey):
    j = fife(journey, "product_service")
    _final_centre_stage_closed(j)
    assert j.offered() == {ACCEPT, ESCALATE}
    assert "Ombudsman" not in j.page()
    j.do(ESCALATE)
    for _ in range(2):
        j.close()
        j.do(NEXT_STAGE)
    j.close("Final: the certificate is reprinted.")
    page = j.page()
    assert '<a href="https://www.sqa.org.uk/"' in page and "Ombudsman" not in page


# --- one rule for who may act, one for the learner's decision (issue 8 §3) -------------------------------

def test_can_act_is_one_rule_for_both_sides(journey):
    j = journey()
    qc, admin = quality_contact_of(j.centre), j.admin
    assert handling.can_act(qc, j.complaint) and not handling.can_act(admin, j.complaint)
    j.close()
    assert not handling.can_act(qc, j.complaint)  # waiting for the learner
    j.do(NEXT_STAGE)
    j.close()
    j.do(NEXT_STAGE)
    j.close()
    j.do(ESCALATE)
    assert handling.can_act(admin, j.complaint) and not handling.can_act(qc, j.complaint)


def test_an_unknown_decision_is_refused(journey):
    j = journey()
    with pytest.raises(Refused, match="not something you can do"):
        escalation.learner_decides(j.complaint, "reopen")
