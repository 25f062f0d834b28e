"""Issue 11 §1: the tracker and the awarding body's queues sort and page in the database, each sort with an index
whose order is the sort's (so the work grows with the page, not with the centre's history). `query_plans` is what
the benchmark prints on the scale database; here, on a small one, the planner is told to avoid sorting and
scanning whole tables when it can (PostgreSQL), so a sort no index delivers still shows."""
from __future__ import annotations

from datetime import timedelta

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
    assert {name for name in plans if name.startswith("tracker, sort")} == {f"tracker, sort {s}" for s in tracker.SORTS}
    assert {"assessment queue quality", "assessment queue marking", "assessment queue release",
            "complaints queue"} <= set(plans)
    assert all(plans.values()), plans
    text = {name: " | ".join(plan) for name, plan in plans.items()}
    if db.engine.dialect.name == "postgresql":
        # The index's order is the sort's: no Sort node under the Limit, an index scan of the new index.
        for name in ("tracker, sort uploaded", "tracker, page 40"):
            assert "ix_submission_tracker_uploaded" in text[name] and "Sort" not in text[name], text[name]
        assert "ix_submission_tracker_due" in text["tracker, sort due"], text["tracker, sort due"]
        assert "ix_submission_queue_qc_due" in text["assessment queue quality"], text["assessment queue quality"]
        assert "ix_submission_queue_sla_due" in text["assessment queue marking"], text["assessment queue marking"]
    else:
        # SQLite reads the centre's submissions in the index's order: no temporary B-tree to sort them.
        assert "ix_submission_tracker_uploaded" in text["tracker, sort uploaded"], text["tracker, sort uploaded"]
        assert "TEMP B-TREE FOR ORDER BY" not in text["tracker, sort uploaded"], text["tracker, sort uploaded"]
        assert "ix_submission_queue_qc_due" in text["assessment queue quality"], text["assessment queue quality"]
