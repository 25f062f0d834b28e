"""Report pages cost the same number of SQL statements with 3 complaints as with 30 (DESIGN §3.9)."""
from __future__ import annotations

from itertools import cycle

import pytest

from tenants.complaints.models import Category, Exhausted, Kind, Route, Status
from tenants.complaints.report_period import Month, Period
from tenants.complaints.reports import Scope, case_rows, compute
from tests.conftest import Auth, quality_contact_of
from tests.reports.conftest import body_stage, build_case, centre_stage, serving, utc

SHAPES = cycle([
    dict(status=Status.RESOLVED, stages=lambda t: [centre_stage(t(12), t(5))]),
    dict(stages=lambda t: [centre_stage(t(12))]),
    dict(status=Status.AWAITING_LEARNER, stages=lambda t: [centre_stage(t(12), t(14)), centre_stage(t(20), t(18))]),
    dict(status=Status.RESOLVED, escalated=True,
         stages=lambda t: [centre_stage(t(12), t(13)), body_stage(t(25), t(22))]),
    dict(route=Route.DIRECT, stages=lambda t: [body_stage(t(12))]),
    dict(kind=Kind.MALPRACTICE, stages=lambda t: []),
])


def add_cases(centres, n: int) -> None:
    """n cases spread over months, categories, centres, stages, routes (direct: some with no centre) and kinds."""
    categories = cycle(Category)
    for i in range(n):
        shape = dict(next(SHAPES))
        month = 1 + i % 4

        def at(day, month=month):
            return utc(2026, month, day, 9)

        escalated = shape.pop("escalated", False)
        stages = shape.pop("stages")(at)
        centre = None if shape.get("route") is Route.DIRECT and i % 2 else centres[i % len(centres)]
        build_case(centre, received=at(1), category=next(categories), stages=stages,
                   escalated=at(13) if escalated else None,
                   exhausted=Exhausted.DEADLINE_MISSED if escalated else None, **shape)


def statements(client, count_queries, url: str) -> int:
    client.get(url)  # warm: first-use work is not the page's cost
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/reports?start=2026-01&end=2026-06", "/reports.csv?start=2026-01&end=2026-06"])
def test_a_centres_report_statements_do_not_grow_with_complaints(make_policy_centre, client, count_queries, path):
    a, b = make_policy_centre(), make_policy_centre()
    url = f"/c/{a.slug}{path}"
    Auth(client).sign_in(quality_contact_of(a))
    add_cases([a, b], 3)
    few = statements(client, count_queries, url)
    add_cases([a, b], 27)
    assert statements(client, count_queries, url) == few


@pytest.mark.parametrize("path", ["/admin/reports?start=2026-01&end=2026-06",
                                  "/admin/reports.csv?start=2026-01&end=2026-06"])
def test_the_awarding_bodys_report_statements_do_not_grow_with_complaints_or_centres(
        make_policy_centre, make_admin, client, count_queries, path):
    Auth(client).sign_in(make_admin("quality"))
    add_cases([make_policy_centre()], 3)
    few = statements(client, count_queries, path)
    add_cases([make_policy_centre() for _ in range(4)], 27)
    assert statements(client, count_queries, path) == few


def test_the_report_is_one_statement_for_a_centre_and_two_across_centres(app, make_policy_centre, count_queries):
    """Every figure in one statement over a CTE of the period's complaints read once, with their stored facts
    (tenants.complaints.report_facts); across centres one more statement reads the names of the centres found, and the
    stages are read only for what is overdue now (a centre's report reads its own closed stages by name)."""
    a = make_policy_centre()
    add_cases([a], 12)
    period = Period(Month(2026, 1), Month(2026, 6))
    with serving(app, a), count_queries() as queries:
        compute(Scope.current_centre(), period, utc(2026, 7, 1))
    assert len(queries) == 1
    assert queries[0].lstrip().startswith("WITH cases AS") and queries[0].count("UNION ALL") == 5
    with count_queries() as queries:
        compute(Scope.awarding_body(), period, utc(2026, 7, 1))
    assert len(queries) == 2
    assert queries[0].lstrip().startswith("WITH cases AS")
    # The only stages read: the open ones, for what is overdue now (at the centre, at the awarding body).
    assert queries[0].count("FROM complaint_stage") == 2 == queries[0].count("complaint_stage.closed_at IS NULL")
    assert "FROM centre" in queries[1]
    with count_queries() as queries:
        case_rows(Scope.awarding_body(), period)
    assert len(queries) == 1
