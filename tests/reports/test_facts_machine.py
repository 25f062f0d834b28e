"""The report facts never drift (issue 11 §1): a stateful property test.

Hypothesis drives random sequences of the complaints services over several cases — new complaints (learner route at
centres with a one- or three-stage policy, direct complaints, reports routed elsewhere), the clock, staff
acknowledging, extending and closing stages, learners accepting, asking for the next stage or escalating, a learner's
data erased (`retention.anonymise`) and the retention purge. After every step every case's stored facts
(`Complaint.report_*`, tenants.complaints.report_facts) equal

- their computation from scratch in SQL (`report_facts.from_scratch`, what the migration and seeding use), and
- their computation in Python from the case's loaded stages (`ComplaintStage.due`, positions, levels);

and the awarding body's report read from the facts counts the same as a count in Python over the cases: received,
resolved, resolved within target, escalated, and each stage's cases reached, stages closed and closed on time.
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select

from portal.auth.models import User
from portal.db import commit
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import Nation, to_london
from tenants.complaints import escalation, handling, intake, report_facts, retention
from tenants.complaints.intake import ComplaintDetails
from tenants.complaints.models import (
    Complaint,
    ComplaintNotice,
    ComplaintStage,
    ComplaintUpdate,
    Kind,
    Level,
    Status,
    Subject,
    TrackingLink,
)
from tenants.complaints.report_period import Month, Period
from tenants.complaints.reports import Scope, compute, stage_label
from tenants.complaints.way_forward import ACCEPT, ESCALATE, NEXT_STAGE
from tests.complaints.conftest import MODEL_STAGES, publish
from tests.complaints.machines import Clock, frozen_clock, stateful_settings
from tests.conftest import quality_contact_of

START = datetime(2027, 3, 29, 9, 30, tzinfo=UTC)  # a Monday, a day after the clocks go forward in London
BUDGET = stateful_settings(max_examples=25, steps=25)
FACTS = ("report_month", "stage_position", *report_facts.FACTS)
RECENT = st.integers(0, 3)  # which case: the latest, or one of the three before it (cases move further that way)
PURGES = 2  # each moves the clock past the retention period: at most this many keep a report within MAX_MONTHS


def test_the_stored_report_facts_always_equal_their_computation_from_scratch(app, make_centre, make_admin):
    centres = []
    for name, nation, stages in (("Northgate Training", Nation.ENGLAND, MODEL_STAGES),
                                 ("Valleys Skills", Nation.WALES, MODEL_STAGES[:1]),
                                 ("Fife College", Nation.SCOTLAND, MODEL_STAGES)):
        centre = make_centre(name, nation=nation)
        publish(centre, stages)
        centres.append(centre.id)
    world = {"centres": centres, "admin": make_admin("customer_service", "team_leader", "director").id,
             "clock": Clock(START)}
    with frozen_clock(world["clock"]):
        run_state_machine_as_test(lambda: FactsMachine(world), settings=BUDGET)


def python_facts(complaint: Complaint) -> dict:
    """The facts of a case from its loaded stages, by the rules of tenants.complaints.report_facts."""
    stages = sorted(complaint.stages, key=lambda s: s.position)
    centre = [s for s in stages if s.level is Level.CENTRE]
    late = [s for s in stages if s.closed_at is None or s.closed_at > s.due]

    def bits(chosen) -> int:
        return sum(1 << (s.position - 1) for s in chosen)

    return {"report_month": Month.of(complaint.received_at).index,
            "stage_position": stages[-1].position if stages else None,
            "report_centre_stages": len(centre),
            "report_centre_furthest": centre[-1].position if centre else None,
            "report_centre_stage_name": centre[-1].name if centre else None,
            "report_late_stages": len(late),
            "report_centre_late_stages": len([s for s in late if s.level is Level.CENTRE]),
            "report_closed_stages": bits(s for s in stages if s.closed_at is not None),
            "report_closed_on_time": bits(s for s in stages if s.closed_at is not None and s.closed_at <= s.due)}


def python_report(complaints: list[Complaint]) -> dict:
    """The awarding body's counts over `complaints` (the learner-route complaints of the period), in Python."""
    scope = Scope.awarding_body()
    totals, reached, closed, on_time = Counter(), Counter(), Counter(), Counter()
    for complaint in complaints:
        stages = sorted(complaint.stages, key=lambda s: s.position)
        resolved = complaint.status is Status.RESOLVED
        within = resolved and all(s.closed_at is not None and s.closed_at <= s.due for s in stages)
        totals.update(received=1, resolved=int(resolved), on_time=int(within),
                      escalated=int(complaint.escalated_at is not None))
        ordinals = Counter()
        for stage in stages:
            ordinals[stage.level] += 1
            label = stage_label(scope, complaint.route, stage.level, ordinals[stage.level], None)
            if stage is stages[-1]:
                reached[label] += 1
            if stage.closed_at is not None:
                closed[label] += 1
                on_time[label] += int(stage.closed_at <= stage.due)
    return {"totals": dict(totals), "reached": dict(reached), "closed": dict(closed), "on_time": dict(on_time)}


class FactsMachine(RuleBasedStateMachine):
    def __init__(self, world):
        super().__init__()
        self.world, self.clock = world, world["clock"]
        self.cases: list[int] = []
        self.purges = 0

    @initialize()
    def start(self):
        self.clock.now = START
        # Every run starts from no case (the database outlives the runs of one test): reproducible runs.
        for table in (ComplaintNotice, TrackingLink, ComplaintUpdate, ComplaintStage, Complaint):
            db.session.execute(delete(table))
        commit()

    def _case(self, index: int) -> Complaint | None:
        if not self.cases:
            return None
        return db.session.get(Complaint, self.cases[-1 - index % len(self.cases)])

    def _do(self, action) -> None:
        try:
            action()
        except Refused:
            db.session.rollback()
            return
        commit()

    # --- new cases ---

    @rule(centre=st.integers(0, 2), way=st.sampled_from(["centre", "centre", "direct", "referral"]),
          subject=st.sampled_from(Subject))
    def complain(self, centre, way, subject):
        from tenants.models import Centre

        where = db.session.get(Centre, self.world["centres"][centre])
        details = ComplaintDetails(name="Sam Smith", email="sam@example.org", summary="My feedback never came.",
                                   subject=subject)
        if way == "centre":
            complaint, _ = intake.submit_complaint(where, details)
        elif way == "direct":
            complaint, _ = escalation.submit_direct_complaint(details, from_centre=None)
        else:
            complaint = intake.record_referral(where, Kind.MALPRACTICE, details)
        commit()
        self.cases.append(complaint.id)

    # --- the clock ---

    @rule(hours=st.sampled_from([1, 20, 50, 24 * 4, 24 * 9, 24 * 16, 24 * 40]))
    def time_passes(self, hours):
        self.clock.now += timedelta(hours=hours)

    @precondition(lambda self: self.cases)
    @rule(index=RECENT, after=st.booleans())
    def the_current_deadline_comes(self, index, after):
        stage = self._case(index).current_stage
        if stage is not None and stage.is_open:
            moment = stage.due + timedelta(seconds=1) if after else stage.due - timedelta(hours=1)
            self.clock.now = max(self.clock.now, moment)

    # --- staff ---

    def _staff(self, index, action):
        complaint = self._case(index)
        stage = complaint.current_stage
        if stage is None or complaint.status is Status.RESOLVED:
            return
        by = quality_contact_of(complaint.centre) if stage.level is Level.CENTRE else \
            db.session.get(User, self.world["admin"])
        self._do(lambda: action(complaint, by))

    @precondition(lambda self: self.cases)
    @rule(index=RECENT)
    def staff_acknowledge(self, index):
        self._staff(index, lambda c, by: handling.acknowledge(c, by=by))

    @precondition(lambda self: self.cases)
    @rule(index=RECENT, days=st.integers(1, 15), consent=st.sampled_from(["agreed", "told"]))
    def staff_extend(self, index, days, consent):
        self._staff(index, lambda c, by: handling.extend(
            c, to_london(c.current_stage.due).date() + timedelta(days=days), "More time needed", consent, by=by))

    @precondition(lambda self: self.cases)
    @rule(index=RECENT)
    def staff_close_stage(self, index):
        self._staff(index, lambda c, by: handling.close_stage(c, "Our outcome.", by=by))

    @precondition(lambda self: self.cases)
    @rule(index=RECENT, decision=st.sampled_from([ACCEPT, NEXT_STAGE, NEXT_STAGE, ESCALATE, ESCALATE]))
    def staff_close_stage_and_learner_decides(self, index, decision):
        """A stage's outcome and the learner's answer at once: cases reach their later stages within the budget."""
        self.staff_close_stage(index)
        self.learner_decides(index, decision)

    # --- learners ---

    @precondition(lambda self: self.cases)
    @rule(index=RECENT, decision=st.sampled_from([ACCEPT, NEXT_STAGE, ESCALATE]))
    def learner_decides(self, index, decision):
        complaint = self._case(index)
        if complaint.kind is Kind.COMPLAINT:
            self._do(lambda: escalation.learner_decides(complaint, decision))

    @precondition(lambda self: self.cases)
    @rule(index=RECENT)
    def learner_data_erased(self, index):
        complaint = self._case(index)
        if retention.is_closed(complaint):
            retention.anonymise(complaint, lambda text: text.replace("Sam Smith", "[erased]"))
            commit()

    @precondition(lambda self: self.cases and self.purges < PURGES)
    @rule()
    def retention_period_ends(self):
        self.purges += 1
        self.clock.now += timedelta(days=366 * 3 + 1)
        retention.purge_expired(self.clock.now)
        commit()
        kept = {ident for (ident,) in db.session.execute(select(Complaint.id))}
        self.cases = [ident for ident in self.cases if ident in kept]

    # --- what must hold after every step ---

    @invariant()
    def the_facts_equal_their_computation_from_scratch(self):
        db.session.expire_all()
        stored = {row.id: {name: getattr(row, name) for name in FACTS}
                  for row in db.session.execute(select(Complaint.id, *[getattr(Complaint, n) for n in FACTS]))}
        computed = {row.id: {"report_month": stored[row.id]["report_month"], **row._asdict()}
                    for row in db.session.execute(report_facts.from_scratch())}
        assert stored == {ident: {name: facts[name] for name in FACTS} for ident, facts in computed.items()}
        in_python = {c.id: python_facts(c) for c in db.session.execute(select(Complaint)).scalars()}
        assert stored == in_python

    @invariant()
    def the_report_counts_what_python_counts(self):
        complaints = [c for c in db.session.execute(select(Complaint)).scalars() if c.kind is Kind.COMPLAINT]
        if not complaints:
            return
        months = [Month.of(c.received_at) for c in complaints]
        report = compute(Scope.awarding_body(), Period(min(months), max(months)), self.clock.now)
        expected = python_report(complaints)
        totals = report.totals
        assert expected["totals"] == {"received": totals.received, "resolved": totals.resolved,
                                      "on_time": totals.on_time, "escalated": totals.escalated}
        assert expected["reached"] == {row.label: row.reached for row in report.by_stage if row.reached}
        assert expected["closed"] == {row.label: row.closed for row in report.by_stage if row.closed}
        assert expected["on_time"] == {row.label: row.closed_on_time for row in report.by_stage if row.closed}
        assert sum(row.tally.received for row in report.by_centre) == len(complaints)
        assert [tally.received for _, tally in report.by_month] == [
            months.count(month) for month in Period(min(months), max(months)).months]
