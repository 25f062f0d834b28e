"""The centre's overview: what needs the centre's staff now (issue 12 §1).

Every figure counts the statement its list pages through — the complaint queue's, the tracker's — built by the
list's own filter function, so "due soon" and "overdue" keep the one meaning `portal.clocks` gives them, and the
figure's link opens a list of exactly that many rows. All the counts are read in one statement
(`portal.figures.read_at_once`); the page runs the same number of statements whatever the centre holds.

The awarding body's layer adds its own figures (the centre's invoices) through `SectionSource`s that
`create_app` lists in `app.extensions[SOURCES]`: this layer never imports the one above it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import AccountStatus, User
from portal.db import commit, utcnow
from portal.figures import Figure, FigureTable, count_of, first_of, read_at_once
from portal.tenancy import in_centre
from portal.visits import since_last_visit
from portal.workdays import to_london
from tenants.complaints import report_routes, reports
from tenants.complaints.models import Complaint
from tenants.complaints.queries import QueueFilters, centre_queue_statement
from tenants.complaints.report_period import Month, Period
from tenants.models import Centre
from tenants.policy.services import ReviewState, current_version, review_state
from tenants.submissions import tracker
from tenants.submissions.models import Submission, SubmissionStatus
from tenants.submissions.tracker import OVERDUE, WAITING_FOR_RESULT, TrackerFilters, tracker_statement

SOURCES = "centre_overview_sources"
TREND_MONTHS = 6
FIRST_VISIT_LOOKBACK = timedelta(days=30)  # "since your last visit" on a first visit: the last 30 days


@dataclass(frozen=True)
class Section:
    """A titled group of figures on the overview."""

    title: str
    figures: list[Figure]
    note: str = ""  # a sentence under the title (what the figures count)
    link: tuple[str, str] | None = None  # (text, url) of the section's own page
    table: FigureTable | None = None  # figures by two dimensions, after `figures`


SectionSource = Callable[[Centre, User, datetime], list[Section]]


@dataclass(frozen=True)
class ReviewDate:
    due: object  # date
    state: ReviewState
    url: str


@dataclass
class CentreOverview:
    centre: Centre
    sections: list[Section]
    since: datetime
    first_visit: bool
    referral_flagged: bool
    referral_months: list
    review: ReviewDate | None
    trend: reports.Report
    charts: dict = field(default_factory=dict)


def _stage_names(version) -> list[str]:
    return [stage["name"] for stage in version.stages] if version is not None else []


def _complaint_statements(filters: list[tuple[str, QueueFilters]], user: User, now: datetime, centre: Centre):
    return {name: count_of(centre_queue_statement(f, user_id=user.id, now=now, nation=centre.nation), Complaint.id)
            for name, f in filters}


def _queue_url(f: QueueFilters) -> str:
    args = {"due": f.due, "stage": f.stage, "status": None if f.status == "active" else f.status}
    return url_for("centre.cases.queue", **{k: v for k, v in args.items() if v})


def _tracker_url(f: TrackerFilters) -> str:
    args = {"status": f.status, "due": f.due, "sort": f.sort if f.sort != "uploaded" else "",
            "released_after": f.released_after.isoformat() if f.released_after else ""}
    return url_for("centre.submissions.tracker_page", **{k: v for k, v in args.items() if v})


def _day(moment: datetime | None) -> str:
    return to_london(moment).strftime("%a %-d %b %Y") if moment else ""


def centre_overview(centre: Centre, user: User, now: datetime, since: datetime | None) -> CentreOverview:
    """Everything the overview shows, for `user` at `now`; `since` is the start of their visit
    (`portal.visits.since_last_visit`), None on a first visit."""
    version = current_version(centre)
    stage_names = _stage_names(version)
    # Whole seconds: the figure's link carries the moment, and the list must count from the very same one.
    since_at = (since or now - FIRST_VISIT_LOOKBACK).replace(microsecond=0)

    complaint_filters = [("unacknowledged", QueueFilters(due="unacknowledged")),
                         ("acknowledge_overdue", QueueFilters(due="acknowledge_overdue"))]
    for number in range(1, len(stage_names) + 1):
        complaint_filters += [(f"stage{number}_soon", QueueFilters(due="soon", stage=number)),
                              (f"stage{number}_overdue", QueueFilters(due="overdue", stage=number))]
    submission_filters = {
        "held": TrackerFilters(status=SubmissionStatus.HELD.value),
        "qc": TrackerFilters(status=SubmissionStatus.AWAITING_QC.value, sort="due"),
        "qc_overdue": TrackerFilters(status=SubmissionStatus.AWAITING_QC.value, due=OVERDUE, now=now),
        "result": TrackerFilters(status=WAITING_FOR_RESULT, sort="due"),
        "result_overdue": TrackerFilters(status=WAITING_FOR_RESULT, due=OVERDUE, now=now),
        "released": TrackerFilters(status=SubmissionStatus.RELEASED.value, released_after=since_at),
    }
    statements = _complaint_statements(complaint_filters, user, now, centre)
    statements.update({name: count_of(tracker_statement(f), Submission.id) for name, f in submission_filters.items()})
    statements["qc_next"] = first_of(tracker_statement(submission_filters["qc"]), Submission.qc_due)
    statements["result_next"] = first_of(tracker_statement(submission_filters["result"]), Submission.sla_due)
    if user.is_quality_contact:
        pending = select(User.id).where(in_centre(User, centre), User.status == AccountStatus.PENDING)
        statements["staff_pending"] = count_of(pending, User.id)
    values = read_at_once(**statements)

    sections = [_complaint_section(values, dict(complaint_filters), stage_names),
                _submission_section(values, submission_filters, since)]
    if user.is_quality_contact:
        sections.append(Section("Staff accounts", [
            Figure("Account requests waiting for your decision", values["staff_pending"],
                   url_for("centre.staff.accounts"), state="action")]))
    for source in current_app.extensions.get(SOURCES, ()):
        sections += source(centre, user, now)

    rates = tracker.referral_rates(centre.id, now)
    review = None
    if version is not None:
        review = ReviewDate(version.review_due, review_state(version, to_london(now).date()),
                            url_for("centre.policy.show"))
    last = Month.of(now)
    trend = reports.compute(reports.Scope.current_centre(), Period(last.plus(1 - TREND_MONTHS), last), now)
    return CentreOverview(centre=centre, sections=sections, since=since_at, first_visit=since is None,
                          referral_flagged=tracker.referral_flag(rates), referral_months=rates, review=review,
                          trend=trend, charts={"received": report_routes.month_chart(trend),
                                               "on_time": report_routes.on_time_chart(trend)})


def _complaint_section(values: dict, complaints: dict[str, QueueFilters], stage_names: list[str]) -> Section:
    figures = [Figure("Waiting for acknowledgement", values["unacknowledged"],
                      _queue_url(complaints["unacknowledged"])),
               Figure("Acknowledgement overdue", values["acknowledge_overdue"],
                      _queue_url(complaints["acknowledge_overdue"]), state="overdue")]
    rows = [(name, [Figure(f"{name}: response due within 1 working day", values[f"stage{number}_soon"],
                           _queue_url(complaints[f"stage{number}_soon"]), state="due-soon"),
                    Figure(f"{name}: response overdue", values[f"stage{number}_overdue"],
                           _queue_url(complaints[f"stage{number}_overdue"]), state="overdue")])
            for number, name in enumerate(stage_names, start=1)]
    table = FigureTable("Open complaints by stage and the state of the response deadline", "Stage",
                        ["Response due within 1 working day", "Response overdue"], rows) if rows else None
    return Section("Complaints", figures, link=("All open complaints", url_for("centre.cases.queue")), table=table)


def _submission_section(values: dict, s: dict[str, TrackerFilters], since: datetime | None) -> Section:
    return Section("Submissions", [
        Figure("Held over the word limit: waiting for your decision", values["held"], _tracker_url(s["held"]),
               state="action"),
        Figure("Awaiting quality check", values["qc"], _tracker_url(s["qc"]),
               detail=f"earliest due {_day(values['qc_next'])}" if values["qc_next"] else ""),
        Figure("Quality check overdue", values["qc_overdue"], _tracker_url(s["qc_overdue"]), state="overdue"),
        Figure("Waiting for a result (marking or release)", values["result"], _tracker_url(s["result"]),
               detail=f"earliest due {_day(values['result_next'])}" if values["result_next"] else ""),
        Figure("Result overdue", values["result_overdue"], _tracker_url(s["result_overdue"]), state="overdue"),
        Figure("Results released since your last visit" if since else "Results released in the last 30 days",
               values["released"], _tracker_url(s["released"])),
    ], link=("All submissions", url_for("centre.submissions.tracker_page")))


def dashboard():
    """GET /c/<slug>/staff/ (endpoint `centre.staff.dashboard`, added to the staff area by tenants/routes.py: the
    overview reads every area, and those areas import the staff one). Members only, as the whole staff area."""
    now = utcnow()
    since = since_last_visit(current_user.id, "centre", now)
    page = render_template("centre/dashboard.html", centre=g.centre,
                           overview=centre_overview(g.centre, current_user, now, since))
    commit()  # after the page is read: a commit expires what the session holds, which the page would read again
    return page
