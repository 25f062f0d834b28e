"""The quality-check, marking and release queues: clocks worked by hand, highlighting, filters, query counts."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.admin.assessment_queue import submission_clocks
from portal.workdays import Nation
from tenants.submissions.models import Result, SampleOutcome, SubmissionStatus
from tests.assessment.factory import make_submission

S = SubmissionStatus
# Friday 22 August 2025, 10:00 in London. Monday 25 August is the summer bank holiday in England (and Wales and
# Northern Ireland) but not in Scotland, whose summer holiday was Monday 4 August.
UPLOAD = datetime(2025, 8, 22, 9, 0, tzinfo=UTC)
SATURDAY = datetime(2025, 8, 30, 9, 0, tzinfo=UTC)  # 10:00 BST, Saturday 30 August


@pytest.fixture
def at(monkeypatch):
    def travel(moment: datetime):
        monkeypatch.setattr("portal.admin.assessment.utcnow", lambda: moment)

    return travel


def test_clocks_are_worked_in_the_centres_nation(make_centre):
    england = make_centre("Northgate", nation=Nation.ENGLAND)
    scotland = make_centre("Fife", nation=Nation.SCOTLAND)
    # England: working days 1-5 are Tue 26, Wed 27, Thu 28, Fri 29 Aug and Mon 1 Sep; day 25 is Mon 29 Sep.
    sub = make_submission(england, uploaded_at=UPLOAD)
    assert sub.qc_due == datetime(2025, 9, 1, 22, 59, 59, tzinfo=UTC)  # 23:59:59 BST
    assert sub.sla_due == datetime(2025, 9, 29, 22, 59, 59, tzinfo=UTC)
    # Scotland: Mon 25 Aug is working day 1, so day 5 is Fri 29 Aug and day 25 is Fri 26 Sep.
    sub = make_submission(scotland, uploaded_at=UPLOAD)
    assert sub.qc_due == datetime(2025, 8, 29, 22, 59, 59, tzinfo=UTC)
    assert sub.sla_due == datetime(2025, 9, 26, 22, 59, 59, tzinfo=UTC)
    states = {c.label: c.state for c in submission_clocks(sub, Nation.SCOTLAND, SATURDAY)}
    assert states == {"Quality check": "overdue", "Result": "running"}


def test_clock_states(centre):
    sub = make_submission(centre, uploaded_at=UPLOAD, status=S.REJECTED,
                          qc_decided_at=datetime(2025, 8, 26, 9, tzinfo=UTC))
    assert [c.state for c in submission_clocks(sub, Nation.ENGLAND, SATURDAY)] == ["met", "stopped"]
    late = make_submission(centre, uploaded_at=UPLOAD, status=S.RELEASED,
                           qc_decided_at=datetime(2025, 9, 2, 9, tzinfo=UTC),
                           released_at=datetime(2025, 9, 10, 9, tzinfo=UTC))
    assert [c.state for c in submission_clocks(late, Nation.ENGLAND, SATURDAY)] == ["late", "met"]


def test_quality_check_queue_oldest_deadline_first_with_highlighting(make_centre, checker, signed_in, at):
    england = make_centre("Northgate Training", nation=Nation.ENGLAND)
    scotland = make_centre("Fife College", nation=Nation.SCOTLAND)
    make_submission(england, uploaded_at=UPLOAD)
    make_submission(scotland, uploaded_at=UPLOAD)
    fresh = make_submission(england, uploaded_at=SATURDAY)
    make_submission(england, status=S.MARKING)  # not in this queue
    at(SATURDAY)
    page = signed_in(checker).get("/admin/assessment/").get_data(as_text=True)
    assert "3 submissions" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert "Fife College" in rows[0] and 'class="clock-overdue"' in rows[0]
    assert "Fri 29 Aug 2025" in rows[0] and "Fri 26 Sep 2025" in rows[0] and "Overdue" in rows[0]
    assert "Northgate Training" in rows[1] and 'class="clock-due-soon"' in rows[1]
    assert "Mon 1 Sep 2025" in rows[1] and "Mon 29 Sep 2025" in rows[1] and "Due soon" in rows[1]
    assert f"ENR {fresh.learner.enrolment_number}" in rows[2] and "clock-" not in rows[2].split(">")[0]
    assert "3,120" in rows[0] and "Sat 30 Aug 2025 10:00" in rows[2]


def test_filters_answer_htmx_with_the_table_only(make_centre, checker, signed_in, at):
    england = make_centre("Northgate Training", nation=Nation.ENGLAND)
    scotland = make_centre("Fife College", nation=Nation.SCOTLAND)
    make_submission(england, uploaded_at=UPLOAD)
    make_submission(scotland, uploaded_at=UPLOAD)
    at(SATURDAY)
    client = signed_in(checker)
    overdue = client.get("/admin/assessment/quality?due=overdue", headers={"HX-Request": "true"})
    assert overdue.get_data(as_text=True).startswith('<div id="assessment-queue">')
    assert "Fife College" in overdue.get_data(as_text=True) and "Northgate" not in overdue.get_data(as_text=True)
    assert "HX-Request" in overdue.headers["Vary"]
    soon = client.get("/admin/assessment/quality?due=soon").get_data(as_text=True)
    assert "<html" in soon and "Northgate Training" in soon and "Fife College" not in soon.split("<tbody>")[1]


def test_marking_queue_by_assessor(centre, checker, assessor, signed_in):
    mine = make_submission(centre, status=S.MARKING, assessor_id=assessor.id)
    nobody = make_submission(centre, status=S.MARKING)
    client = signed_in(assessor)

    def shown(query: str) -> set[str]:
        page = client.get(f"/admin/assessment/marking{query}").get_data(as_text=True)
        return {s.learner.enrolment_number for s in (mine, nobody) if f"ENR {s.learner.enrolment_number}" in page}

    assert shown("") == {mine.learner.enrolment_number, nobody.learner.enrolment_number}
    assert shown("?assessor=me") == shown(f"?assessor={assessor.id}") == {mine.learner.enrolment_number}
    assert shown("?assessor=none") == {nobody.learner.enrolment_number}
    assert "Not allocated" in client.get("/admin/assessment/marking").get_data(as_text=True)


def test_release_queue_shows_sampling(centre, assessor, lead, signed_in):
    def marked(**values):
        return make_submission(centre, status=S.MARKED, assessor_id=assessor.id, result=Result.PASS,
                               marked_at=datetime(2026, 11, 2, 10, tzinfo=UTC), **values)

    selected = marked(sample_selected=True, sample_reason="new assessor: marked submission 1 of the first 5")
    unselected = marked(sample_reason="10% a month: not selected")
    held = marked(sampled_at=datetime(2026, 11, 3, tzinfo=UTC), sampled_by_id=lead.id,
                  sample_outcome=SampleOutcome.ISSUES_FOUND, sample_note="Wrong decision on AC 2.2")
    client = signed_in(lead)

    def rows(query: str = "") -> dict[int, str]:
        page = client.get(f"/admin/assessment/release{query}").get_data(as_text=True)
        return {s.id: row for s in (selected, unselected, held)
                for row in page.split("<tr")[1:] if f"ENR {s.learner.enrolment_number}" in row}

    shown = rows()
    assert "Sample before release" in shown[selected.id]
    assert "new assessor: marked submission 1 of the first 5" in shown[selected.id]
    assert "Not selected: may be released" in shown[unselected.id]
    assert "Issues found: re-mark, or a lead assessor confirms" in shown[held.id]
    assert rows("?sampling=to_sample").keys() == {selected.id}
    assert rows("?sampling=issues").keys() == {held.id}
    assert rows("?sampling=releasable").keys() == {unselected.id}
    client.post(f"/admin/assessment/submissions/{selected.id}/sample", data={"sample-outcome": "confirmed"})
    assert "Sampled: confirmed" in rows()[selected.id]
    assert rows("?sampling=releasable").keys() == {unselected.id, selected.id}


@pytest.mark.parametrize(("queue", "status"), [("quality", S.AWAITING_QC), ("marking", S.MARKING),
                                               ("release", S.MARKED)])
def test_queue_query_count_does_not_grow_with_rows(make_centre, make_admin, signed_in, count_queries, queue,
                                                   status):
    viewer = make_admin("assessment")
    client = signed_in(viewer)
    url = f"/admin/assessment/{queue}"
    centres = [make_centre(nation=nation) for nation in Nation]

    def add(n: int):
        for i in range(n):
            assessor = make_admin("assessment")
            make_submission(centres[i % 4], status=status, assessor_id=assessor.id,
                            marked_at=datetime(2026, 11, 2 + i, tzinfo=UTC), result=Result.PASS)

    add(1)
    with count_queries() as one:
        assert client.get(url).status_code == 200
    add(7)
    with count_queries() as many:
        page = client.get(url)
    assert page.status_code == 200 and "8 submissions" in page.get_data(as_text=True)
    assert len(many) == len(one), many
