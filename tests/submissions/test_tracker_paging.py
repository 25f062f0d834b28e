"""Issue 11 §1: the tracker pages by keyset — each page is "the rows after (or before) this row" in the sort's order.
Property: whatever the rows (ties on every sort key included), walking Next from the first page lists every current
row exactly once, in the sort's order, and walking Previous from the last page gives the same pages back."""
from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.db import utcnow
from portal.extensions import db
from portal.tenancy import for_all_centres, serve_centre
from tenants.learners.models import Learner
from tenants.submissions import tracker
from tenants.submissions.models import Authenticity, Result, Submission, SubmissionFile, SubmissionStatus
from tests.submissions.conftest import make_learner

PAGE = 3
NAMES = [("Ann", "Baker"), ("Ann", "Baker"), ("Bob", "Baker"), ("Cy", "Adams"), ("Dee", "Clark")]
STATUSES = [SubmissionStatus.AWAITING_QC, SubmissionStatus.MARKING, SubmissionStatus.RELEASED,
            SubmissionStatus.HELD]

row = st.tuples(st.integers(0, len(NAMES) - 1), st.integers(0, 1), st.integers(1, 4),  # learner, unit, number
                st.integers(0, 2), st.integers(0, 2), st.sampled_from(STATUSES))  # uploaded day, due day, status


@contextlib.contextmanager
def serving(centre_id: int):
    """As inside the centre's pages: the safety net and row-level security serve this centre alone."""
    serve_centre(centre_id)
    try:
        yield
    finally:
        g.pop("tenant_centre_id", None)
        for_all_centres()


def expected_order(rows: list[Submission], sort: str) -> list[int]:
    def key(s: Submission):
        if sort == "uploaded":
            return (-s.uploaded_at.timestamp(), -s.id)
        if sort == "due":
            return (s.due_at is None, s.due_at.timestamp() if s.due_at else 0, -s.uploaded_at.timestamp(), -s.id)
        return (s.learner.last_name, s.learner.first_name, s.learner_id, -s.number, -s.id)
    return [s.id for s in sorted(rows, key=key)]


def walk(centre_id: int, filters: tracker.TrackerFilters) -> tuple[list[list[int]], list[list[int]], list]:
    """(the pages walking Next from the first, the pages walking Previous from the last, each page's numbers)."""
    forward, numbers = [], []
    with serving(centre_id):
        page = tracker.tracker(filters)
        while True:
            forward.append([s.id for s in page.rows])
            numbers.append((page.page, page.pages))
            if page.next_after is None:
                break
            page = tracker.tracker(tracker.TrackerFilters(**{**filters.__dict__, "after": page.next_after,
                                                             "page": page.page + 1}))
        backward = [[s.id for s in page.rows]]
        while page.previous_before is not None:
            page = tracker.tracker(tracker.TrackerFilters(**{**filters.__dict__, "before": page.previous_before,
                                                             "after": None, "page": page.page - 1}))
            backward.insert(0, [s.id for s in page.rows])
    return forward, backward, numbers


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(tracker, "PAGE_SIZE", PAGE)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, max_size=14, unique_by=lambda r: (r[0], r[1], r[2])),
       status=st.sampled_from(["", SubmissionStatus.RELEASED.value, tracker.WAITING_FOR_RESULT]))
def test_every_row_appears_once_in_order_on_each_sort(setting, small_pages, rows, status):
    start = utcnow().replace(microsecond=0) - timedelta(days=30)
    people = [setting.learner] + [make_learner(setting.centre, first, last, f"PRP{i:04d}")
                                  for i, (first, last) in enumerate(NAMES[1:])]
    setting.learner.first_name, setting.learner.last_name = NAMES[0]
    units = [setting.unit, setting.long_unit]
    made = []
    for who, unit, number, day, due_day, state in rows:
        uploaded = start + timedelta(days=day)
        released = state is SubmissionStatus.RELEASED
        made.append(Submission(centre_id=setting.centre.id, learner_id=people[who].id, unit_id=units[unit].id,
                               number=number, status=state, authenticity=Authenticity.COVER_PAGE,
                               uploaded_at=uploaded, qc_due=start + timedelta(days=10 + due_day),
                               sla_due=start + timedelta(days=20 + due_day),
                               result=Result.PASS if released else None,
                               released_at=uploaded + timedelta(days=1) if released else None))
    # A replaced upload is in its successor's history, never a row of the tracker.
    made.append(Submission(centre_id=setting.centre.id, learner_id=people[0].id, unit_id=units[0].id, number=1,
                           is_current=False, status=SubmissionStatus.REJECTED, authenticity=Authenticity.COVER_PAGE,
                           uploaded_at=start))
    db.session.add_all(made)
    db.session.commit()
    try:
        current = [s for s in made if s.is_current and (
            not status or (s.status.value == status if status != tracker.WAITING_FOR_RESULT
                           else s.status in tracker.WITH_RESULT_CLOCK))]
        for sort in tracker.SORTS:
            filters = tracker.TrackerFilters(sort=sort, status=status)
            forward, backward, numbers = walk(setting.centre.id, filters)
            listed = [ident for page in forward for ident in page]
            assert listed == expected_order(current, sort), sort
            assert backward == forward, sort
            assert all(len(page) == PAGE for page in forward[:-1]) and len(forward[-1]) <= PAGE
            pages = max(1, -(-len(current) // PAGE))
            assert numbers == [(n, pages) for n in range(1, pages + 1)]
    finally:
        db.session.rollback()
        db.session.query(SubmissionFile).delete()
        db.session.query(Submission).delete()
        db.session.query(Learner).filter(Learner.id != setting.learner.id).delete()
        db.session.commit()


def test_a_cursor_of_another_centre_or_unknown_shows_the_first_page(setting, make_centre, small_pages):
    """`?after=` names a row by id: a row this centre cannot see is no position at all (never a hint of it)."""
    from tests.submissions.test_tracker import add_submission, learners

    mine = [add_submission(setting.centre, person, setting.unit) for person in learners(setting.centre, 4)]
    other = make_centre("Elsewhere")
    from portal.catalogue.models import CentreUnit

    db.session.add(CentreUnit(centre_id=other.id, unit_id=setting.unit.id))
    theirs = add_submission(other, make_learner(other, "Oth", "Er", "OTH0001"), setting.unit).id
    mine = {s.id for s in mine}
    with serving(setting.centre.id):
        first = [s.id for s in tracker.tracker(tracker.TrackerFilters()).rows]
        for stranger in (theirs, 10**9):
            page = tracker.tracker(tracker.TrackerFilters(after=stranger, page=7))
            assert [s.id for s in page.rows] == first and page.page == 1
    assert set(first) <= mine and len(first) == PAGE
