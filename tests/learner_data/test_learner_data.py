"""Issue 13 §3: a learner's data on request — export as one zip, erasure with anonymised counts kept — on the real
database and upload folder, through the Quality contact's pages."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import String, Text, func, select

from portal.audit import AuditEvent
from portal.db import commit, utcnow
from portal.extensions import db
from portal.fees import FeeSchedule
from portal.invoicing.models import Invoice, InvoiceLine
from portal.invoicing.services import invoice_centre_week
from portal.invoicing.weeks import week_of
from portal.mail import OutboundEmail
from tenants.complaints.handling import close_stage, learner_accepts
from tenants.complaints.intake import ComplaintDetails, submit_complaint
from tenants.complaints.models import Complaint
from tenants.learners.models import Learner
from tenants.submissions import storage
from tenants.submissions.models import FileKind, Result, SubmissionFile, SubmissionStatus
from tests.assessment import factory
from tests.complaints.conftest import publish
from tests.conftest import Auth, quality_contact_of
from tests.documents.builders import docx_bytes, p

NAME, EMAIL, ENR = ("Sam", "Smith"), "sam.smith@learner.example", "SMI777"
SAM_AGAIN = {"first_name": "Sam", "last_name": "Smith", "enrolment_number": ENR}
ESSAY = docx_bytes(p("Sam Smith's essay on leading a team."))


@pytest.fixture
def app_overrides(tmp_path):
    # Mail is kept in the outbox (no SMTP round trips): the erasure must reach the messages there too.
    return {"UPLOAD_DIR": str(tmp_path / "uploads"), "MAIL_SERVER": None}


def signed_in(app, user):
    client = app.test_client()
    assert Auth(client).sign_in(user).status_code == 303
    return client


def closed_complaint(centre, qc, **details):
    """A complaint the centre answered and the learner accepted: closed."""
    complaint, _ = submit_complaint(centre, ComplaintDetails(**details))
    close_stage(complaint, "Apologised to Sam Smith; feedback sent.", by=qc)
    learner_accepts(complaint)
    commit()
    return complaint


@pytest.fixture
def world(app, centre):
    """Sam Smith at `centre`: two released submissions (a referral and its resubmission, invoiced), files on disk, a
    closed complaint matched by ENR and another by email, and a stranger's complaint that is not theirs."""
    publish(centre)
    qc = quality_contact_of(centre)
    db.session.add(FeeSchedule(effective_from=date(2020, 1, 1), resubmission_fee_pence=4499, vat_rate_bp=2000))
    learner = factory.make_learner(centre, first=NAME[0], last=NAME[1], enr=ENR)
    learner.email = EMAIL
    unit = factory.make_unit("SMI-500")
    last_week = utcnow() - timedelta(days=7)
    first = factory.make_submission(centre, learner=learner, unit=unit, status=SubmissionStatus.RELEASED,
                                    result=Result.REFERRED, referred_criteria="AC1.2", released_at=last_week,
                                    uploaded_at=last_week - timedelta(days=30), with_file=False)
    factory.store_file(first, ESSAY, download_name="S.Smith-SMI777(1).docx")
    factory.store_file(first, docx_bytes(p("Marked")), FileKind.MARKED_RESULT_SHEET, "S.Smith-SMI777(1) marked.docx")
    second = factory.make_submission(centre, learner=learner, unit=unit, number=2, uploaded_at=last_week,
                                     status=SubmissionStatus.RELEASED, result=Result.PASS, released_at=utcnow(),
                                     with_file=False, sample_note="Sam's second attempt reads well.")
    factory.store_file(second, ESSAY, download_name="S.Smith-SMI777(2).docx")
    db.session.commit()
    invoice = invoice_centre_week(centre.id, week_of(last_week))
    by_enr = closed_complaint(centre, qc, name="Sam Smith", email="sammy@elsewhere.example",
                              enrolment_number="smi777 ", summary="Sam Smith was not given feedback on time.")
    by_email = closed_complaint(centre, qc, name="S. Smith", email=EMAIL, summary="I asked twice about my certificate.")
    stranger, _ = submit_complaint(centre, ComplaintDetails(name="Ola Other", email="ola@example.org",
                                                            enrolment_number="OLA100", summary="Not about Sam."))
    commit()
    return {"learner": learner, "submissions": (first, second), "invoice": invoice, "staff": signed_in(app, qc),
            "complaints": (by_enr, by_email), "stranger": stranger}


@pytest.fixture
def admin(make_admin):
    return make_admin()


def data_url(centre, learner, action: str = "") -> str:
    return f"/c/{centre.slug}/learners/{learner.id}/data{action}"


def stored_paths(app, files) -> list:
    return [storage.path_of(app.config["UPLOAD_DIR"], f.stored_name) for f in files]


def check_export(app, centre, world):
    learner, staff = world["learner"], world["staff"]
    page = staff.get(data_url(centre, learner))
    assert page.status_code == 200
    assert "2 submissions and 3 stored files" in " ".join(page.get_data(as_text=True).split())
    response = staff.post(data_url(centre, learner, "/export"))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("learner-data.json"))
    assert data["learner"]["email"] == EMAIL and data["learner"]["enrolment_number"] == ENR
    assert [s["number"] for s in data["submissions"]] == [1, 2]
    assert data["submissions"][0]["result"] == "referred" and data["submissions"][0]["referred_criteria"] == "AC1.2"
    assert "sample_note" not in data["submissions"][1]  # the awarding body's internal note
    references = {c["reference"]: c["matched_by"] for c in data["complaints"]}
    by_enr, by_email = world["complaints"]
    assert references == {by_enr.reference: "enrolment number", by_email.reference: "email address"}
    assert world["stranger"].reference not in json.dumps(data)
    assert data["complaints"][0]["summary"] == "Sam Smith was not given feedback on time."
    assert any(e["action"] == "learner_added" or e["subject"] == by_enr.reference for e in data["audit_events"])
    files = [f for s in data["submissions"] for f in s["files"]]
    assert len(files) == 3  # assessment, marked result sheet (released), resubmission
    for described in files:
        assert archive.getinfo(described["in_this_zip"]).file_size == described["size"]
    essay = next(f["in_this_zip"] for f in files if f["download_name"] == "S.Smith-SMI777(2).docx")
    assert archive.read(essay) == ESSAY
    exported = db.session.execute(select(AuditEvent).where(AuditEvent.action == "learner_data_exported")).scalar_one()
    assert exported.subject == ENR and exported.centre_id == centre.id


def _text_everywhere(skip=("invoice_line",)) -> str:
    """Every string in the database but the tables in `skip`, as one text."""
    chunks = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if table.name in skip or not columns:
                continue
            for row in connection.execute(select(*columns)):
                chunks.extend(str(value) for value in row if value)
    return "\n".join(chunks)


def _figures(app, client, admin_client, centre) -> dict:
    invoice = db.session.execute(select(Invoice)).scalar_one()
    return {
        "centre_report": client.get(f"/c/{centre.slug}/reports.csv?start=2025-01&end=2026-12").data,
        "awarding_body_report": admin_client.get("/admin/reports.csv?start=2025-01&end=2026-12").data,
        "report_page": client.get(f"/c/{centre.slug}/reports").status_code,
        "tracker": client.get(f"/c/{centre.slug}/submissions/?status=released").get_data(as_text=True).count(
            "Result released"),
        "invoice": (invoice.number, invoice.subtotal_pence, invoice.vat_pence, invoice.total_pence),
        "lines": [(line.learner_name, line.enrolment_number, line.amount_pence) for line in
                  db.session.execute(select(InvoiceLine)).scalars()],
        "counts": {model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
                   for model in (Learner, Complaint, InvoiceLine)},
    }


def test_export_then_erasure_keeping_the_figures_audited_for_the_awarding_body(app, centre, world, admin):
    """The export is one zip of every record and the files; the erasure then removes every trace of the learner but
    the invoice lines, deletes the files from disk, and changes no report, tracker or invoice figure."""
    check_export(app, centre, world)
    learner, staff = world["learner"], world["staff"]
    files = [f for s in world["submissions"] for f in s.files]
    paths = stored_paths(app, files)
    assert all(path.is_file() for path in paths)
    admin_client = signed_in(app, admin)
    before = _figures(app, staff, admin_client, centre)
    assert before["lines"] == [("Sam Smith", ENR, 4499)] and b"Sam" not in before["centre_report"]
    assert db.session.execute(select(OutboundEmail).where(OutboundEmail.to == "sammy@elsewhere.example")).first()

    wrong = staff.post(data_url(centre, learner, "/erase"), data={"enrolment_number": "ABC000"})
    assert wrong.status_code == 422 and "Type SMI777" in wrong.get_data(as_text=True)
    assert all(path.is_file() for path in paths) and db.session.get(Learner, learner.id).email == EMAIL

    done = staff.post(data_url(centre, learner, "/erase"), data={"enrolment_number": "smi777"})
    assert done.status_code == 303
    erased = db.session.get(Learner, learner.id)
    pseudonym = f"ERASED{learner.id}"
    assert (erased.full_name, erased.email, erased.enrolment_number) == ("Erased learner", None, pseudonym)
    assert erased.erased_at is not None
    assert not any(path.exists() for path in paths), "files left on disk"
    assert db.session.execute(select(func.count()).select_from(SubmissionFile)).scalar_one() == 0
    everything = _text_everywhere()
    for personal in ("Smith", "sam.smith", "sammy@", "SMI777", "smi777", "feedback on time", "asked twice"):
        assert personal.lower() not in everything.lower(), f"{personal!r} is still in the database"
    assert "Ola Other" in everything and "Not about Sam." in everything  # the stranger's case is untouched
    after = _figures(app, staff, admin_client, centre)
    assert after == before, "an erasure changed a report, the tracker or an invoice"

    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "learner_erased")).scalar_one()
    assert event.subject == pseudonym and event.actor_id == quality_contact_of(centre).id
    assert "3 file(s) deleted" in event.detail and "2 complaint(s)" in event.detail and "1 invoice line" in event.detail
    audit_page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Learner erased" in audit_page and pseudonym in audit_page
    assert not db.session.execute(select(OutboundEmail).where(OutboundEmail.to.ilike("%sammy%"))).first()
    again = staff.get(data_url(centre, erased))
    assert "already been erased" not in again.get_data(as_text=True) and "Erased" in again.get_data(as_text=True)
    assert pseudonym not in staff.get(f"/c/{centre.slug}/submissions/new").get_data(as_text=True)  # no new uploads
    assert staff.post(f"/c/{centre.slug}/learners/{learner.id}/edit", data=SAM_AGAIN).status_code == 422
    refused = staff.post(data_url(centre, erased, "/erase"), data={"enrolment_number": pseudonym})
    assert refused.status_code == 422 and "already been erased" in refused.get_data(as_text=True)


def test_erasure_is_refused_while_a_complaint_is_open_or_a_submission_is_with_the_awarding_body(
        app, centre, make_staff):
    publish(centre)
    learner = factory.make_learner(centre, first=NAME[0], last=NAME[1], enr=ENR)
    factory.make_submission(centre, learner=learner, status=SubmissionStatus.MARKING)
    open_case, _ = submit_complaint(centre, ComplaintDetails(name="Sam Smith", email="sam@example.org",
                                                             enrolment_number=ENR, summary="Still waiting."))
    commit()
    member = signed_in(app, make_staff(centre))  # only the Quality contact: another member of staff gets 403
    assert member.get(data_url(centre, learner)).status_code == 403
    assert member.post(data_url(centre, learner, "/export")).status_code == 403
    assert member.post(data_url(centre, learner, "/erase"), data={"enrolment_number": ENR}).status_code == 403
    staff = signed_in(app, quality_contact_of(centre))
    page = staff.get(data_url(centre, learner)).get_data(as_text=True)
    assert "cannot be erased yet" in page and open_case.reference in page and "being marked" in page
    refused = staff.post(data_url(centre, learner, "/erase"), data={"enrolment_number": ENR})
    assert refused.status_code == 422 and f"Complaint {open_case.reference} is still open" in refused.get_data(
        as_text=True)
    assert db.session.get(Learner, learner.id).enrolment_number == ENR
    assert not db.session.execute(select(AuditEvent).where(AuditEvent.action == "learner_erased")).first()
