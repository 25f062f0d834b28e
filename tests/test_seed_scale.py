"""`flask seed-scale` (issue 11 §4): a tiny run seeds rows the pages open, in the counts asked for."""
from __future__ import annotations

from sqlalchemy import func, select, text

from portal.auth.models import User
from portal.extensions import db
from portal.invoicing.models import Invoice, InvoiceLine
from portal.scale import ADMIN_EMAIL, SCALE_PASSWORD
from tenants.complaints import report_facts
from tenants.complaints.models import Complaint, ComplaintStage
from tenants.complaints.report_period import Month
from tenants.models import Centre
from tenants.submissions.models import Submission, SubmissionFile, SubmissionStatus, due_now
from tests.conftest import Auth


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_scale_seeds_the_counts_asked_and_the_pages_open(app):
    result = app.test_cli_runner().invoke(args=["seed-scale", "--centres", "3", "--submissions", "120",
                                                "--complaints", "30", "--staff", "9"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Seeded the scale database in" in result.output
    db.session.remove()
    assert count(Centre) == 3 and count(Submission) == 120 and count(Complaint) == 30
    assert db.session.execute(select(func.count()).select_from(User).where(User.centre_id.is_not(None))).scalar() == 9
    assert 2 * 120 <= count(SubmissionFile) <= 4 * 120
    assert count(ComplaintStage) >= 30
    # The stored columns the pages sort and join on are kept as the services keep them (tenants/*/models.py).
    waiting = select(func.count()).select_from(Submission).where(
        Submission.status.in_([SubmissionStatus.AWAITING_QC, SubmissionStatus.MARKING]))
    assert db.session.execute(waiting.where(Submission.due_at.is_(None))).scalar() == 0
    assert db.session.execute(waiting).scalar() > 0
    for row in db.session.execute(select(Submission.status, Submission.qc_due, Submission.sla_due, Submission.due_at)):
        assert row.due_at == due_now(row.status, row.qc_due, row.sla_due)  # the rule the ORM applies on save
    assert db.session.execute(select(func.count()).select_from(Complaint)
                              .where(Complaint.stage_position.is_(None))).scalar() == 0
    facts = [Complaint.id, Complaint.stage_position, *[getattr(Complaint, name) for name in report_facts.FACTS]]
    assert sorted(db.session.execute(select(*facts)).all()) == sorted(db.session.execute(report_facts.from_scratch()))
    assert all(month == Month.of(received).index
               for month, received in db.session.execute(select(Complaint.report_month, Complaint.received_at)))
    if db.engine.dialect.name == "postgresql":  # the services' next ids come after the seeded ones
        for table in ("user_account", "submission", "submission_file", "complaint", "invoice"):
            following = db.session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")).scalar()
            assert following > db.session.execute(text(f"SELECT max(id) FROM {table}")).scalar(), table
    # Every billable resubmission of a week already due is on exactly one invoice, as the weekly runs leave it.
    lines = db.session.execute(select(func.count()).select_from(InvoiceLine)).scalar_one()
    assert count(Invoice) > 0 and lines >= count(Invoice)

    admin = app.test_client()
    assert Auth(admin).sign_in(ADMIN_EMAIL, SCALE_PASSWORD).status_code == 303
    for url in ("/admin/", "/admin/invoices", "/admin/complaints/", "/admin/assessment/release", "/admin/reports"):
        assert admin.get(url).status_code == 200, url
    largest = db.session.execute(select(Centre).order_by(Centre.id)).scalars().first()
    case = db.session.execute(select(Complaint.id).where(Complaint.centre_id == largest.id)).scalars().first()
    quality = app.test_client()
    assert Auth(quality).sign_in("qc1@scale.example", SCALE_PASSWORD).status_code == 303
    for url in (f"/c/{largest.slug}/submissions/", f"/c/{largest.slug}/cases/{case}", f"/c/{largest.slug}/cases/",
                f"/c/{largest.slug}/invoices/"):
        assert quality.get(url).status_code == 200, url

    again = app.test_cli_runner().invoke(args=["seed-scale", "--centres", "1"])
    assert again.exit_code != 0 and "not empty" in again.output


def test_rows_written_in_bulk_move_their_own_centres_data_version(app, make_centre):
    """Seeding writes in bulk (on PostgreSQL a COPY, or, where row-level security applies to the connected role, a
    copy into a temporary table moved in by one INSERT … SELECT), and its writes move each centre's data version as
    any write does (the triggers of migration 0017): a tracker page cached before is never served again. Only the
    centres written to move; the rows are those given, their enums stored by value."""
    from portal.scale import bulk, next_id
    from tenants.learners.models import Learner, LearnerStatus

    written, untouched = make_centre(), make_centre()
    before = {centre.id: centre.data_version for centre in (written, untouched)}
    first = next_id(Learner)
    bulk(Learner, [dict(id=first + n, centre_id=written.id, first_name="Sam", last_name=f"Bulk{n}",
                        enrolment_number=f"BULK{n:04d}", qualification="ILM", status=LearnerStatus.IN_PROGRESS)
                   for n in range(3)])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Centre, written.id).data_version > before[written.id]
    assert db.session.get(Centre, untouched.id).data_version == before[untouched.id]
    stored = db.session.execute(select(Learner.last_name, Learner.status, Learner.centre_id)
                                .where(Learner.id >= first).order_by(Learner.id)).all()
    assert stored == [(f"Bulk{n}", LearnerStatus.IN_PROGRESS, written.id) for n in range(3)]
    assert db.session.execute(text("SELECT status FROM learner WHERE id = :id"), {"id": first}).scalar() == \
        LearnerStatus.IN_PROGRESS.value
