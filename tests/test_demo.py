"""`make run` seeds the demo; every sign-in it prints works, and it shows each state of the journeys."""
import re

import pyotp
import pytest
from sqlalchemy import func, select

from portal.admin.sampling import sampling_state
from portal.cli import DEMO_PASSWORD
from portal.demo import RELEASED_EARLIER
from portal.extensions import db
from tenants.complaints.models import Complaint, Exhausted, Kind, Status
from tenants.models import Centre, CentreStatus
from tenants.submissions.models import FileKind, Result, SampleOutcome, Submission, SubmissionStatus


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}  # the demo stores its submissions' files


def test_demo_seeds_once_and_its_sign_ins_work(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["demo"])
    assert "Seeded" not in again.output
    emails = re.findall(r"^\s+(\S+@\S+)\s", first.output, flags=re.MULTILINE)
    assert len(emails) == 7
    assert re.search(r"assessor@awarding-body\.example\s+awarding body: assessment$", first.output, re.MULTILINE)
    assert re.search(r"lead@awarding-body\.example\s+awarding body: lead assessor$", first.output, re.MULTILINE)
    # The platform admin signs in with a second factor: the key `flask demo` printed makes the codes.
    [key] = re.findall(r"add the key ([A-Z2-7]{32}) to an authenticator app", first.output)
    for email in emails:
        response = client.post("/sign-in", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 303, email
        if email == "admin@awarding-body.example":
            assert response.location == "/sign-in/code"
            response = client.post("/sign-in/code", data={"code": pyotp.TOTP(key).now()})
            assert response.status_code == 303 and response.location == "/admin/", response.location
        else:
            assert not response.location.startswith("/sign-in"), email
        assert client.get(response.location).status_code == 200, email
        client.post("/sign-out")
    statuses = dict(db.session.execute(select(Centre.status, func.count()).group_by(Centre.status)).all())
    assert statuses == {CentreStatus.APPROVED: 2, CentreStatus.APPLIED: 1}
    cases = db.session.execute(select(Complaint)).scalars().all()
    assert any(c.exhausted_reason is Exhausted.FINAL_STAGE_CLOSED for c in cases)
    assert any(c.kind is Kind.MALPRACTICE for c in cases)
    assert any(c.status is Status.OPEN and c.escalated_at is None for c in cases)


def test_demo_has_submissions_in_the_queues_with_their_files_stored(app, tmp_path):
    """Northgate's tracker and the awarding body's queues are populated; every file is in UPLOAD_DIR."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    every = db.session.execute(select(Submission).order_by(Submission.id)).scalars().all()
    northgate = db.session.execute(select(Centre).where(Centre.slug == "northgate")).scalar_one()
    # Besides the results released in earlier months for the referral rates (test below), every submission is
    # Northgate's.
    earlier = {(enr, unit) for month in RELEASED_EARLIER for _, enr, unit, _ in month}
    submissions = [s for s in every if (s.learner.enrolment_number, s.unit.code) not in earlier]
    assert {s.centre_id for s in submissions} == {northgate.id}
    by_status = {s.status: s for s in submissions}
    assert set(by_status) == {SubmissionStatus.AWAITING_QC, SubmissionStatus.RELEASED, SubmissionStatus.HELD,
                              SubmissionStatus.MARKED}
    assert by_status[SubmissionStatus.AWAITING_QC].word_count < 5000
    referred = by_status[SubmissionStatus.RELEASED]
    assert referred.result is Result.REFERRED and referred.number == 1 and referred.referred_criteria
    assert referred.sampled_at is not None and referred.sample_outcome is SampleOutcome.CONFIRMED
    # For the lead assessor: one result waiting for its sample, one held by the issues its sample found.
    marked = [s for s in submissions if s.status is SubmissionStatus.MARKED]
    assert sorted(sampling_state(s).label for s in marked) == ["Issues found: re-mark, or a lead assessor confirms",
                                                               "Sample before release"]
    assert FileKind.MARKED_RESULT_SHEET in {f.kind for f in referred.files}
    held = by_status[SubmissionStatus.HELD]
    assert held.word_count > 5000 and held.excess_fees == 1
    for submission in every:
        assert {FileKind.ASSESSMENT, FileKind.RESULT_SHEET} <= {f.kind for f in submission.files}
        for stored in submission.files:
            assert (tmp_path / "uploads" / stored.stored_name).is_file(), stored.download_name


def test_the_demo_has_an_invoice_for_a_past_week(app, tmp_path):
    from portal.demo import seed_demo
    from portal.invoicing.models import Invoice

    app.config["UPLOAD_DIR"] = str(tmp_path)
    seed_demo(DEMO_PASSWORD)
    [invoice] = db.session.execute(select(Invoice)).unique().scalars().all()
    assert (invoice.subtotal_pence, invoice.vat_pence, invoice.total_pence) == (4500, 900, 5400)  # £45 + 20% VAT
    assert [line.kind.value for line in invoice.lines] == ["resubmission"]


def test_the_demo_flags_a_centre_for_its_eqa_and_has_a_failed_job_run(app, client, tmp_path):
    """Issue 12: the awarding body's overview shows a centre flagged for its referral rate and a failed job run in
    the demo, each made by the real mechanism (released results in the last two complete months; an invoicing run
    recorded as it failed), and each figure links to the list that shows it."""
    from portal.invoicing.models import Invoice, JobRun, RunStatus
    from tests.dashboards.conftest import figures_on

    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    [key] = re.findall(r"add the key ([A-Z2-7]{32}) to an authenticator app", result.output)
    runs = db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().all()
    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.SUCCEEDED]
    assert "NoFeeSchedule: no fee schedule in force" in runs[0].error and runs[1].rerun_of_id == runs[0].id
    [invoice] = db.session.execute(select(Invoice)).unique().scalars().all()
    assert invoice.job_run_id == runs[1].id

    client.post("/sign-in", data={"email": "admin@awarding-body.example", "password": DEMO_PASSWORD})
    assert client.post("/sign-in/code", data={"code": pyotp.TOTP(key).now()}).status_code == 303
    shown = figures_on(client.get("/admin/").get_data(as_text=True))
    flagged, failed = shown["Centres flagged for their referral rate"], shown["Failed or abandoned job runs"]
    assert (flagged.count, failed.count) == (1, 1)
    eqa = client.get(flagged.url).get_data(as_text=True)
    flagged_part = eqa.split("<h2>Flagged centres</h2>")[1].split("<h2>")[0]
    assert "Northgate Training Ltd" in flagged_part and "Fife College" not in flagged_part
    jobs = client.get(failed.url).get_data(as_text=True)
    assert jobs.count('<div class="notice notice--error">') == 1 and "no fee schedule in force" in jobs


def test_the_demos_clocks_are_consistent(app, tmp_path):
    """Issue 9 §3: every date the demo shows is worked out from today with the working-day service — no case
    "received 3 Dec" shown "respond by 2 Dec, overdue", no deadline moved by calendar days over a bank holiday —
    and every stored name follows the naming convention (issue 9 §6)."""
    from portal.db import utcnow
    from portal.demo import seed_demo
    from portal.mail import OutboundEmail
    from portal.workdays import deadline, to_london
    from tenants.complaints.models import ComplaintNotice, ComplaintUpdate, Level
    from tenants.complaints.stages import AWARDING_BODY_STAGES, nation_of
    from tenants.submissions import naming
    from tenants.submissions.models import FileKind
    from tenants.submissions.upload import QC_WORKING_DAYS, SLA_WORKING_DAYS

    app.config["UPLOAD_DIR"] = str(tmp_path)
    seed_demo(DEMO_PASSWORD)
    now = utcnow()
    overdue = []
    for case in db.session.execute(select(Complaint)).scalars():
        nation = nation_of(case)
        assert case.received_at <= now, case.reference
        for index, stage in enumerate(case.stages):
            assert case.received_at <= stage.opened_at <= now, (case.reference, stage.name)
            if stage.level is Level.CENTRE:
                spec = case.policy_version.stages[index]
                assert stage.acknowledge_due == deadline(stage.opened_at, case.policy_version.acknowledge_days,
                                                         nation), (case.reference, stage.name)
                assert stage.respond_due == deadline(stage.opened_at, spec["target_days"], nation)
            else:
                spec = AWARDING_BODY_STAGES[case.route][case.awarding_body_stages.index(stage)]
                assert stage.respond_due == deadline(stage.opened_at, spec.target_days, nation)
                if spec.acknowledge_days:
                    assert stage.acknowledge_due == deadline(stage.opened_at, spec.acknowledge_days, nation)
            for moment in (stage.acknowledged_at, stage.responded_at, stage.closed_at):
                assert moment is None or stage.opened_at <= moment <= now, (case.reference, stage.name)
            if stage.is_open and stage.due < now:
                overdue.append(case)
        updates = db.session.execute(select(ComplaintUpdate).where(ComplaintUpdate.complaint_id == case.id)
                                     ).scalars().all()
        for entry in updates:
            assert case.received_at <= entry.at <= now, (case.reference, entry.kind)
        if case.stages:
            acknowledge_by = f"{to_london(case.stages[0].acknowledge_due):%A %-d %B %Y}"
            assert acknowledge_by in next(e.body for e in updates if e.kind == "received"), case.reference
            email = db.session.execute(select(OutboundEmail).join(ComplaintNotice, ComplaintNotice.email_id ==
                                                                  OutboundEmail.id)
                                       .where(ComplaintNotice.complaint_id == case.id,
                                              ComplaintNotice.event == "received")).scalar_one()
            assert acknowledge_by in email.body, case.reference
    assert overdue, "the demo shows a case past its deadline"
    assert all(c.received_at < c.current_stage.due for c in overdue)

    for submission in db.session.execute(select(Submission)).scalars():
        nation = db.session.get(Centre, submission.centre_id).nation
        if submission.clock_started_at is not None:
            assert submission.uploaded_at <= submission.clock_started_at
            assert submission.qc_due == deadline(submission.clock_started_at, QC_WORKING_DAYS, nation)
            assert submission.sla_due == deadline(submission.clock_started_at, SLA_WORKING_DAYS, nation)
        moments = [m for m in (submission.uploaded_at, submission.qc_decided_at, submission.allocated_at,
                               submission.marked_at, submission.sampled_at, submission.released_at) if m]
        assert moments == sorted(moments) and moments[-1] <= now, submission.id
        stem = naming.submission_stem(submission)
        for stored in submission.files:
            assert stored.download_name.startswith(stem + naming.SUFFIXES[stored.kind]), stored.download_name
        assert any(f.kind is FileKind.ASSESSMENT and f.original_name == f"{stem}.docx" for f in submission.files)
