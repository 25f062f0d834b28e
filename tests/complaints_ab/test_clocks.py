"""The awarding body's stage clocks (SPEC §4, §5.3), with dates worked out by hand from the gov.uk calendars.

Stage 2 (stage one of a direct complaint): acknowledge within 2 working days, first response within 24 hours
(elapsed hours, also across a clock change), aim to resolve within 8 working days. Stage 3: 2 working days.
Final: 10 working days. Working day 1 is the first working day after the London date of the event; a deadline
is 23:59:59 London time at the end of its day (22:59:59 UTC in summer time).

Bank holidays used below (gov.uk): 2026 — Good Friday 3 Apr (all nations), Easter Monday 6 Apr (not Scotland),
St Patrick's Day Tue 17 Mar (NI), Battle of the Boyne Sun 12 Jul → substitute Mon 13 Jul (NI), summer bank
holiday Mon 3 Aug (Scotland), St Andrew's Day Mon 30 Nov (Scotland), Christmas Day Fri 25 Dec, Boxing Day Sat
26 Dec → substitute Mon 28 Dec (all nations). 2027 — New Year's Day Fri 1 Jan (all), 2 January Sat → substitute
Mon 4 Jan (Scotland). Clocks change at 01:00 UTC on Sun 29 Mar 2026 (forward) and Sun 25 Oct 2026 (back).
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.auth.models import Role
from portal.db import commit
from portal.workdays import Nation
from tenants.complaints import handling
from tenants.complaints.models import Route

E, W, S, NI = Nation.ENGLAND, Nation.WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    """Make the services' clock read `moment` (intake, escalation, next stage and stage opening read it)."""

    def freeze(moment: datetime) -> None:
        for module in ("tenants.complaints.escalation", "tenants.complaints.handling", "tenants.complaints.intake",
                       "tenants.complaints.stages"):
            monkeypatch.setattr(f"{module}.utcnow", lambda: moment)

    return freeze


# Stage 2 opened by the learner's escalation: (nation, escalated at UTC, acknowledge due, first response due,
# respond due) — every due moment in UTC.
STAGE_2 = [
    # Thu 24 Dec 2026 15:00 GMT. Fri 25 Christmas, Sat/Sun, Mon 28 Boxing Day substitute: working day 1 is Tue 29,
    # 2 is Wed 30. Then Thu 31 (3), Fri 1 Jan New Year (off), Mon 4 (4), Tue 5 (5), Wed 6 (6), Thu 7 (7), Fri 8 (8).
    pytest.param(E, "2026-12-24 15:00", "2026-12-30 23:59:59", "2026-12-25 15:00", "2027-01-08 23:59:59",
                 id="england-christmas"),
    pytest.param(W, "2026-12-24 15:00", "2026-12-30 23:59:59", "2026-12-25 15:00", "2027-01-08 23:59:59",
                 id="wales-christmas"),
    pytest.param(NI, "2026-12-24 15:00", "2026-12-30 23:59:59", "2026-12-25 15:00", "2027-01-08 23:59:59",
                 id="northern-ireland-christmas"),
    # Scotland also has Mon 4 Jan 2027 off (2 January substitute): Tue 5 (4) ... Fri 8 (7), Mon 11 (8).
    pytest.param(S, "2026-12-24 15:00", "2026-12-30 23:59:59", "2026-12-25 15:00", "2027-01-11 23:59:59",
                 id="scotland-christmas"),
    # Fri 10 Jul 2026 23:30 UTC is Sat 11 Jul 00:30 BST: the London date is Saturday. England: Mon 13 (1), Tue 14
    # (2); Wed 22 is day 8. Northern Ireland: Mon 13 is the Boyne substitute, so Tue 14 (1), Wed 15 (2), Thu 23 (8).
    pytest.param(E, "2026-07-10 23:30", "2026-07-14 22:59:59", "2026-07-11 23:30", "2026-07-22 22:59:59",
                 id="england-saturday-in-london"),
    pytest.param(NI, "2026-07-10 23:30", "2026-07-15 22:59:59", "2026-07-11 23:30", "2026-07-23 22:59:59",
                 id="northern-ireland-boyne-substitute"),
    # Thu 30 Jul 2026 15:00 BST. England: Fri 31 (1), Mon 3 Aug (2), Tue 11 (8). Scotland: Mon 3 Aug is off —
    # Fri 31 (1), Tue 4 (2), ..., Wed 12 (8).
    pytest.param(E, "2026-07-30 14:00", "2026-08-03 22:59:59", "2026-07-31 14:00", "2026-08-11 22:59:59",
                 id="england-august"),
    pytest.param(S, "2026-07-30 14:00", "2026-08-04 22:59:59", "2026-07-31 14:00", "2026-08-12 22:59:59",
                 id="scotland-summer-bank-holiday"),
    # Sat 24 Oct 2026 13:00 BST; the clocks go back at 01:00 UTC on Sun 25. 24 hours later is 12:00 GMT on Sun 25
    # (12:00 UTC), not 13:00. Acknowledge: Mon 26 (1), Tue 27 (2), now in GMT. Resolve: Wed 4 Nov (8).
    pytest.param(E, "2026-10-24 12:00", "2026-10-27 23:59:59", "2026-10-25 12:00", "2026-11-04 23:59:59",
                 id="england-clocks-go-back"),
    # Sat 28 Mar 2026 10:00 GMT; the clocks go forward at 01:00 UTC on Sun 29: 24 hours later is 11:00 BST (10:00
    # UTC). Acknowledge: Mon 30 (1), Tue 31 (2) in BST. Wales: Wed 1 Apr (3), Thu 2 (4), Good Friday 3 and Easter
    # Monday 6 off, Tue 7 (5) ... Fri 10 (8). Scotland works Easter Monday: Mon 6 (5) ... Thu 9 (8).
    pytest.param(W, "2026-03-28 10:00", "2026-03-31 22:59:59", "2026-03-29 10:00", "2026-04-10 22:59:59",
                 id="wales-clocks-go-forward-easter"),
    pytest.param(S, "2026-03-28 10:00", "2026-03-31 22:59:59", "2026-03-29 10:00", "2026-04-09 22:59:59",
                 id="scotland-easter-monday-worked"),
]


@pytest.mark.parametrize(("nation", "escalated", "acknowledge", "first_response", "respond"), STAGE_2)
def test_stage_2_clocks_from_the_escalation(escalated_case, frozen, nation, escalated, acknowledge, first_response,
                                            respond):
    frozen(utc(escalated))
    complaint = escalated_case(nation=nation)
    stage = complaint.current_stage
    assert stage.name == "Stage 2: customer service" and stage.role is Role.CUSTOMER_SERVICE
    assert stage.opened_at == utc(escalated)
    assert stage.acknowledge_due == utc(acknowledge)
    assert stage.first_response_due == utc(first_response)
    assert (stage.first_response_due - stage.opened_at).total_seconds() == 24 * 3600  # kept as hours
    assert stage.respond_due == utc(respond) and stage.due == utc(respond)
    assert complaint.service_request_number.startswith("CSR-")


# Later stages opened when the learner asks for them: (index, nation, asked at, respond due).
LATER_STAGES = [
    # Stage 3, 2 working days, from Mon 16 Mar 2026 10:00 GMT. England: Tue 17 (1), Wed 18 (2). Northern Ireland:
    # Tue 17 is St Patrick's Day — Wed 18 (1), Thu 19 (2).
    pytest.param(1, E, "2026-03-16 10:00", "2026-03-18 23:59:59", id="stage-3-england"),
    pytest.param(1, NI, "2026-03-16 10:00", "2026-03-19 23:59:59", id="stage-3-northern-ireland-st-patrick"),
    # Stage 3 over Christmas, from Wed 23 Dec 2026: Thu 24 (1), then Christmas, weekend, Boxing substitute: Tue 29 (2).
    pytest.param(1, W, "2026-12-23 16:00", "2026-12-29 23:59:59", id="stage-3-wales-christmas"),
    # Final, 10 working days, from Wed 25 Nov 2026 09:00 GMT. England: Thu 26 (1), Fri 27 (2), Mon 30 (3), Tue 1 Dec
    # (4), Wed 2 (5), Thu 3 (6), Fri 4 (7), Mon 7 (8), Tue 8 (9), Wed 9 (10). Scotland: St Andrew's Day Mon 30 Nov is
    # off, so everything moves a day: Thu 10 Dec (10).
    pytest.param(2, E, "2026-11-25 09:00", "2026-12-09 23:59:59", id="final-england"),
    pytest.param(2, S, "2026-11-25 09:00", "2026-12-10 23:59:59", id="final-scotland-st-andrew"),
]


@pytest.mark.parametrize(("index", "nation", "asked", "respond"), LATER_STAGES)
def test_later_stage_clocks_from_the_learners_request(case_at, frozen, people, index, nation, asked, respond):
    complaint = case_at(index - 1, nation=nation)
    stage = complaint.current_stage
    handling.close_stage(complaint, "Outcome.", by=people[stage.role])
    commit()
    frozen(utc(asked))
    opened = handling.learner_asks_next_stage(complaint)
    commit()
    assert opened.role is (Role.TEAM_LEADER, Role.DIRECTOR)[index - 1]
    assert opened.target_days == (2, 10)[index - 1]
    assert opened.opened_at == utc(asked)
    assert opened.acknowledge_due is None and opened.first_response_due is None  # only stage 2 has those clocks
    assert opened.respond_due == utc(respond)


def test_direct_complaint_with_no_centre_runs_on_englands_calendar(direct_case, advance, frozen):
    """No centre: England. Final stage from Thu 24 Dec 2026: Tue 29 (1), Wed 30 (2), Thu 31 (3), Mon 4 Jan (4),
    ..., Fri 8 (8), Mon 11 (9), Tue 12 Jan 2027 (10) — Scotland's 4 January holiday does not apply."""
    frozen(utc("2026-12-24 15:00"))
    complaint = direct_case()
    stage_one = complaint.current_stage
    assert stage_one.name == "Stage one: customer service"
    assert stage_one.acknowledge_due == utc("2026-12-30 23:59:59")
    assert stage_one.first_response_due == utc("2026-12-25 15:00")
    assert stage_one.respond_due == utc("2027-01-08 23:59:59")
    advance(complaint, 2)
    final = complaint.current_stage
    assert final.name == "Final stage: director review"
    assert final.respond_due == utc("2027-01-12 23:59:59")
    assert complaint.route is Route.DIRECT


def test_an_agreed_extension_replaces_the_target_to_the_end_of_the_day(escalated_case, frozen, people):
    """Extended to Fri 15 Jan 2027: the deadline is 23:59:59 GMT that day; the policy target is kept beside it."""
    frozen(utc("2026-12-24 15:00"))
    complaint = escalated_case()
    stage = complaint.current_stage
    handling.extend(complaint, datetime(2027, 1, 15).date(), "Waiting for the certificate printer.", "agreed",
                    by=people[Role.CUSTOMER_SERVICE])
    commit()
    assert stage.respond_due == utc("2027-01-08 23:59:59")
    assert stage.extended_due == utc("2027-01-15 23:59:59") == stage.due
    assert stage.extension_reason == "Waiting for the certificate printer."

