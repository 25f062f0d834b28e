"""Centre-stage clocks on each nation's calendar, extensions, and due-soon/overdue highlighting.

Expected dates are worked by hand from the gov.uk bank-holiday lists.
"""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from portal.extensions import db
from portal.workdays import Nation
from tenants.complaints.intake import ComplaintDetails, submit_complaint
from tenants.complaints.queries import clock_state


def end_of(day: str) -> datetime:
    """23:59:59 London on `day`, as UTC."""
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59), tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


CASES = [
    # received (UTC), nation, acknowledge due (2 wd), stage 1 due (8 wd)
    pytest.param("2026-11-23T10:00", Nation.ENGLAND, "2026-11-25", "2026-12-03", id="england-monday"),
    # St Andrew's Day, Monday 30 Nov 2026, is a Scottish bank holiday only.
    pytest.param("2026-11-27T10:00", Nation.SCOTLAND, "2026-12-02", "2026-12-10", id="scotland-st-andrews"),
    pytest.param("2026-11-27T10:00", Nation.ENGLAND, "2026-12-01", "2026-12-09", id="england-same-week"),
    # Friday 23:30 London in winter is still Friday: working day 1 is Monday.
    pytest.param("2026-12-04T23:30", Nation.WALES, "2026-12-08", "2026-12-16", id="wales-friday-2330"),
    # Christmas 2026: Fri 25, Mon 28 (Boxing Day substitute) off everywhere; Fri 1 Jan 2027 off; Scotland also
    # Mon 4 Jan 2027 (2 January substitute).
    pytest.param("2026-12-23T12:00", Nation.ENGLAND, "2026-12-29", "2027-01-07", id="england-christmas"),
    pytest.param("2026-12-23T12:00", Nation.SCOTLAND, "2026-12-29", "2027-01-08", id="scotland-christmas"),
    # Northern Ireland: St Patrick's Day, Wednesday 17 March 2027.
    # ... and the 8th working day passes Good Friday (26 Mar) and Easter Monday (29 Mar) 2027.
    pytest.param("2027-03-15T09:00", Nation.NORTHERN_IRELAND, "2027-03-18", "2027-03-30", id="ni-st-patrick-easter"),
    pytest.param("2027-03-15T09:00", Nation.ENGLAND, "2027-03-17", "2027-03-25", id="england-same-days"),
    # Received on Easter Monday 2027 (29 March): a holiday in England, a working day in Scotland.
    pytest.param("2027-03-29T09:00", Nation.ENGLAND, "2027-03-31", "2027-04-08", id="england-easter-monday"),
    pytest.param("2027-03-29T09:00", Nation.SCOTLAND, "2027-03-31", "2027-04-08", id="scotland-easter-monday"),
    # Received Saturday: working day 1 is Monday.
    pytest.param("2027-07-10T12:00", Nation.NORTHERN_IRELAND, "2027-07-14", "2027-07-22", id="ni-saturday-twelfth"),
]


@pytest.mark.parametrize("received, nation, ack_due, respond_due", CASES)
def test_first_stage_clocks(make_policy_centre, received, nation, ack_due, respond_due):
    centre = make_policy_centre(nation=nation)
    complaint, _ = submit_complaint(centre, ComplaintDetails(name="A", email="a@example.org", summary="x"))
    db.session.flush()
    stage = complaint.current_stage
    moment = datetime.fromisoformat(received).replace(tzinfo=UTC)
    # Re-open the stage at the chosen moment through the same function the service uses.
    from tenants.complaints.stages import open_centre_stage

    complaint.stages.clear()
    stage = open_centre_stage(complaint, 0, at=moment)
    assert stage.acknowledge_due == end_of(ack_due)
    assert stage.respond_due == end_of(respond_due)
    db.session.rollback()


def test_ni_twelfth_of_july_2027_is_a_holiday():
    """The NI Saturday case above relies on Monday 12 July 2027 being a bank holiday there."""
    from portal.workdays import is_working_day

    assert not is_working_day(date(2027, 7, 12), Nation.NORTHERN_IRELAND)
    assert is_working_day(date(2027, 7, 12), Nation.ENGLAND)


@pytest.mark.parametrize("now, expected", [
    pytest.param("2026-12-01T09:00", "", id="plenty-of-time"),
    pytest.param("2026-12-02T09:00", "due-soon", id="due-next-working-day"),
    pytest.param("2026-12-03T23:00", "due-soon", id="due-today"),
    pytest.param("2026-12-04T00:00", "overdue", id="past"),
])
def test_clock_state(policy_centre, now, expected):
    complaint, _ = submit_complaint(policy_centre, ComplaintDetails(name="A", email="a@example.org", summary="x"))
    stage = complaint.current_stage
    stage.respond_due = end_of("2026-12-03")
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert clock_state(stage, moment, Nation.ENGLAND) == expected
    stage.closed_at = moment
    assert clock_state(stage, moment, Nation.ENGLAND) == ""
    db.session.rollback()
