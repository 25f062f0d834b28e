"""Issue 11 §1: the tracker and the awarding body's queues sort and page in the database, each sort with an index
whose order is the sort's (so the work grows with the page, not with the centre's history). `query_plans` is what
the benchmark prints on the scale database; here, on a small one, the planner is told to avoid sorting and
scanning whole tables when it can (PostgreSQL), so a sort no index delivers still shows."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import text as sql

from portal.admin.plans import query_plans
from portal.db import utcnow
from portal.extensions import db
from tenants.submissions import tracker
from tests.submissions.test_tracker import add_submission, learners


def _plans(centre_id: int) -> dict[str, list[str]]:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sql("SET LOCAL enable_seqscan = off"))
        db.session.execute(sql("SET LOCAL enable_sort = off"))
    return query_plans(centre_id)


def test_every_tracker_sort_and_queue_page_is_ordered_and_limited_by_the_database(setting):
    start = utcnow() - timedelta(days=30)
    for i, person in enumerate(learners(setting.centre, 6)):
        add_submission(setting.centre, person, setting.unit, uploaded_at=start + timedelta(days=i))
    plans = _plans(setting.centre.id)
    assert {name for name in plans if name.startswith("tracker, sort")} == (
        {f"tracker, sort {s}" for s in tracker.SORTS} | {f"tracker, sort {s}, deep page" for s in tracker.SORTS})
    assert {"assessment queue quality", "assessment queue marking", "assessment queue release",
            "complaints queue"} <= set(plans)
    assert all(plans.values()), plans
    text = {name: " | ".join(plan) for name, plan in plans.items()}
    if db.engine.dialect.name == "postgresql":
        # The index's order is the sort's: no Sort node under the Limit, an index scan of the sort's index, on the
        # first page and on a deep one (keyset: the page after a row, not OFFSET).
        # (The "learner" sort walks the centre's learners by name and sorts each one's few submissions as they come:
        # an Incremental Sort, which the planner only chooses at scale — the benchmark prints that plan.)
        for page in ("", ", deep page"):
            uploaded, due = (text[f"tracker, sort {sort}{page}"] for sort in ("uploaded", "due"))
            assert "ix_submission_tracker_uploaded" in uploaded and "Sort" not in uploaded, uploaded
            assert "ix_submission_tracker_due_order" in due and "Sort" not in due, due
        assert "ix_submission_queue_qc_due" in text["assessment queue quality"], text["assessment queue quality"]
        assert "ix_submission_queue_sla_due" in text["assessment queue marking"], text["assessment queue marking"]
    else:
        # SQLite reads the centre's submissions in the index's order: no temporary B-tree to sort them.
        assert "ix_submission_tracker_uploaded" in text["tracker, sort uploaded"], text["tracker, sort uploaded"]
        assert "TEMP B-TREE FOR ORDER BY" not in text["tracker, sort uploaded"], text["tracker, sort uploaded"]
        assert "ix_submission_queue_qc_due" in text["assessment queue quality"], text["assessment queue quality"]


def test_stored_sort_columns_are_kept_by_the_orm_and_recomputed_after_bulk_writes(setting):
    """`submission.due_at` follows every flush (bulk seeding writes it with each row, by `due_now`:
    tests/test_seed_scale.py); `complaint.stage_position` too, and rows written without the ORM get it back from
    `recompute_stage_positions`."""
    from sqlalchemy import select, update

    from tenants.complaints.models import Complaint, ComplaintStage, recompute_stage_positions
    from tenants.submissions.models import SubmissionStatus

    (person,) = learners(setting.centre, 1)
    row = add_submission(setting.centre, person, setting.unit)
    assert row.due_at == row.qc_due
    row.status = SubmissionStatus.MARKING
    db.session.commit()
    assert row.due_at == row.sla_due
    row.status = SubmissionStatus.RELEASED
    db.session.commit()
    assert row.due_at is None
    from portal.db import commit
    from tenants.complaints import escalation
    from tenants.complaints.intake import ComplaintDetails
    from tenants.complaints.models import Category, Subject

    case, _ = escalation.submit_direct_complaint(ComplaintDetails(
        name="Pat Public", email="pat@example.org", summary="A late certificate.", subject=Subject.PRODUCT_SERVICE,
        category=Category.WEBSITE), from_centre=None)
    commit()
    assert case.stage_position == 1
    db.session.execute(update(Complaint).values(stage_position=None))
    recompute_stage_positions()
    assert db.session.execute(select(Complaint.stage_position)).scalars().all() == [1]
    assert all(position == latest for position, latest in db.session.execute(
        select(Complaint.stage_position, select(func.max(ComplaintStage.position))
               .where(ComplaintStage.complaint_id == Complaint.id).scalar_subquery())))
