"""The awarding body's case queue: what it lists, its clocks and highlighting, its htmx filters, and a number of
queries that does not grow with the number of cases.
"""
from __future__ import annotations

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from portal.auth.models import Role
from portal.clocks import worst_state
from portal.complaints.queries import stage_clocks
from portal.db import commit, utcnow
from portal.workdays import Nation, deadline, to_london
from tenants.complaints import handling, intake
from tenants.complaints.models import Route
from tests.complaints_ab.conftest import details


def references(response) -> list[str]:
    return re.findall(r'<a href="/admin/complaints/\d+">([A-Z]-[\d-]+)</a>', response.get_data(as_text=True))


def row_of(response, reference: str) -> str:
    page = html.unescape(response.get_data(as_text=True))
    match = re.search(rf"<tr[^>]*>\s*<th scope=\"row\"><a [^>]*>{re.escape(reference)}</a>.*?</tr>", page, re.S)
    assert match, f"{reference} not in the queue"
    return match.group(0)


@pytest.fixture
def cases(case_at, people, make_centre, publish_policy):
    """One case per kind: stage 2 (learner route), stage 3, final, a direct stage one, a resolved case, and a
    learner's case still at its centre (which the awarding body does not see)."""
    made = {"stage2": case_at(0), "stage3": case_at(1), "final": case_at(2, nation=Nation.SCOTLAND),
            "direct": case_at(0, route=Route.DIRECT), "resolved": case_at(0)}
    handling.close_stage(made["resolved"], "Fixed.", by=people[Role.CUSTOMER_SERVICE])
    commit()
    handling.learner_accepts(made["resolved"])
    commit()
    centre = make_centre()
    publish_policy(centre)
    made["at_centre"], _ = intake.submit_complaint(centre, details())
    commit()
    return made


def test_the_queue_lists_cases_at_the_awarding_body_with_their_stage_and_clocks(cases, people, signed_in):
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    response = client.get("/admin/complaints/")
    assert response.status_code == 200
    listed = set(references(response))
    assert listed == {cases[k].reference for k in ("stage2", "stage3", "final", "direct")}
    row = row_of(response, cases["stage2"].reference)
    stage = cases["stage2"].current_stage
    assert cases["stage2"].service_request_number in row and cases["stage2"].centre.name in row
    assert "Stage 2: customer service" in row and "Customer service" in row and "unassigned" in row
    for due, fmt in ((stage.acknowledge_due, "%a %-d %b %Y"), (stage.first_response_due, "%a %-d %b %Y %H:%M"),
                     (stage.respond_due, "%a %-d %b %Y")):
        assert to_london(due).strftime(fmt) in row
    assert "Team leader" in row_of(response, cases["stage3"].reference)
    assert "Director" in row_of(response, cases["final"].reference)
    assert "None (direct)" in row_of(response, cases["direct"].reference)
    resolved = client.get("/admin/complaints/?status=resolved")
    assert references(resolved) == [cases["resolved"].reference]


FILTERS = [
    ("role=customer_service", {"stage2", "direct"}),
    ("role=team_leader", {"stage3"}),
    ("role=director", {"final"}),
    ("route=direct", {"direct"}),
    ("route=centre", {"stage2", "stage3", "final"}),
    ("assigned=none", {"stage2", "stage3", "final", "direct"}),
    ("assigned=me", set()),
    ("status=all", {"stage2", "stage3", "final", "direct", "resolved"}),
    ("status=awaiting_learner", set()),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS, ids=[q for q, _ in FILTERS])
def test_filters(cases, people, signed_in, query, expected):
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    assert set(references(client.get(f"/admin/complaints/?{query}"))) == {cases[k].reference for k in expected}


def test_mine_and_overdue_and_due_soon(cases, people, signed_in):
    cs = people[Role.CUSTOMER_SERVICE]
    handling.assign(cases["direct"], cs, by=cs)
    now = utcnow()
    overdue = cases["stage3"].current_stage  # the team leader let the 2 working days pass
    overdue.respond_due = now - timedelta(hours=1)
    final = cases["final"].current_stage  # due by the end of the next working day (Scotland's calendar)
    final.respond_due = deadline(now, 1, Nation.SCOTLAND)
    far = now + timedelta(days=30)
    for key in ("stage2", "direct"):  # acknowledged and answered: only the far-off target remains
        stage = cases[key].current_stage
        stage.acknowledged_at = stage.first_response_at = now
        stage.respond_due = far
    commit()
    client = signed_in(cs)
    assert set(references(client.get("/admin/complaints/?assigned=me"))) == {cases["direct"].reference}
    assert set(references(client.get("/admin/complaints/?due=overdue"))) == {cases["stage3"].reference}
    assert set(references(client.get("/admin/complaints/?due=soon"))) == {cases["final"].reference}
    page = client.get("/admin/complaints/")
    assert 'class="clock-overdue"' in row_of(page, cases["stage3"].reference)
    assert "Overdue" in row_of(page, cases["stage3"].reference)
    assert 'class="clock-due-soon"' in row_of(page, cases["final"].reference)
    assert 'class=""' in row_of(page, cases["stage2"].reference)
    assert references(page)[0] == cases["stage3"].reference  # most urgent first


def test_an_unanswered_first_response_is_overdue_after_24_hours(case_at, people, signed_in):
    complaint = case_at(0)
    stage = complaint.current_stage
    stage.opened_at -= timedelta(hours=25)
    stage.first_response_due = stage.opened_at + timedelta(hours=24)
    commit()
    client = signed_in(people[Role.CUSTOMER_SERVICE])
    assert references(client.get("/admin/complaints/?due=overdue")) == [complaint.reference]
    handling.post_update(complaint, "We are on it.", learner_visible=True, by=people[Role.CUSTOMER_SERVICE])
    commit()
    assert references(client.get("/admin/complaints/?due=overdue")) == []  # answered, if late
    clocks = stage_clocks(complaint.current_stage, utcnow(), Nation.ENGLAND)
    assert [c.state for c in clocks] == ["met", "late", "running"]


def test_clock_states():
    now = utcnow()
    base = dict(acknowledge_due=now + timedelta(days=5), acknowledged_at=None, first_response_due=None,
                first_response_at=None, extended_due=None, closed_at=None, respond_due=now + timedelta(days=9))
    stage = SimpleNamespace(**base, due=base["respond_due"])
    assert worst_state(stage_clocks(stage, now, Nation.ENGLAND)) == ""
    stage.acknowledge_due = now - timedelta(minutes=1)
    assert worst_state(stage_clocks(stage, now, Nation.ENGLAND)) == "overdue"
    stage.acknowledged_at = now - timedelta(minutes=2)
    assert [c.state for c in stage_clocks(stage, now, Nation.ENGLAND)] == ["met", "running"]
    stage.due = deadline(now, 1, Nation.ENGLAND)
    assert worst_state(stage_clocks(stage, now, Nation.ENGLAND)) == "due-soon"
    stage.due = deadline(now, 2, Nation.ENGLAND)
    assert worst_state(stage_clocks(stage, now, Nation.ENGLAND)) == ""


def test_htmx_gets_the_table_and_a_history_restore_gets_the_page(cases, people, signed_in):
    client = signed_in(people[Role.TEAM_LEADER])
    partial = client.get("/admin/complaints/?role=team_leader", headers={"HX-Request": "true"})
    body = partial.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="complaint-queue">') and "<html" not in body
    assert references(partial) == [cases["stage3"].reference]
    assert "HX-Request" in partial.headers["Vary"]
    restore = client.get("/admin/complaints/?role=team_leader",
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)
    full = client.get("/admin/complaints/?role=team_leader")
    assert "<html" in full.get_data(as_text=True) and 'hx-get="/admin/complaints/"' in full.get_data(as_text=True)


def test_bad_filters_show_everything_rather_than_fail(cases, people, signed_in):
    client = signed_in(people[Role.DIRECTOR])
    response = client.get("/admin/complaints/?role=nonsense&due=whenever&page=x")
    assert response.status_code == 200 and len(references(response)) == 4


def test_the_number_of_queries_does_not_grow_with_the_cases(case_at, people, signed_in, count_queries):
    cs = people[Role.CUSTOMER_SERVICE]
    client = signed_in(cs)

    def queue_queries(query: str = "") -> int:
        client.get(f"/admin/complaints/{query}")  # warm: sign-in session loading is the same each time
        with count_queries() as statements:
            assert client.get(f"/admin/complaints/{query}").status_code == 200
        return len(statements)

    case_at(0)
    handling.assign(case_at(0, route=Route.DIRECT), cs, by=cs)  # an assignee: their account is loaded too
    commit()
    few = queue_queries(), queue_queries("?due=soon&route=centre")
    for index in (0, 1, 2, 0, 1, 2):
        case_at(index, nation=Nation.SCOTLAND)
    for _ in range(2):
        handling.assign(case_at(0, route=Route.DIRECT), cs, by=cs)
    commit()
    assert len(references(client.get("/admin/complaints/"))) == 10
    many = queue_queries(), queue_queries("?due=soon&route=centre")
    assert many == few
    assert few[0] <= 8
