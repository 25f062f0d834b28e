"""Reading submissions for the centre's tracker: a fixed number of queries whatever the data size, the
referral-rate flag and the first-submissions warning (SPEC §6.3)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import and_, case, false, func, not_, or_, select, true, tuple_
from sqlalchemy.orm import contains_eager, raiseload

from portal.db import utcnow
from portal.extensions import db
from portal.tenancy import ALL_CENTRES, scoped_select
from portal.workdays import LONDON, to_london
from tenants.learners.models import Learner
from tenants.submissions.models import Result, Submission, SubmissionStatus

PAGE_SIZE = 25
FIRST_SUBMISSIONS_RECOMMENDED = (5, 10)
SORTS = ("uploaded", "due", "learner")
WITH_QC_CLOCK = (SubmissionStatus.AWAITING_QC,)
WITH_RESULT_CLOCK = (SubmissionStatus.MARKING, SubmissionStatus.MARKED)


WAITING_FOR_RESULT = "waiting_result"  # a status filter of its own: being marked, or marked and awaiting release
OVERDUE = "overdue"


@dataclass(frozen=True)
class TrackerFilters:
    status: str = ""  # a SubmissionStatus value, or WAITING_FOR_RESULT
    unit: int | None = None
    learner: str = ""
    sort: str = "uploaded"
    due: str = ""  # "" or OVERDUE: the clock the status runs (quality check, or the result) has passed
    released_after: datetime | None = None  # results released after this moment (the overview's "since")
    now: datetime | None = None  # the moment "overdue" is judged at (needed with `due`)
    page: int = 1  # the page's number as shown ("Page 3 of 150"); where the page starts is `after` or `before`
    after: int | None = None  # keyset paging: the page starts after this submission, in the sort's order ...
    before: int | None = None  # ... or ends just before it (the Previous link)


# --- the sorts, and keyset paging ---------------------------------------------------------------------------------
#
# Each sort is a list of keys, unique at the end (the submission's id), whose order an index delivers within the
# centre (migrations 0010_perfpages and 0016_tracker): "uploaded" walks ix_submission_tracker_uploaded backwards,
# "due" walks ix_submission_tracker_due_order, "learner" walks the centre's learners by name
# (ix_learner_centre_name) and sorts each learner's few submissions. A page is "the PAGE_SIZE rows after (or before)
# this row" — never "skip N rows" — so a deep page costs what the first does.

@dataclass(frozen=True)
class Key:
    column: object
    descending: bool = False
    nullable: bool = False  # NULLs come last (in the sort's own direction; first when walking it backwards)


SORT_KEYS: dict[str, tuple[Key, ...]] = {
    "uploaded": (Key(Submission.uploaded_at, descending=True), Key(Submission.id, descending=True)),
    "due": (Key(Submission.due_at, nullable=True), Key(Submission.uploaded_at, descending=True),
            Key(Submission.id, descending=True)),
    "learner": (Key(Learner.last_name), Key(Learner.first_name), Key(Learner.id),
                Key(Submission.number, descending=True), Key(Submission.id, descending=True)),
}


def _sort(filters: TrackerFilters) -> str:
    return filters.sort if filters.sort in SORTS else "uploaded"


def _order_by(keys: tuple[Key, ...], backwards: bool) -> list:
    order = []
    for key in keys:
        descending = key.descending != backwards
        term = key.column.desc() if descending else key.column.asc()
        if key.nullable:
            term = term.nulls_first() if backwards else term.nulls_last()
        order.append(term)
    return order


def _runs(keys: tuple[Key, ...], values: tuple) -> list[tuple[list[Key], list]]:
    """The keys in runs that one comparison can cover: consecutive non-null keys in one direction (a row
    comparison, which an index can start from), and each nullable key alone."""
    runs: list[tuple[list[Key], list]] = []
    for key, value in zip(keys, values, strict=True):
        last = runs[-1][0][-1] if runs else None
        if (last is not None and not key.nullable and not last.nullable and last.descending == key.descending):
            runs[-1][0].append(key)
            runs[-1][1].append(value)
        else:
            runs.append(([key], [value]))
    return runs


def _beyond(keys: list[Key], values: list, backwards: bool, *, or_equal: bool = False):
    """The rows past `values` in the run's direction (or level with them)."""
    descending = keys[0].descending != backwards
    left = keys[0].column if len(keys) == 1 else tuple_(*(k.column for k in keys))
    right = values[0] if len(keys) == 1 else tuple_(*values)
    if descending:
        return left <= right if or_equal else left < right
    return left >= right if or_equal else left > right


def _level(keys: list[Key], values: list):
    if len(keys) == 1:
        return keys[0].column == values[0]
    return tuple_(*(k.column for k in keys)) == tuple_(*values)


def _after(runs: list[tuple[list[Key], list]], backwards: bool):
    """The rows that come after the cursor's `values` in the sort (walked backwards: before it), written so that the
    leading comparison bounds an index scan: `run >= v AND (run <> v OR the rest after)`, not an OR of cases."""
    (keys, values), rest = runs[0], runs[1:]
    if keys[0].nullable:
        column, value = keys[0].column, values[0]
        nulls_last = not backwards
        if value is None:  # the cursor is among the NULLs
            rest_after = _after(rest, backwards) if rest else false()
            return and_(column.is_(None), rest_after) if nulls_last else or_(column.is_not(None),
                                                                               and_(column.is_(None), rest_after))
        past = _beyond(keys, values, backwards, or_equal=bool(rest))
        tie = or_(column != value, _after(rest, backwards)) if rest else None
        if nulls_last:
            return and_(or_(past, column.is_(None)), or_(column.is_(None), tie) if tie is not None else true())
        return and_(past, tie) if tie is not None else past
    if not rest:
        return _beyond(keys, values, backwards)
    return and_(_beyond(keys, values, backwards, or_equal=True),
                or_(not_(_level(keys, values)), _after(rest, backwards)))


def tracker_statement(filters: TrackerFilters):
    """The SELECT of the tracker's rows for `filters` (unordered): the page lists it, the overview counts it.

    The learner is joined only when its filter (or, for the page, the sort) needs it: the join is an inner one the
    planner must estimate, and it cannot know that a submission's learner is always of the same centre (it multiplies
    the two centre conditions and expects a few dozen rows, so it sorts the whole centre rather than walk an index).
    """
    statement = scoped_select(Submission).where(Submission.is_current.is_(True))
    if filters.learner.strip():
        statement = statement.join(Submission.learner)
    if filters.status in {s.value for s in SubmissionStatus}:
        statement = statement.where(Submission.status == filters.status)
    elif filters.status == WAITING_FOR_RESULT:
        statement = statement.where(Submission.status.in_(WITH_RESULT_CLOCK))
    if filters.due == OVERDUE and filters.now is not None:
        # The same rule as `clock` below: the date that matters now has passed.
        statement = statement.where(Submission.due_at.is_not(None), Submission.due_at < filters.now)
    if filters.released_after is not None:
        statement = statement.where(Submission.released_at > filters.released_after)
    if filters.unit:
        statement = statement.where(Submission.unit_id == filters.unit)
    if filters.learner.strip():
        words = filters.learner.strip().lower().split()
        for word in words[:4]:
            like = f"%{word}%"
            statement = statement.where(or_(func.lower(Learner.first_name).like(like),
                                            func.lower(Learner.last_name).like(like),
                                            func.lower(Learner.enrolment_number).like(like)))
    return statement


def cursor_statement(filters: TrackerFilters):
    """The sort keys of the row the page starts after (or ends before), or None on a first page."""
    ident = filters.after or filters.before
    if ident is None:
        return None
    statement = scoped_select(Submission).where(Submission.id == ident)
    if _sort(filters) == "learner":
        statement = statement.join(Submission.learner)
    return statement.with_only_columns(*(k.column for k in SORT_KEYS[_sort(filters)]))


def _ordered(filters: TrackerFilters, cursor: tuple | None):
    """(the count, every row of the page's list in its order from the page's start, that order)."""
    statement = tracker_statement(filters)
    count = statement.with_only_columns(func.count(Submission.id)).order_by(None)
    if _sort(filters) == "learner" and not filters.learner.strip():
        # Joined for the learner's name only: the learner shown comes with the model's own eager join, so this one
        # reads the centre's name index alone (an index-only walk in name order).
        statement = statement.join(Submission.learner)
    keys = SORT_KEYS[_sort(filters)]
    backwards = cursor is not None and filters.after is None
    order = _order_by(keys, backwards)
    # The files are the submission's page's business: the tracker shows none (one statement fewer).
    ordered = statement.options(raiseload(Submission.files)).order_by(*order)
    if cursor is not None:
        ordered = ordered.where(_after(_runs(keys, tuple(cursor)), backwards))
    return count, ordered, order


def tracker_statements(filters: TrackerFilters, cursor: tuple | None = None):
    """(the count, the page) of the current centre's current submissions under `filters`, not yet run. The page is
    PAGE_SIZE + 1 rows (the extra one says whether there is more): after `cursor` (the sort keys of
    `filters.after`), or before it (`filters.before`), walked backwards, or from the start."""
    count, ordered, order = _ordered(filters, cursor)
    page = ordered.limit(PAGE_SIZE + 1)
    if _sort(filters) == "learner":
        # The planner expects a few dozen rows from a centre's submissions joined to its learners (see
        # `tracker_statement`), so it would join every submission to its learner and unit (the eager loads) before
        # sorting the lot: the page's ids are picked first (sort keys only), then just those rows are read, their
        # learner from the join the order needs.
        page = (scoped_select(Submission).join(Submission.learner)
                .where(Submission.id.in_(page.with_only_columns(Submission.id)))
                .options(raiseload(Submission.files), contains_eager(Submission.learner)).order_by(*order))
    return count, page


def middle_row(filters: TrackerFilters) -> int | None:
    """The id of the row halfway down the list (for the plans of a deep page: tooling, not a page's query)."""
    count, ordered, _order = _ordered(filters, None)
    total = db.session.execute(count).scalar_one()
    return db.session.execute(ordered.with_only_columns(Submission.id).limit(1).offset(total // 2)).scalar()


@dataclass(frozen=True)
class TrackerPage:
    rows: list[Submission]
    total: int
    page: int  # its number, as shown
    pages: int
    next_after: int | None  # the Next link: the page after this row (None: this is the last page)
    previous_before: int | None  # the Previous link: the page before this row (None: this is the first page)
    next_due: datetime | None = None  # the next moment a date of the centre falls due (the page changes then)

    @property
    def previous_is_first(self) -> bool:
        return self.page <= 2


def tracker(filters: TrackerFilters) -> TrackerPage:
    """A page of the current centre's current submissions (replaced uploads are in each one's history)."""
    cursor = None
    cursor_query = cursor_statement(filters)
    if cursor_query is not None:
        cursor = db.session.execute(cursor_query).first()  # None: not this centre's row; the first page then
    count, page = tracker_statements(filters, cursor)
    # The count and the next date due in one round trip (each a scalar sub-select).
    total, next_due = db.session.execute(select(count.scalar_subquery(),
                                                next_due_statement(filters.now or utcnow()).scalar_subquery())).one()
    rows = list(db.session.execute(page).unique().scalars())
    backwards = cursor is not None and filters.after is None
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    pages = max(1, -(-total // PAGE_SIZE))
    has_previous = more if backwards else cursor is not None
    has_next = True if backwards else more
    number = 1 if not has_previous else pages if not has_next else max(2, min(filters.page, pages - 1))
    return TrackerPage(rows, total, number, pages,
                       next_after=rows[-1].id if has_next and rows else None,
                       previous_before=rows[0].id if has_previous and rows else None, next_due=next_due)


def next_due_statement(now: datetime):
    """The next moment one of the current centre's current submissions falls due (its clock passes): until then the
    tracker's "overdue" tags and filter stay as they are at `now`, whatever the clock says."""
    return (scoped_select(Submission).with_only_columns(func.min(Submission.due_at))
            .where(Submission.is_current.is_(True), Submission.due_at >= now))


def query_arguments(filters: TrackerFilters) -> dict[str, str]:
    """The URL arguments of `filters` (not the page's position): what the pager's links carry."""
    arguments = {"status": filters.status, "unit": str(filters.unit or ""), "learner": filters.learner.strip(),
                 "due": filters.due, "sort": filters.sort if filters.sort != "uploaded" else "",
                 "released_after": filters.released_after.isoformat() if filters.released_after else ""}
    return {name: value for name, value in arguments.items() if value}


def clock(submission: Submission, now: datetime) -> tuple[str, datetime | None, bool]:
    """(what is due, when, overdue?) for the tracker's clock column."""
    if submission.status in WITH_QC_CLOCK:
        return "Quality check by", submission.qc_due, submission.qc_due is not None and submission.qc_due < now
    if submission.status in WITH_RESULT_CLOCK:
        return "Result by", submission.sla_due, submission.sla_due is not None and submission.sla_due < now
    if submission.status is SubmissionStatus.HELD:
        return "Clock not started: choose withdraw or the fee", None, False
    if submission.status is SubmissionStatus.REJECTED:
        return "Clock stopped: upload a corrected copy", None, False
    return "", None, False


def history(submission: Submission) -> list[Submission]:
    """Every upload for this learner and unit, replaced ones included, oldest first."""
    return list(db.session.execute(
        scoped_select(Submission).where(Submission.learner_id == submission.learner_id,
                                        Submission.unit_id == submission.unit_id)
        .order_by(Submission.number, Submission.uploaded_at, Submission.id)).scalars())


# --- the referral-rate flag --------------------------------------------------------------------------------------
#
# SPEC §6.3: "Centres whose referral rate stays above the service's monthly average (the last two complete
# months) are flagged for their External Quality Assurer." A month is a Europe/London calendar month and a result
# counts in the month it was released. The service's monthly average is the service's own referral rate that month
# (every centre's referred results over every centre's released results), so each result weighs the same. The
# current month is never used: it is not complete, and a partial month would flag (or clear) a centre on a
# handful of results.

def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(first: date) -> date:
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def complete_months(now: datetime) -> tuple[datetime, datetime, datetime]:
    """(start of the month before last, start of last month, start of this month): the bounds of the last two
    complete London months, as aware datetimes."""
    this = _month_start(to_london(now).date())
    last = _previous_month(this)
    before = _previous_month(last)
    return tuple(datetime.combine(day, time(0), LONDON) for day in (before, last, this))


@dataclass(frozen=True)
class MonthRate:
    label: str
    released: int
    referred: int
    service_released: int
    service_referred: int

    @property
    def rate(self) -> float | None:
        return self.referred / self.released if self.released else None

    @property
    def service_rate(self) -> float | None:
        return self.service_referred / self.service_released if self.service_released else None

    @property
    def above(self) -> bool:
        return self.rate is not None and self.service_rate is not None and self.rate > self.service_rate


@dataclass(frozen=True)
class ReferralRates:
    """Every centre's released and referred results in each of the last two complete months, and the service's."""

    labels: tuple[str, str]
    by_centre: dict[int, tuple[tuple[int, int], tuple[int, int]]]  # centre id -> ((released, referred), ...)
    service: tuple[tuple[int, int], tuple[int, int]]

    def of(self, centre_id: int) -> list[MonthRate]:
        """The centre's two months beside the service's, oldest first."""
        ours = self.by_centre.get(centre_id, ((0, 0), (0, 0)))
        return [MonthRate(self.labels[i], *ours[i], *self.service[i]) for i in (0, 1)]

    def service_months(self) -> list[MonthRate]:
        """The service's own two months (its rate is the average every centre is compared with)."""
        return [MonthRate(self.labels[i], *self.service[i], *self.service[i]) for i in (0, 1)]

    def flagged(self) -> list[tuple[int, list[MonthRate]]]:
        """(centre id, its months) for every centre above the service's rate in both months."""
        return [(centre_id, months) for centre_id in sorted(self.by_centre)
                if referral_flag(months := self.of(centre_id))]


def service_referral_rates(now: datetime) -> ReferralRates:
    """One statement across every centre (an awarding-body figure): released and referred results per centre in
    each of the last two complete London months."""
    bounds = complete_months(now)
    columns = []
    for start, end in (bounds[:2], bounds[1:]):
        in_month = and_(Submission.released_at >= start, Submission.released_at < end)
        columns.append(func.sum(case((in_month, 1), else_=0)))
        columns.append(func.sum(case((and_(in_month, Submission.result == Result.REFERRED), 1), else_=0)))
    statement = (select(Submission.centre_id, *columns)
                 .where(Submission.status == SubmissionStatus.RELEASED, Submission.released_at >= bounds[0],
                        Submission.released_at < bounds[2])
                 .group_by(Submission.centre_id))
    # The service's average needs every centre's counts (figures per centre id, never another centre's rows).
    rows = db.session.execute(statement, execution_options={ALL_CENTRES: True}).all()
    by_centre = {row[0]: ((int(row[1] or 0), int(row[2] or 0)), (int(row[3] or 0), int(row[4] or 0))) for row in rows}
    service = tuple((sum(c[i][0] for c in by_centre.values()), sum(c[i][1] for c in by_centre.values()))
                    for i in (0, 1))
    labels = (bounds[0].strftime("%B %Y"), bounds[1].strftime("%B %Y"))
    return ReferralRates(labels, by_centre, service)


def referral_rates(centre_id: int, now: datetime) -> list[MonthRate]:
    """The centre's and the service's referral rate (referred / released) in each of the last two complete months."""
    return service_referral_rates_of_the_day(now).of(centre_id)


def service_referral_rates_of_the_day(now: datetime) -> ReferralRates:
    """`service_referral_rates(now)`, computed once per London day (per app process) rather than on every tracker
    request. Exact, not merely fresh enough: the figures cover complete months only, a result counts in the month
    it was released and is released at the moment of release, so nothing that happens today changes them; the
    months they cover change only when the London date does (at a month's end), which is a new key."""
    day = to_london(now).date()
    cache = current_app.extensions.setdefault("service_referral_rates", {})
    rates = cache.get(day)
    if rates is None:
        rates = service_referral_rates(now)
        cache.clear()  # only today's is kept: a clock moved back or forward simply computes its own day
        cache[day] = rates
    return rates


def referral_flag(rates: list[MonthRate]) -> bool:
    """SPEC "stays above the service's monthly average": above it in both of the last two complete London months,
    each with released results (one bad month is not a pattern; a month without results says nothing)."""
    return all(month.above for month in rates)


# --- first submissions of a unit ---------------------------------------------------------------------------------

def first_submission_warnings(unit_names: dict[int, str]) -> list[str]:
    """Units where this centre already has 10 or more submissions and no released result: the next upload
    would take it above the recommended 5–10 first submissions before any feedback."""
    released = func.sum(case((Submission.status == SubmissionStatus.RELEASED, 1), else_=0))
    rows = db.session.execute(
        scoped_select(Submission).with_only_columns(Submission.unit_id, func.count(Submission.id), released)
        .where(Submission.is_current.is_(True)).group_by(Submission.unit_id)).all()
    low, high = FIRST_SUBMISSIONS_RECOMMENDED
    return [f"{unit_names.get(unit_id, 'A unit')}: your centre has {count} submissions and no results yet. "
            f"We recommend {low}–{high} first submissions of a unit, then waiting for the feedback on them."
            for unit_id, count, done in rows if count >= high and not done]
