"""Issue 12 §3 on every page, in a real browser: each GET page of `app.url_map` that answers HTML, opened with the
demo's records as the person who may see it (tests/test_page_budgets.py's table), passes axe-core with no
violation at 1280 px and at 390 px, does not scroll sideways at 390 px and keeps its navigation on one line at
1280 px (the `axe` fixture). The journeys' tests visit pages in the states they reach; this visits every page, so a
new page is walked as soon as it has its line in the budgets' table."""
from __future__ import annotations

import pytest
from flask import url_for

from tests.test_page_budgets import BUDGETS, STATUS, _arguments, _seed_demo, get_routes

# Pages that answer a file, not HTML (and the plain-text health check): nothing to walk.
NOT_HTML = {"static", "public.healthz", "admin_assessment.download", "admin_invoicing.download",
            "admin_reports.export", "centre.invoicing.download", "centre.public_policy.download",
            "centre.reports.export", "centre.submissions.download"}
PEOPLE = {"admin": "admin@awarding-body.example", "centre": "qc@northgate.example"}
# The other kinds of user walk the same pages as the one the table names, where they may open them: a member of
# staff who is not the Quality contact, and an assessor who holds only the assessment role (pages they may not
# open answer 403 and are left out).
ALSO = {"centre": ("tom@northgate.example",), "admin": ("assessor@awarding-body.example",)}
# How many of those pages they open, at least (as many as when this was written: a page they lose is a choice to
# make here, never a sign-in that quietly failed and answered 403 everywhere).
MIN_WALKED_BY_OTHERS = {"anonymous": 0, "admin": 6, "centre": 18}


@pytest.fixture
def app_overrides(server_socket, tmp_path):
    host, port = server_socket.getsockname()
    return {"WTF_CSRF_ENABLED": True, "PUBLIC_BASE_URL": f"http://{host}:{port}",
            "UPLOAD_DIR": str(tmp_path / "uploads")}  # the demo stores its submissions' files


@pytest.mark.parametrize("who", ["anonymous", "admin", "centre"])
def test_every_page_passes_axe_at_both_widths(who, app, live_server, new_browser_page, axe, sign_in):
    """One kind of user per test (the walk is long: three tests share the workers), with the others who walk the
    same pages."""
    from portal.cli import DEMO_PASSWORD

    records = _seed_demo(app)
    page, others = new_browser_page(), []
    if who in PEOPLE:
        sign_in(page, PEOPLE[who], DEMO_PASSWORD)
    for email in ALSO.get(who, ()):
        others.append(other := new_browser_page())
        sign_in(other, email, DEMO_PASSWORD)
    eligible = {rule.endpoint for rule in get_routes(app) if BUDGETS[rule.endpoint][0] == who
                and rule.endpoint not in NOT_HTML and STATUS.get(rule.endpoint, 200) == 200}
    walked, walked_by_others = set(), set()
    for rule in sorted(get_routes(app), key=lambda r: r.endpoint):
        if rule.endpoint not in eligible:
            continue
        for args in _arguments(rule.endpoint, rule, records):
            with app.test_request_context():
                path = url_for(rule.endpoint, **args)
            response = page.goto(live_server(path))
            assert response.status == 200, (rule.endpoint, path, response.status)
            axe(page)
            walked.add(rule.endpoint)
            for other in others:
                response = other.goto(live_server(path))
                if response.status == 403:
                    continue
                assert response.status == 200, (rule.endpoint, path, response.status)
                axe(other)
                walked_by_others.add(rule.endpoint)
    assert walked == eligible, sorted(eligible - walked)
    assert len(walked_by_others) >= MIN_WALKED_BY_OTHERS[who], sorted(walked_by_others)
