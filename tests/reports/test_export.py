"""The CSV export: the report's complaints one row each, as a download, safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io

import pytest

from tenants.complaints.report_routes import spreadsheet_safe
from tenants.complaints.reports import CSV_HEADER
from tests.conftest import Auth, quality_contact_of
from tests.reports.conftest import build_case, centre_stage, utc

KNOWN = "?start=2026-01&end=2026-04"


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel then reads UTF-8 (accents in names) correctly
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert tuple(rows[0]) == CSV_HEADER
    return response, [dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]]


def test_a_centres_export_is_a_csv_download_of_its_complaints(known, client):
    a, _, cases = known
    Auth(client).sign_in(quality_contact_of(a))
    response, rows = download(client, f"/c/{a.slug}/reports.csv{KNOWN}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="complaints-{a.slug}-2026-01-to-2026-04.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert [row["Reference"] for row in rows] == [cases[n].reference for n in ("c1", "c2", "c3", "c5", "c4")]
    by_ref = {row["Reference"]: row for row in rows}
    assert by_ref[cases["c1"].reference] == {
        "Reference": cases["c1"].reference, "Centre": "Northgate Training", "Received (UK date)": "2026-01-10",
        "Route": "Learner (centre first)", "Category": "Finance", "Subject": "The centre (how it runs things)",
        "Status": "Resolved", "Stage reached": "Stage 1: investigation", "Resolved on time": "yes",
        "Escalated": "no", "Exhausted reason": ""}
    c2, c3, c4, c5 = (by_ref[cases[n].reference] for n in ("c2", "c3", "c4", "c5"))
    assert (c2["Stage reached"], c2["Resolved on time"]) == ("Stage 2: review", "no")
    assert (c3["Status"], c3["Resolved on time"]) == ("Waiting for the learner", "not resolved")
    assert c4["Received (UK date)"] == "2026-04-01"  # 23:30 UTC on 31 March
    assert (c5["Stage reached"], c5["Resolved on time"], c5["Escalated"], c5["Exhausted reason"]) == \
        ("Stage 1: investigation", "no", "yes", "Centre missed a deadline")  # the centre's own stage, by name


def test_the_awarding_bodys_export_follows_the_filters(known, client, make_admin):
    _, _, cases = known
    Auth(client).sign_in(make_admin("quality"))
    response, rows = download(client, f"/admin/reports.csv{KNOWN}")
    assert response.headers["Content-Disposition"].endswith('filename="complaints-all-centres-2026-01-to-2026-04.csv"')
    assert len(rows) == 9
    by_ref = {row["Reference"]: row for row in rows}
    assert by_ref[cases["c5"].reference]["Stage reached"] == "Awarding body stage 2"
    assert (by_ref[cases["d1"].reference]["Centre"], by_ref[cases["d1"].reference]["Route"]) == \
        ("", "Direct to the awarding body")
    response, rows = download(client, f"/admin/reports.csv{KNOWN}&nation=scotland")
    assert response.headers["Content-Disposition"].endswith('filename="complaints-scotland-2026-01-to-2026-04.csv"')
    assert sorted(row["Reference"] for row in rows) == sorted(cases[n].reference for n in ("b1", "b2", "d2"))
    body = client.get(f"/admin/reports{KNOWN}&nation=scotland").get_data(as_text=True)
    assert 'href="/admin/reports.csv?start=2026-01&amp;end=2026-04&amp;nation=scotland"' in body


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_value_that_starts_like_a_formula_gets_an_apostrophe(start):
    assert spreadsheet_safe(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@pytest.mark.parametrize("value", ["Northgate Training", "2026-04-01", "", "C-200001-000001", "'quoted", " =x"])
def test_other_values_are_left_alone(value):
    assert spreadsheet_safe(value) == value


def test_names_typed_by_people_cannot_run_as_formulas(make_policy_centre, client, make_admin):
    """A centre's name (from its application) and its policy's stage names are free text."""
    evil = make_policy_centre('=HYPERLINK("http://evil.example","Click")')
    names = ["+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\tTabbed", "\rReturned"]
    for name in names:
        build_case(evil, received=utc(2026, 2, 1), stages=[centre_stage(utc(2026, 2, 12), name=name)])
    Auth(client).sign_in(quality_contact_of(evil))
    _, rows = download(client, f"/c/{evil.slug}/reports.csv{KNOWN}")
    assert sorted(row["Stage reached"] for row in rows) == sorted(f"'{name}" for name in names)
    assert {row["Centre"] for row in rows} == {"'=HYPERLINK(\"http://evil.example\",\"Click\")"}
    for row in rows:
        assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values())
    Auth(client).sign_out()
    Auth(client).sign_in(make_admin("quality"))
    _, rows = download(client, f"/admin/reports.csv{KNOWN}")
    assert {row["Centre"] for row in rows} == {"'=HYPERLINK(\"http://evil.example\",\"Click\")"}
