"""The admin pages of invoicing: re-running a failed run from /admin/jobs, and the fee schedule form at /admin/fees."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal import fees
from portal.extensions import db
from portal.fees import FeeSchedule
from portal.invoicing import services
from portal.invoicing.models import Invoice, JobRun, RunStatus
from portal.invoicing.runs import run_invoicing_recorded
from tests.conftest import Auth, quality_contact_of
from tests.invoicing.conftest import london


def invoices() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.execute(select(Invoice).order_by(Invoice.number)).unique().scalars())


def runs() -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.execute(select(JobRun).order_by(JobRun.id)).scalars())


@pytest.fixture
def signed_in(app, make_admin):
    """A fresh browser signed in as an awarding-body account holding `roles`."""

    def sign_in(*roles: str):
        client = app.test_client()
        assert Auth(client).sign_in(make_admin(*roles)).status_code == 303
        return client

    return sign_in


@pytest.fixture
def failed_run(app, fees, make_centre, make_learner, submit, monkeypatch):
    """An invoicing run of Wednesday 15 July 2026 that failed for the first of two centres ("disk full")."""
    centres = [make_centre() for _ in range(2)]
    for centre in centres:
        submit(make_learner(centre), 2, london(2026, 7, 7, 9))
    real = services.make_lines

    def failing(centre_id, items, *rest):
        if centre_id == centres[0].id:
            raise RuntimeError("disk full on the invoice volume")
        return real(centre_id, items, *rest)

    with monkeypatch.context() as patch:
        patch.setattr(services, "make_lines", failing)
        run, _ = run_invoicing_recorded(date(2026, 7, 15))
    assert run.status is RunStatus.FAILED
    assert [(i.centre_id, i.number) for i in invoices()] == [(centres[1].id, 1)]
    return run, centres


@pytest.fixture
def failed_record(app):
    """Only the record of a failed invoicing run (nothing left to invoice)."""
    from portal.invoicing.runs import finish_run, start_run

    run = start_run("invoicing", {"as_of": "2026-07-15"})
    return finish_run(run.id, summary="", error="centre 1, week of 2026-07-06: RuntimeError: disk full")


# --- re-run from the jobs page ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["platform_admin", "finance"])
def test_rerun_button_completes_the_failed_run(failed_run, signed_in, role):
    run, centres = failed_run
    client = signed_in(role)

    page = client.get("/admin/jobs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "disk full on the invoice volume" in html and f"centre {centres[0].id}, week of 2026-07-06" in html
    assert f"Re-run invoicing run {run.id}" in html

    response = client.post(f"/admin/jobs/{run.id}/rerun", data={"confirm": "yes"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/jobs")

    first, rerun = runs()
    assert (first.id, first.status) == (run.id, RunStatus.FAILED)
    assert (rerun.rerun_of_id, rerun.status, rerun.error) == (run.id, RunStatus.SUCCEEDED, "")
    assert rerun.args == {"as_of": "2026-07-15"}
    found = invoices()
    assert sorted(i.centre_id for i in found) == sorted(c.id for c in centres)
    assert [(i.centre_id, i.number) for i in found] == [(centres[1].id, 1), (centres[0].id, 2)]  # gap-free
    assert {i.week_start for i in found} == {date(2026, 7, 6)}
    assert [i.job_run_id for i in found] == [run.id, rerun.id]
    counts = db.session.execute(select(func.count()).select_from(Invoice)
                                .group_by(Invoice.centre_id, Invoice.week_start)).scalars().all()
    assert set(counts) == {1}

    after = client.get("/admin/jobs").get_data(as_text=True)
    assert f"{rerun.id} (re-run of {run.id})" in after
    assert "disk full on the invoice volume" in after  # the failure stays on record


@pytest.mark.parametrize(("case", "expected_status"), [
    ("no confirm field", 303),
    ("a succeeded run", 303),
    ("a reminders run", 303),
    ("no such run", 404),
], ids=lambda value: str(value).replace(" ", "-"))
def test_rerun_refused(failed_record, signed_in, case, expected_status):
    from portal.db import commit
    from portal.invoicing.runs import start_run

    run = failed_record
    client = signed_in("platform_admin")
    target, data = run.id, {"confirm": "yes"}
    if case == "no confirm field":
        data = {}
    elif case == "a succeeded run":
        run_row = db.session.get(JobRun, run.id)
        run_row.status = RunStatus.SUCCEEDED
        commit()
    elif case == "a reminders run":
        target = start_run("reminders", {}).id
        row = db.session.get(JobRun, target)
        row.status, row.error = RunStatus.FAILED, "SMTP down"
        commit()
    elif case == "no such run":
        target = run.id + 1000
    before = len(runs())
    assert client.post(f"/admin/jobs/{target}/rerun", data=data).status_code == expected_status
    assert len(runs()) == before


@pytest.mark.parametrize(("roles", "status"), [(("quality",), 403), (("assessment", "customer_service"), 403)])
def test_jobs_page_and_rerun_need_platform_admin_or_finance(failed_record, signed_in, roles, status):
    run = failed_record
    client = signed_in(*roles)
    assert client.get("/admin/jobs").status_code == status
    assert client.post(f"/admin/jobs/{run.id}/rerun", data={"confirm": "yes"}).status_code == status
    assert len(runs()) == 1


def test_jobs_page_is_not_for_centre_staff(failed_record, app, centre):
    run = failed_record
    client = app.test_client()
    assert Auth(client).sign_in(quality_contact_of(centre)).status_code == 303
    assert client.get("/admin/jobs").status_code == 404
    assert client.post(f"/admin/jobs/{run.id}/rerun", data={"confirm": "yes"}).status_code == 404
    assert len(runs()) == 1


# --- the fee schedule form -------------------------------------------------------------------------------

VALID = {"effective_from": "2026-01-01", "resubmission_fee": "45.00", "vat_rate": "20"}


def schedules() -> list[tuple[date, int, int]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        select(FeeSchedule.effective_from, FeeSchedule.resubmission_fee_pence, FeeSchedule.vat_rate_bp)
        .order_by(FeeSchedule.effective_from))]


SAVED = [
    ({}, (date(2026, 1, 1), 4500, 2000)),
    ({"resubmission_fee": "0", "vat_rate": "0"}, (date(2026, 1, 1), 0, 0)),
    ({"resubmission_fee": "44.995", "vat_rate": "17.5"}, (date(2026, 1, 1), 4500, 1750)),  # half up to a penny
    ({"resubmission_fee": "100000", "vat_rate": "100"}, (date(2026, 1, 1), 10_000_000, 10_000)),
]  # demo fees, zero, rounding half up to a penny (and a basis point), the maximum


def test_fee_schedule_saved(signed_in):
    client = signed_in("platform_admin")
    for year, (fields, (_, pence, basis_points)) in enumerate(SAVED, start=2026):
        day = date(year, 1, 1)
        response = client.post("/admin/fees", data={**VALID, "effective_from": day.isoformat(), **fields})
        assert response.status_code == 303, (fields, response.get_data(as_text=True)[:2000])
        assert schedules()[-1] == (day, pence, basis_points), fields
        page = client.get("/admin/fees").get_data(as_text=True)
        assert f"1 January {year}" in page and services.pounds(pence) in page


INVALID = [
    ({"resubmission_fee": "-0.01"}, "Enter £0 to £100,000."),
    ({"resubmission_fee": "100000.01"}, "Enter £0 to £100,000."),
    ({"resubmission_fee": ""}, "Enter the fee."),
    ({"resubmission_fee": "forty"}, "Not a valid decimal value"),
    ({"vat_rate": "-1"}, "Enter 0 to 100."),
    ({"vat_rate": "100.5"}, "Enter 0 to 100."),
    ({"vat_rate": ""}, "Enter the VAT rate."),
    ({"effective_from": ""}, "Enter the date the fees start."),
    # DataRequired replaces the DateField's parse error with its own message for a date that does not parse.
    ({"effective_from": "2026-02-30"}, "Enter the date the fees start."),
    ({"effective_from": "1/1/2026"}, "Enter the date the fees start."),
]


def test_fee_schedule_validation(signed_in):
    client = signed_in("platform_admin")
    for fields, message in INVALID:
        response = client.post("/admin/fees", data={**VALID, **fields})
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True), fields
    assert schedules() == []


def test_a_second_schedule_on_the_same_date_is_refused(signed_in):
    client = signed_in("platform_admin")
    assert client.post("/admin/fees", data=VALID).status_code == 303
    response = client.post("/admin/fees", data={**VALID, "resubmission_fee": "50"})
    assert response.status_code == 422
    assert "A schedule already starts on that date." in response.get_data(as_text=True)
    assert schedules() == [(date(2026, 1, 1), 4500, 2000)]


def test_a_later_schedule_applies_from_its_date(signed_in, centre, make_learner, submit):
    """£45 + 20% from 1 January 2026; £50 + 17.5% from Wednesday 4 March 2026.

    Both weeks are invoiced by one run on Wednesday 11 March (the week of 23 Feb catching up), so both invoices
    are issued on 11 March and charge the VAT rate in force that day, 17.5% (the tax point, issue 9 §7).
    Week of 23 Feb: one line on Thu 26 Feb at £45 → £45.00 + 17.5% = 7.875 → £7.88; total £52.88.
    Week of 2 Mar: Tue 3 Mar at £45 (old fee), Wed 4 Mar 00:30 at £50 (new fee) → £95.00; VAT 17.5%
    = 16.625 → £16.63; total £111.63.
    """
    client = signed_in("platform_admin")
    assert client.post("/admin/fees", data=VALID).status_code == 303
    assert client.post("/admin/fees", data={"effective_from": "2026-03-04", "resubmission_fee": "50",
                                            "vat_rate": "17.5"}).status_code == 303
    learner = make_learner(centre)
    submit(learner, 2, london(2026, 2, 26, 10))
    submit(learner, 3, london(2026, 3, 3, 23, 59))
    submit(learner, 4, london(2026, 3, 4, 0, 30))

    services.run_invoicing(date(2026, 3, 11))
    earlier, later = invoices()
    assert earlier.week_start == date(2026, 2, 23)
    assert [line.unit_price_pence for line in earlier.lines] == [4500]
    assert earlier.issue_date == date(2026, 3, 11)
    assert (earlier.subtotal_pence, earlier.vat_rate_bp, earlier.vat_pence, earlier.total_pence) == (
        4500, 1750, 788, 5288)
    assert later.week_start == date(2026, 3, 2)
    assert [(line.number, line.unit_price_pence) for line in later.lines] == [(3, 4500), (4, 5000)]
    assert (later.subtotal_pence, later.vat_rate_bp, later.vat_pence, later.total_pence) == (
        9500, 1750, 1663, 11163)


def test_no_schedule_in_force_fails_the_run_and_bills_nothing(app, centre, make_learner, submit):
    submit(make_learner(centre), 2, london(2026, 3, 3, 10))
    run, _ = run_invoicing_recorded(date(2026, 3, 11))
    assert run.status is RunStatus.FAILED and "no fee schedule in force on 2026-03-03" in run.error
    assert invoices() == []


@pytest.mark.parametrize(("roles", "get_status"), [
    (("platform_admin",), 200),
    (("finance",), 403),
    (("quality", "assessment", "customer_service", "team_leader", "director"), 403),
])
def test_fee_schedule_roles(signed_in, roles, get_status):
    client = signed_in(*roles)
    assert client.get("/admin/fees").status_code == get_status
    response = client.post("/admin/fees", data=VALID)
    assert response.status_code == (303 if get_status == 200 else 403)
    assert len(schedules()) == (1 if get_status == 200 else 0)


def test_fee_schedule_is_not_for_centre_staff_or_strangers(app, centre):
    client = app.test_client()
    anonymous = client.get("/admin/fees")
    assert anonymous.status_code in (302, 303) and "/sign-in" in anonymous.headers["Location"]
    assert Auth(client).sign_in(quality_contact_of(centre)).status_code == 303
    assert client.get("/admin/fees").status_code == 404
    assert client.post("/admin/fees", data=VALID).status_code == 404
    assert schedules() == []


def test_the_demo_has_a_fee_schedule(app):
    from portal.demo import seed_demo

    seed_demo("demo password")
    schedule = fees.fee_schedule_on(date(2026, 3, 11))
    assert (schedule.effective_from, schedule.resubmission_fee_pence, schedule.vat_rate_bp) == (
        date(2026, 1, 1), 4500, 2000)
