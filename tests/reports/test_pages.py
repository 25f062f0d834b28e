"""The report pages: a centre's own (staff only, never another centre's figures) and the awarding body's
(by role); full page on a plain load, the report alone for htmx; the filter form; the chart."""
from __future__ import annotations

import re

import pytest

from portal.auth.models import Role
from tests.complaints.conftest import act
from tests.conftest import Auth, quality_contact_of
from tests.reports.conftest import build_case, centre_stage, utc

KNOWN = "?start=2026-01&end=2026-04"
ADMIN_READERS = ("platform_admin", "quality", "customer_service", "team_leader", "director")


def page(client, url, **headers):
    response = client.get(url, headers=headers)
    return response, response.get_data(as_text=True)


def status_line(body: str) -> str:
    return " ".join(re.search(r'<p role="status" class="lead">(.*?)</p>', body, re.S).group(1).split())


# --- a centre's report -----------------------------------------------------------------------------------

def test_a_centres_report_shows_its_figures(known, client):
    a, _, cases = known
    Auth(client).sign_in(quality_contact_of(a))
    response, body = page(client, f"/c/{a.slug}/reports{KNOWN}")
    assert response.status_code == 200
    assert status_line(body) == "5 complaints received Jan 2026 to Apr 2026."
    assert '<span class="count">33%</span>' in body and "1 of 3 resolved" in body  # resolved within target
    assert '<span class="count">60%</span>' in body and "3 of 5 stages closed" in body  # stages on time
    assert re.search(r"<th scope=\"row\">Stage 1: investigation</th><td>3</td><td>4</td>\s*<td>50%", body)
    assert re.search(r"<th scope=\"row\">Apr 2026</th><td>1</td>", body)  # c4: 23:30 UTC on 31 March
    assert "Escalated to the awarding body</th><td>1</td>" in body
    assert "By centre" not in body
    assert "Awarding body stage" not in body and "customer service" not in body  # c5's later stage: not A's
    assert f'href="/c/{a.slug}/reports.csv?start=2026-01&amp;end=2026-04"' in body


def test_any_member_of_the_centre_may_read_it(known, client, make_staff):
    a, _, _ = known
    Auth(client).sign_in(make_staff(a))
    assert client.get(f"/c/{a.slug}/reports").status_code == 200


def test_a_centres_report_never_counts_another_centres_complaints(known, client):
    a, b, cases = known
    Auth(client).sign_in(quality_contact_of(b))
    response, body = page(client, f"/c/{b.slug}/reports{KNOWN}")
    assert status_line(body) == "2 complaints received Jan 2026 to Apr 2026."  # b1, b2; not d2 (direct)
    csv_body = client.get(f"/c/{b.slug}/reports.csv{KNOWN}").get_data(as_text=True)
    for name in ("c1", "c2", "c3", "c4", "c5", "m1", "r1", "d1"):
        assert cases[name].reference not in csv_body
    assert cases["b1"].reference in csv_body and cases["b2"].reference in csv_body
    assert cases["d2"].reference not in csv_body and "Northgate" not in body + csv_body


@pytest.mark.parametrize("path", ["/reports", "/reports.csv", f"/reports{KNOWN}"])
def test_another_centres_staff_and_the_awarding_body_get_404(known, app, make_staff, make_admin, path):
    a, b, cases = known
    for person in (quality_contact_of(b), make_staff(b), make_admin()):
        client = app.test_client()
        Auth(client).sign_in(person)
        response = client.get(f"/c/{a.slug}{path}")
        assert response.status_code == 404, person.email
        body = response.get_data(as_text=True)
        assert a.name not in body and cases["c1"].reference not in body


def test_anonymous_is_sent_to_sign_in(known, client):
    a, _, _ = known
    for path in ("/reports", "/reports.csv"):
        response = client.get(f"/c/{a.slug}{path}")
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_htmx_gets_the_report_alone_and_back_gets_the_full_page(known, client):
    a, _, _ = known
    Auth(client).sign_in(quality_contact_of(a))
    url = f"/c/{a.slug}/reports{KNOWN}"
    full, full_body = page(client, url)
    partial, partial_body = page(client, url, **{"HX-Request": "true"})
    restore, restore_body = page(client, url, **{"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert full_body.lstrip().startswith("<!doctype html>") and "<h1>Complaint reports</h1>" in full_body
    assert partial_body.lstrip().startswith('<div id="report">') and "<html" not in partial_body
    assert restore_body.lstrip().startswith("<!doctype html>")
    assert status_line(partial_body) == status_line(full_body)
    for response in (full, partial, restore):
        assert "HX-Request" in response.headers["Vary"]


def test_the_form_targets_the_report_and_pushes_the_url(known, client):
    a, _, _ = known
    Auth(client).sign_in(quality_contact_of(a))
    _, body = page(client, f"/c/{a.slug}/reports")
    form = re.search(r"<form method=\"get\"[^>]*>", body).group(0)
    assert f'hx-get="/c/{a.slug}/reports"' in form and 'hx-target="#report"' in form and 'hx-push-url="true"' in form
    assert 'method="get"' in form and f'action="/c/{a.slug}/reports"' in form  # works without scripts too


@pytest.mark.parametrize(("query", "message"), [
    ("?start=2026-13&end=2026-04", "Enter the month as year and month, like 2026-05."),
    ("?start=January&end=2026-04", "Enter the month as year and month, like 2026-05."),
    ("?start=2026-04&end=2026-01", "The last month must be the same as or after the first month."),
    ("?start=2016-01&end=2026-01", "A report can cover up to 120 months."),
    ("?start=0001-01&end=0001-02", "Enter a month from 2000 to 2100."),
    ("?end=9999-12", "Enter a month from 2000 to 2100."),
])
def test_a_wrong_period_is_explained_and_the_last_twelve_months_shown(known, client, query, message):
    a, _, _ = known
    Auth(client).sign_in(quality_contact_of(a))
    response, body = page(client, f"/c/{a.slug}/reports{query}")
    assert response.status_code == 200
    assert message in body and 'class="error-summary"' in body and 'aria-invalid="true"' in body
    assert re.search(r"received \w{3} \d{4} to \w{3} \d{4}\.", status_line(body))  # the default, said plainly
    assert len(re.findall(r'<rect class="bar"', body)) == 12


def test_one_end_of_the_period_is_enough(known, client):
    a, _, _ = known
    Auth(client).sign_in(quality_contact_of(a))
    _, body = page(client, f"/c/{a.slug}/reports?end=2026-04")
    assert status_line(body) == "7 complaints received May 2025 to Apr 2026."  # c6 and c7 too
    assert 'name="start" type="month" value="2025-05"' in body  # the form shows the months used
    _, body = page(client, f"/c/{a.slug}/reports?start=2026-02&end=")
    assert status_line(body).startswith("4 complaints received Feb 2026 to ")


def test_the_chart_is_an_accessible_svg_with_no_inline_style_or_script(known, client):
    a, _, _ = known
    Auth(client).sign_in(quality_contact_of(a))
    _, body = page(client, f"/c/{a.slug}/reports{KNOWN}")
    svg = re.search(r"<svg .*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-months-title chart-months-desc"' in svg
    assert '<title id="chart-months-title">Complaints received per month, Jan 2026 to Apr 2026</title>' in svg
    assert '<desc id="chart-months-desc">' in svg
    heights = [float(h) for h in re.findall(r'<rect class="bar" [^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 4 and heights[1] == 2 * heights[0] == 2 * heights[2] == 2 * heights[3]  # 1, 2, 1, 1
    assert "style=" not in body and "<script>" not in body and "<style" not in body  # CSP: style-src 'self'
    assert "<caption class=\"visually-hidden\">Complaints by month received</caption>" in body  # same data, a table


def test_a_case_closed_through_the_real_forms_is_counted(policy_centre, client, complain):
    complaint, _ = complain(policy_centre, category="website")
    Auth(client).sign_in(quality_contact_of(policy_centre))
    assert act(client, policy_centre, complaint, "close-stage", outcome="Link fixed.").status_code == 303
    _, body = page(client, f"/c/{policy_centre.slug}/reports")
    assert status_line(body).startswith("1 complaint received ")
    assert "1 of 1 stages closed" in body and '<span class="count">100%</span>' in body
    assert re.search(r"<th scope=\"row\">Website</th><td>1</td><td>0</td>", body)  # waiting for the learner


# --- the awarding body's report --------------------------------------------------------------------------

def test_the_awarding_bodys_report_shows_every_centre(known, client, make_admin):
    Auth(client).sign_in(make_admin("director"))
    response, body = page(client, f"/admin/reports{KNOWN}")
    assert response.status_code == 200
    assert status_line(body) == "9 complaints received Jan 2026 to Apr 2026."
    assert re.search(r"Northgate Training <span class=\"muted\">\d+</span></th>\s*<td>5</td><td>3</td>", body)
    assert re.search(r"Direct to the awarding body</th>\s*<td>2</td>", body)
    for label in ("Centre stage 1", "Centre stage 2", "Awarding body stage 2", "Direct: stage one"):
        assert f'<th scope="row">{label}</th>' in body
    _, body = page(client, f"/admin/reports{KNOWN}&nation=wales")
    assert status_line(body) == "0 complaints received Jan 2026 to Apr 2026 at centres in Wales."
    _, body = page(client, f"/admin/reports{KNOWN}&nation=atlantis")
    assert "Not a valid choice." in body


@pytest.mark.parametrize("role", ADMIN_READERS)
def test_each_reader_role_is_enough(known, app, make_admin, role):
    client = app.test_client()
    Auth(client).sign_in(make_admin(role))
    assert client.get("/admin/reports").status_code == 200
    assert client.get("/admin/reports.csv").status_code == 200


def test_awarding_body_staff_without_a_reader_role_get_403(known, app, make_admin):
    others = [role.value for role in Role if role.value not in ADMIN_READERS]
    assert others == ["assessment", "finance", "eqa", "lead_assessor"]
    client = app.test_client()
    Auth(client).sign_in(make_admin(*others))
    assert client.get("/admin/reports").status_code == 403
    assert client.get("/admin/reports.csv").status_code == 403


def test_centre_staff_get_404_on_the_awarding_bodys_report(known, client):
    a, _, cases = known
    Auth(client).sign_in(quality_contact_of(a))
    for path in ("/admin/reports", "/admin/reports.csv"):
        response = client.get(path)
        assert response.status_code == 404
        assert cases["b1"].reference not in response.get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in_from_the_awarding_bodys_report(client):
    response = client.get("/admin/reports")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_reports_link_is_in_each_subnav(known, client, make_admin):
    a, _, _ = known
    Auth(client).sign_in(quality_contact_of(a))
    assert f'href="/c/{a.slug}/reports" aria-current="page">Reports</a>' in page(client, f"/c/{a.slug}/reports")[1]
    Auth(client).sign_out()
    Auth(client).sign_in(make_admin("customer_service"))
    assert 'href="/admin/reports"' in page(client, "/admin/")[1]
    Auth(client).sign_out()
    Auth(client).sign_in(make_admin("finance"))
    assert 'href="/admin/reports"' not in page(client, "/admin/")[1]


def test_an_empty_period_reports_zeros(policy_centre, client):
    build_case(policy_centre, received=utc(2020, 1, 1), stages=[centre_stage(utc(2020, 1, 14))])
    Auth(client).sign_in(quality_contact_of(policy_centre))
    response, body = page(client, f"/c/{policy_centre.slug}/reports?start=2026-01&end=2026-01")
    assert response.status_code == 200 and status_line(body) == "0 complaints received Jan 2026."
    assert "No complaints in this period." in body and "None resolved yet" in body


def test_the_default_retention_period_is_stated(policy_centre, client):
    Auth(client).sign_in(quality_contact_of(policy_centre))
    _, body = page(client, f"/c/{policy_centre.slug}/reports")
    assert "Complaint records are kept for 3 years after a complaint" in body
