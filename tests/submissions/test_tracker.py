"""SPEC §6.3: the centre's tracker — statuses, clocks, results only after release, filters, sort, paging, a fixed
number of queries — the referral-rate flag and the first-submissions warning."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.catalogue.models import CentreUnit
from portal.db import utcnow
from portal.extensions import db
from tenants.submissions import tracker
from tenants.submissions.models import Authenticity, Result, Submission, SubmissionStatus
from tests.submissions.conftest import make_learner


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def add_submission(centre, learner, unit, *, number: int = 1, status=SubmissionStatus.AWAITING_QC, result=None,
                   uploaded_at: datetime | None = None, released_at: datetime | None = None,
                   qc_due: datetime | None = None) -> Submission:
    uploaded_at = uploaded_at or utcnow()
    row = Submission(centre_id=centre.id, learner_id=learner.id, unit_id=unit.id, number=number, status=status,
                     result=result, uploaded_at=uploaded_at, released_at=released_at,
                     authenticity=Authenticity.COVER_PAGE, qc_due=qc_due or uploaded_at + timedelta(days=7),
                     sla_due=uploaded_at + timedelta(days=35), clock_started_at=uploaded_at)
    db.session.add(row)
    db.session.commit()
    return row


def learners(centre, n: int, start: int = 0):
    return [make_learner(centre, f"First{i}", f"Last{i:03d}", f"ENR{i:04d}") for i in range(start, start + n)]


def test_tracker_lists_status_due_date_and_results_only_when_released(setting):
    marked = add_submission(setting.centre, setting.learner, setting.unit, status=SubmissionStatus.MARKED,
                            result=Result.REFERRED)
    (other,) = learners(setting.centre, 1)
    add_submission(setting.centre, other, setting.unit, status=SubmissionStatus.RELEASED, result=Result.PASS,
                   released_at=utcnow())
    late = learners(setting.centre, 1, start=50)[0]
    add_submission(setting.centre, late, setting.long_unit, qc_due=utcnow() - timedelta(days=1))
    page = text(setting.client.get(setting.url("tracker_page")))
    assert "3 submissions" in page
    assert "Marked, awaiting release" in page and "Result by" in page
    assert "Result released" in page and "Pass" in page
    assert "Referred" not in page  # the marked referral is not released yet
    assert page.count("Overdue") == 1 and 'class="clock-overdue"' in setting.client.get(
        setting.url("tracker_page")).get_data(as_text=True)
    assert f"/submissions/{marked.id}" in page


def test_filters_by_status_unit_and_learner_with_htmx_partial(setting):
    people = learners(setting.centre, 4)
    add_submission(setting.centre, people[0], setting.unit)
    add_submission(setting.centre, people[1], setting.unit, status=SubmissionStatus.HELD)
    add_submission(setting.centre, people[2], setting.long_unit)
    add_submission(setting.centre, people[3], setting.long_unit, status=SubmissionStatus.REJECTED)
    client, url = setting.client, setting.url("tracker_page")

    def shown(**args) -> set[str]:
        response = client.get(url, query_string=args, headers={"HX-Request": "true"})
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and body.startswith('<div id="tracker">')
        return set(re.findall(r"Last\d{3}", body))

    assert shown() == {"Last000", "Last001", "Last002", "Last003"}
    assert shown(status="held") == {"Last001"}
    assert shown(unit=setting.long_unit.id) == {"Last002", "Last003"}
    assert shown(learner="last002") == {"Last002"}
    assert shown(learner="ENR0003") == {"Last003"}
    assert shown(learner="first1 last001") == {"Last001"}
    assert shown(status="held", unit=setting.long_unit.id) == set()
    full = client.get(url, query_string={"status": "held"})
    assert "<html" in full.get_data(as_text=True)  # a plain load (or Back) gets the whole page


def test_sort_by_learner_and_due(setting):
    people = learners(setting.centre, 3)
    now = utcnow()
    add_submission(setting.centre, people[2], setting.unit, uploaded_at=now - timedelta(days=3),
                   qc_due=now + timedelta(days=1))
    add_submission(setting.centre, people[0], setting.unit, uploaded_at=now - timedelta(days=1),
                   qc_due=now + timedelta(days=3))
    add_submission(setting.centre, people[1], setting.unit, uploaded_at=now - timedelta(days=2),
                   qc_due=now + timedelta(days=2))

    def order(sort: str) -> list[str]:
        body = setting.client.get(setting.url("tracker_page"), query_string={"sort": sort}).get_data(as_text=True)
        return re.findall(r"Last\d{3}", body)

    assert order("learner") == ["Last000", "Last001", "Last002"]
    assert order("due") == ["Last002", "Last001", "Last000"]
    assert order("uploaded") == ["Last000", "Last001", "Last002"]


def _link(body: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', body)
    return html.unescape(found.group(1)) if found else None


def test_paging(setting):
    """Next and Previous links name the row their page starts after (or ends before): keyset paging."""
    for person in learners(setting.centre, tracker.PAGE_SIZE + 3):
        add_submission(setting.centre, person, setting.unit)
    body = setting.client.get(setting.url("tracker_page")).get_data(as_text=True)
    first = text(setting.client.get(setting.url("tracker_page")))
    assert f"{tracker.PAGE_SIZE + 3} submissions" in first and "Page 1 of 2" in first and "Next page" in first
    assert _link(body, "prev") is None
    second = setting.client.get(_link(body, "next"), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert len(re.findall(r"<th scope=\"row\">", second)) == 3
    assert "Page 2 of 2" in text_of(second) and _link(second, "next") is None
    assert _link(second, "prev") == setting.url("tracker_page")  # page 1 is the list itself


def text_of(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", body))


def test_tracker_queries_do_not_grow_with_submissions(setting, count_queries):
    """Counted when the page is made (the first visit after a write: the centre's data version moved, so nothing
    is reused), for the first page and a later one, at two sizes."""
    url = setting.url("tracker_page")
    units = [setting.unit, setting.long_unit]

    def add(n: int, start: int) -> None:
        for i, person in enumerate(learners(setting.centre, n, start)):
            add_submission(setting.centre, person, units[i % 2],
                           status=SubmissionStatus.RELEASED if i % 3 == 0 else SubmissionStatus.MARKING,
                           result=Result.REFERRED if i % 3 == 0 else None, released_at=utcnow())

    def statements(**args) -> int:
        with count_queries() as seen:
            assert setting.client.get(url, query_string=args).status_code == 200
        return len(seen)

    setting.client.get(url)  # the service's referral rates: read once a day, not the page's cost
    add(3, 0)
    few = statements(), statements(sort="learner", after=1, page=2)
    add(30, 100)
    many = statements(), statements(sort="learner", after=1, page=2)
    assert many == few and few[0] <= 5 and few[1] <= 6, (few, many)
    assert statements() == 2  # made once, then reused: the centre and the signed-in person only


def test_submission_page_queries_do_not_grow_with_files_or_history(setting, count_queries):
    setting.post(appendices=[])
    submission = db.session.execute(db.select(Submission)).scalar_one()
    url = setting.url("show", submission_id=submission.id)
    setting.client.get(url)
    with count_queries() as seen:
        assert setting.client.get(url).status_code == 200
    assert len(seen) < 15


def _released(centre, unit, results_by_month: dict[datetime, tuple[Result, ...]], start: int = 0) -> None:
    """Released results of `centre`: for each moment, one learner per result."""
    for when, results in results_by_month.items():
        for person, result in zip(learners(centre, len(results), start=start), results, strict=True):
            add_submission(centre, person, unit, status=SubmissionStatus.RELEASED, result=result, released_at=when)
        start += len(results)


R, P = Result.REFERRED, Result.PASS


def test_referral_flag_when_above_the_service_average_in_both_complete_months(setting, make_centre):
    now = utcnow()
    before_last, last, this = (moment + timedelta(days=2) for moment in tracker.complete_months(now))
    other = make_centre("Elsewhere")
    db.session.add(CentreUnit(centre_id=other.id, unit_id=setting.unit.id))
    # The service: the other centre 1 in 4 referred each month; ours 2 of 2 the month before last, 1 of 2 last month
    # and nothing referred this month (which is not complete, so it does not count).
    _released(other, setting.unit, {before_last: (R, P, P, P), last: (R, P, P, P), this: (P, P, P, P)}, start=500)
    _released(setting.centre, setting.unit, {before_last: (R, R), last: (R, P), this: (P, P, P)})
    rates = tracker.referral_rates(setting.centre.id, now)
    assert [(m.released, m.referred) for m in rates] == [(2, 2), (2, 1)]
    assert [(m.service_released, m.service_referred) for m in rates] == [(6, 3), (6, 2)]
    assert [m.label for m in rates] == [before_last.strftime("%B %Y"), last.strftime("%B %Y")]
    assert tracker.referral_flag(rates)
    page = text(setting.client.get(setting.url("tracker_page")))
    assert "Your referral rate is above the service's average" in page
    assert f"In each of the last two complete months ({rates[0].label} and {rates[1].label})" in page


def test_the_current_partial_month_never_counts(setting, make_centre):
    """Issue 9 §5: above the average last month and in this (partial) month, but not the month before last —
    the flag used to compare last month with this one and flagged this centre."""
    now = utcnow()
    before_last, last, this = (moment + timedelta(days=2) for moment in tracker.complete_months(now))
    other = make_centre("Elsewhere")
    db.session.add(CentreUnit(centre_id=other.id, unit_id=setting.unit.id))
    _released(other, setting.unit, {before_last: (R, P, P, P), last: (R, P, P, P), this: (R, P, P, P)}, start=500)
    _released(setting.centre, setting.unit, {before_last: (P, P), last: (R, R), this: (R, R)})
    rates = tracker.referral_rates(setting.centre.id, now)
    assert [(m.released, m.referred) for m in rates] == [(2, 0), (2, 2)]
    assert not tracker.referral_flag(rates)
    assert "above the service's average" not in text(setting.client.get(setting.url("tracker_page")))


def test_no_referral_flag_for_one_bad_month_or_none_without_results(setting):
    now = utcnow()
    _, last, _ = tracker.complete_months(now)
    (person,) = learners(setting.centre, 1)
    add_submission(setting.centre, person, setting.unit, status=SubmissionStatus.RELEASED, result=Result.REFERRED,
                   released_at=last + timedelta(days=1))
    rates = tracker.referral_rates(setting.centre.id, now)
    assert rates[1].rate == 1.0 and rates[0].rate is None
    assert not tracker.referral_flag(rates)
    assert "above the service's average" not in text(setting.client.get(setting.url("tracker_page")))


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 1, 15, 12, tzinfo=UTC), ("2025-11-01", "2025-12-01", "2026-01-01")),
    (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), ("2026-02-01", "2026-03-01", "2026-04-01")),  # BST: 1 April
    (datetime(2026, 12, 3, 10, tzinfo=UTC), ("2026-10-01", "2026-11-01", "2026-12-01")),
    (datetime(2026, 2, 28, 23, 59, tzinfo=UTC), ("2025-12-01", "2026-01-01", "2026-02-01")),
])
def test_the_last_two_complete_london_months(now, expected):
    assert tuple(d.date().isoformat() for d in tracker.complete_months(now)) == expected


def test_first_submissions_warning_above_ten_before_any_result(setting):
    for person in learners(setting.centre, 9):
        add_submission(setting.centre, person, setting.unit)
    assert "We recommend 5–10" not in text(setting.client.get(setting.url("upload_page")))
    add_submission(setting.centre, learners(setting.centre, 1, start=20)[0], setting.unit)
    page = text(setting.client.get(setting.url("upload_page")))
    assert "500-501 Unit 500-501: your centre has 10 submissions and no results yet. We recommend 5–10" in page
    add_submission(setting.centre, learners(setting.centre, 1, start=30)[0], setting.unit,
                   status=SubmissionStatus.RELEASED, result=Result.PASS, released_at=utcnow())
    assert "We recommend 5–10" not in text(setting.client.get(setting.url("upload_page")))


def test_the_services_referral_rates_are_computed_once_a_london_day(setting, count_queries):
    """Issue 11 §1: the service-wide aggregate behind the tracker's flag is read once per day, not per request."""
    now = utcnow()
    tracker.referral_rates(setting.centre.id, now)
    with count_queries() as statements:
        again = tracker.referral_rates(setting.centre.id, now + timedelta(minutes=5))
    assert statements == [] and [(m.released, m.referred) for m in again] == [(0, 0), (0, 0)]
    with count_queries() as statements:
        tracker.referral_rates(setting.centre.id, now + timedelta(days=1))
    assert len(statements) == 1


def test_the_days_referral_rates_change_at_the_month_boundary(setting):
    """The clock moved across midnight at the end of a month: a result released at 23:40 (London) on 31 October
    belongs to October, which the figures of 31 October do not cover and those of 1 November do."""
    london = tracker.LONDON
    evening = datetime(2026, 10, 31, 23, 30, tzinfo=london)
    first = tracker.referral_rates(setting.centre.id, evening)
    assert [m.label for m in first] == ["August 2026", "September 2026"]
    assert [(m.released, m.referred) for m in first] == [(0, 0), (0, 0)]
    (person,) = learners(setting.centre, 1)
    add_submission(setting.centre, person, setting.unit, status=SubmissionStatus.RELEASED, result=Result.REFERRED,
                   released_at=datetime(2026, 10, 31, 23, 40, tzinfo=london).astimezone(UTC))
    later_that_evening = tracker.referral_rates(setting.centre.id, datetime(2026, 10, 31, 23, 50, tzinfo=london))
    assert later_that_evening == first  # October is not complete: nothing today changes the figures
    next_day = tracker.referral_rates(setting.centre.id, datetime(2026, 11, 1, 0, 10, tzinfo=london))
    assert [m.label for m in next_day] == ["September 2026", "October 2026"]
    assert [(m.released, m.referred) for m in next_day] == [(0, 0), (1, 1)]


def test_released_since_is_a_visible_filter_in_the_form_never_a_hidden_one(setting):
    """Issue 12: the overview's "released since" is shown (a ticked box the person unticks to remove it) and said in
    the count; nothing in the form carries it unseen."""
    people = learners(setting.centre, 2)
    now = utcnow()
    add_submission(setting.centre, people[0], setting.unit, status=SubmissionStatus.RELEASED, result=Result.PASS,
                   released_at=now - timedelta(hours=1))
    add_submission(setting.centre, people[1], setting.unit, status=SubmissionStatus.RELEASED, result=Result.PASS,
                   released_at=now - timedelta(days=40))
    since = (now - timedelta(days=30)).isoformat()
    body = setting.client.get(setting.url("tracker_page"),
                              query_string={"status": "released", "released_after": since}).get_data(as_text=True)
    assert 'type="hidden" name="released_after"' not in body
    box = re.search(r'<input type="checkbox" id="released_after" name="released_after" value="([^"]+)" checked>', body)
    assert box and html.unescape(box.group(1)) == datetime.fromisoformat(since).astimezone(UTC).isoformat()
    assert re.search(r'<label for="released_after">Only results released since \d', body)
    assert "1 submission with a result released since" in text_of(body)
    unticked = text(setting.client.get(setting.url("tracker_page"), query_string={"status": "released"}))
    assert "2 submissions" in unticked and "Only results released since" not in unticked
