"""Issue 9 §1: the learner is never trapped — a stateful property test (SPEC §5.2, §5.3).

Hypothesis drives random sequences of centre-staff, awarding-body-staff, learner and clock actions on one case
(learner route at an English, Welsh, Scottish or Scottish public-body centre with a one- or three-stage policy,
any subject; or a direct complaint). After every step:

- the learner waits for a stage whose deadline has not passed, has a choice (accept, next stage, escalate), is
  signposted where to go next, or the case is finished (and, after the final stage, signposted);
- a right to escalate, once open, stays open until the learner escalates or accepts (no extension, late outcome
  or update takes it back);
- the SPSO is shown only at a Scottish public-body centre, on the learner route, never for a product or service.

And at every learner action the tracking page offers a button exactly when the server then allows the action;
at every staff action an extension is refused exactly when the deadline has passed, and a closed stage's update
says "escalate" exactly when escalation is allowed.

The budget is bounded (30 cases of up to 20 steps) so it runs in `make test` in seconds.
"""
from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from portal.db import commit
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import Nation, to_london
from tenants.complaints import escalation, handling, intake
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import Audience, Complaint, ComplaintUpdate, Level, Route, Status, Subject
from tenants.complaints.signposting import SPSO
from tenants.complaints.way_forward import ACCEPT, ESCALATE, NEXT_STAGE, way_forward
from tests.complaints.conftest import MODEL_STAGES, publish
from tests.complaints.machines import Clock, frozen_clock, stateful_settings
from tests.conftest import quality_contact_of

START = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)  # a Monday morning
BUTTONS = {ACCEPT: "Accept the outcome</button>", NEXT_STAGE: "Ask for the next stage</button>",
           ESCALATE: "Escalate to the awarding body</button>"}
PATHS = {ACCEPT: "accept", NEXT_STAGE: "next-stage", ESCALATE: "escalate"}
BUDGET = stateful_settings(max_examples=30, steps=20)


@pytest.fixture
def app_overrides():
    # Mail held in the outbox (no SMTP round trip per step); many decisions from one address in one test.
    return {"MAIL_SERVER": None, "RATELIMIT_ENABLED": False}


def test_the_learner_is_never_trapped(app, make_centre, make_admin):
    centres = []
    for name, nation, public_body, stages in (
            ("Northgate Training", Nation.ENGLAND, False, MODEL_STAGES),
            ("Valleys Skills", Nation.WALES, False, MODEL_STAGES[:1]),
            ("Fife College of Leadership", Nation.SCOTLAND, True, MODEL_STAGES),
            ("Fife Council Learning", Nation.SCOTLAND, True, MODEL_STAGES[:1]),
            ("Glasgow Training Ltd", Nation.SCOTLAND, False, MODEL_STAGES)):
        centre = make_centre(name, nation=nation, public_body=public_body)
        publish(centre, stages)
        centres.append(centre)
    world = {"centres": [c.id for c in centres], "admin": make_admin("customer_service", "team_leader", "director").id,
             "client": app.test_client(), "clock": Clock(START)}
    with frozen_clock(world["clock"]):
        run_state_machine_as_test(lambda: CaseMachine(world), settings=BUDGET)


class CaseMachine(RuleBasedStateMachine):
    def __init__(self, world):
        super().__init__()
        self.world, self.clock, self.client = world, world["clock"], world["client"]
        self.complaint_id = self.token = None
        self.escalation_was_open = False

    # --- the case and its people ---

    @property
    def open_case(self) -> bool:
        """Every rule but the clock stops once the case is finished: the budget goes to live cases."""
        return self.complaint_id is not None and self.complaint.status is not Status.RESOLVED

    @property
    def complaint(self) -> Complaint:
        return db.session.get(Complaint, self.complaint_id)

    def _admin(self):
        from portal.auth.models import User

        return db.session.get(User, self.world["admin"])

    @initialize(centre=st.integers(0, 4), subject=st.sampled_from(Subject),
                direct=st.sampled_from([False, False, False, True]))
    def complain(self, centre, subject, direct):
        from tenants.models import Centre

        self.clock.now = START
        db.session.expire_all()
        details = ComplaintDetails(name="Sam Smith", email="sam@example.org", summary="My feedback never came.",
                                   subject=subject)
        where = db.session.get(Centre, self.world["centres"][centre])
        if direct:
            complaint, self.token = escalation.submit_direct_complaint(details, from_centre=None)
        else:
            complaint, self.token = intake.submit_complaint(where, details)
        commit()
        self.complaint_id = complaint.id

    # --- the clock ---

    @rule(hours=st.sampled_from([1, 20, 50, 24 * 4, 24 * 9, 24 * 16]))
    def time_passes(self, hours):
        self.clock.now += timedelta(hours=hours)

    @precondition(lambda self: self.open_case)
    @rule(after=st.booleans())
    def the_current_deadline_comes(self, after):
        """The clock to just before, or just after, the current stage's deadline (if it is still ahead)."""
        due = self.complaint.current_stage.due
        moment = due + timedelta(seconds=1) if after else due - timedelta(hours=1)
        self.clock.now = max(self.clock.now, moment)

    # --- staff (the centre's for its stages, the awarding body's for its own) ---

    def _staff(self, action):
        complaint = self.complaint
        stage = complaint.current_stage
        by = quality_contact_of(complaint.centre) if stage.level is Level.CENTRE else self._admin()
        try:
            action(complaint, by)
        except Refused as refused:
            db.session.rollback()
            return refused
        commit()
        return None

    @precondition(lambda self: self.open_case)
    @rule()
    def staff_acknowledge(self):
        self._staff(lambda c, by: handling.acknowledge(c, by=by))

    @precondition(lambda self: self.open_case)
    @rule()
    def staff_update(self):
        self._staff(lambda c, by: handling.post_update(c, "We are looking into it.", learner_visible=True, by=by))

    @precondition(lambda self: self.open_case)
    @rule(days=st.integers(1, 15), consent=st.sampled_from(["agreed", "told"]))
    def staff_extend(self, days, consent):
        complaint = self.complaint
        stage = handling.open_stage(complaint)
        passed = stage is not None and stage.overdue(self.clock.now)

        def extend(c, by):
            handling.extend(c, to_london(c.current_stage.due).date() + timedelta(days=days), "More time needed",
                            consent, by=by)

        refused = self._staff(extend)
        if stage is not None:
            assert (refused is not None) is passed, refused and refused.message
            if passed:
                assert "can no longer be extended" in refused.message

    @precondition(lambda self: self.open_case)
    @rule()
    def staff_close_stage(self):
        refused = self._staff(lambda c, by: handling.close_stage(c, "Our outcome.", by=by))
        if refused is not None:
            return
        complaint = self.complaint
        way = way_forward(complaint, self.clock.now)
        update = db.session.execute(db.select(ComplaintUpdate).where(
            ComplaintUpdate.complaint_id == complaint.id, ComplaintUpdate.audience == Audience.LEARNER)
            .order_by(ComplaintUpdate.id.desc())).scalars().first()
        assert update.body.endswith(way.message)  # the update (and its email) says what the page says
        assert ("escalate your complaint to the awarding body" in update.body) is (ESCALATE in way.choices)
        if SPSO in way.regulators:
            assert SPSO.url in update.body and "normally within 12 months" in update.body
        if SPSO.url in update.body:
            assert SPSO in way.regulators or _staff_only_at_public_body(complaint)

    # --- the learner, through the tracking page ---

    @precondition(lambda self: self.open_case)
    @rule(decision=st.sampled_from([ACCEPT, NEXT_STAGE, ESCALATE]))
    def learner_decides(self, decision):
        complaint = self.complaint
        path = (f"/c/{complaint.centre.slug}/complaints/track/{self.token}" if complaint.route is Route.CENTRE
                else f"/complaints/track/{self.token}")
        page = self.client.get(path)
        assert page.status_code == 200
        offered = BUTTONS[decision] in page.get_data(as_text=True)
        db.session.expire_all()
        expected = way_forward(self.complaint, self.clock.now)
        assert offered is (decision in expected.choices)
        if decision == ESCALATE and complaint.route is Route.DIRECT:
            return  # no such action on the awarding body's own tracking page
        response = self.client.post(f"{path}/{PATHS[decision]}")
        db.session.expire_all()
        if offered:
            assert response.status_code == 303, html.unescape(response.get_data(as_text=True))[:2000]
            if decision in (ESCALATE, ACCEPT):
                self.escalation_was_open = False
        else:
            assert response.status_code == 409
            assert expected.refusal(decision) in html.unescape(response.get_data(as_text=True))

    # --- what must hold in every state ---

    @invariant()
    def never_trapped(self):
        if self.complaint_id is None:
            return
        complaint = self.complaint
        way = way_forward(complaint, self.clock.now)
        stage = complaint.current_stage
        waiting = stage.is_open and not stage.overdue(self.clock.now)
        if way.finished:
            assert complaint.status is Status.RESOLVED
            if complaint.regulator:  # the awarding body's final outcome: signposted
                assert way.regulators
        else:
            assert waiting or way.choices or way.regulators, (complaint.status, stage.name, way.message)
        if waiting:
            assert way.waiting_until == stage.due

    @invariant()
    def the_right_to_escalate_stays(self):
        if self.complaint_id is None:
            return
        complaint = self.complaint
        allowed = ESCALATE in way_forward(complaint, self.clock.now).choices
        if self.escalation_was_open:
            assert allowed or complaint.escalated_at is not None or complaint.status is Status.RESOLVED
        self.escalation_was_open = allowed or (self.escalation_was_open and complaint.escalated_at is None)

    @invariant()
    def the_spso_only_where_it_applies(self):
        if self.complaint_id is None:
            return
        complaint = self.complaint
        if SPSO in way_forward(complaint, self.clock.now).regulators:
            centre = complaint.centre
            assert centre.nation is Nation.SCOTLAND and centre.scottish_public_body
            assert complaint.route is Route.CENTRE and complaint.subject is not Subject.PRODUCT_SERVICE


def _staff_only_at_public_body(complaint: Complaint) -> bool:
    centre = complaint.centre
    return bool(centre and centre.nation is Nation.SCOTLAND and centre.scottish_public_body
                and complaint.route is Route.CENTRE and complaint.subject is Subject.CENTRE_STAFF)
