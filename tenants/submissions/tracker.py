"""Reading submissions for the centre's tracker: a fixed number of queries whatever the data size, the
referral-rate flag and the first-submissions warning (SPEC §6.3)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.tenancy import ALL_CENTRES, in_centre, scoped_select
from portal.workdays import LONDON, to_london
from tenants.learners.models import Learner
from tenants.submissions.models import Result, Submission, SubmissionStatus

PAGE_SIZE = 25
FIRST_SUBMISSIONS_RECOMMENDED = (5, 10)
SORTS = ("uploaded", "due", "learner")
WITH_QC_CLOCK = (SubmissionStatus.AWAITING_QC,)
WITH_RESULT_CLOCK = (SubmissionStatus.MARKING, SubmissionStatus.MARKED)


@dataclass(frozen=True)
class TrackerFilters:
    status: str = ""
    unit: int | None = None
    learner: str = ""
    sort: str = "uploaded"
    page: int = 1


def _due():
    """The date that matters now: the quality-check date while awaiting QC, else the result date."""
    return case((Submission.status == SubmissionStatus.AWAITING_QC, Submission.qc_due),
                (Submission.status.in_(WITH_RESULT_CLOCK), Submission.sla_due), else_=None)


def tracker(filters: TrackerFilters) -> tuple[list[Submission], int]:
    """The current centre's current submissions (replaced uploads are in each one's history). (rows, total)."""
    statement = (scoped_select(Submission).join(Submission.learner).options(contains_eager(Submission.learner))
                 .where(Submission.is_current.is_(True)))
    if filters.status in {s.value for s in SubmissionStatus}:
        statement = statement.where(Submission.status == filters.status)
    if filters.unit:
        statement = statement.where(Submission.unit_id == filters.unit)
    if filters.learner.strip():
        words = filters.learner.strip().lower().split()
        for word in words[:4]:
            like = f"%{word}%"
            statement = statement.where(or_(func.lower(Learner.first_name).like(like),
                                            func.lower(Learner.last_name).like(like),
                                            func.lower(Learner.enrolment_number).like(like)))
    total = db.session.execute(statement.with_only_columns(func.count(Submission.id)).order_by(None)).scalar_one()
    order = {"uploaded": (Submission.uploaded_at.desc(),),
             "due": (_due().is_(None), _due(), Submission.uploaded_at.desc()),
             "learner": (Learner.last_name, Learner.first_name, Submission.number.desc())}[
        filters.sort if filters.sort in SORTS else "uploaded"]
    page = max(filters.page, 1)
    rows = db.session.execute(statement.order_by(*order, Submission.id.desc())
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique().scalars().all()
    return list(rows), total


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

def month_starts(now: datetime) -> tuple[datetime, datetime, datetime]:
    """(start of last London month, start of this one, start of next), as aware datetimes."""
    today = to_london(now).date()
    this = today.replace(day=1)
    last = (this.replace(year=this.year - 1, month=12) if this.month == 1 else this.replace(month=this.month - 1))
    following = (this.replace(year=this.year + 1, month=1) if this.month == 12 else this.replace(month=this.month + 1))
    return tuple(datetime.combine(day, time(0), LONDON) for day in (last, this, following))


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


def _month_counts(centre_id: int | None, bounds) -> list[int]:
    """[released last month, referred last month, released this month, referred this month]."""
    columns = []
    for start, end in (bounds[:2], bounds[1:]):
        in_month = and_(Submission.released_at >= start, Submission.released_at < end)
        columns.append(func.sum(case((in_month, 1), else_=0)))
        columns.append(func.sum(case((and_(in_month, Submission.result == Result.REFERRED), 1), else_=0)))
    statement = select(*columns).where(Submission.status == SubmissionStatus.RELEASED,
                                       Submission.released_at >= bounds[0])
    if centre_id is None:  # the whole service: every centre's results (an awarding-body figure, not a row)
        row = db.session.execute(statement, execution_options={ALL_CENTRES: True}).one()
    else:
        row = db.session.execute(statement.where(in_centre(Submission, centre_id))).one()
    return [int(value or 0) for value in row]


def referral_rates(centre_id: int, now: datetime) -> list[MonthRate]:
    """The centre's and the service's referral rate (referred / released) for last month and this month."""
    bounds = month_starts(now)
    ours, service = _month_counts(centre_id, bounds), _month_counts(None, bounds)
    labels = [bounds[0].strftime("%B %Y"), bounds[1].strftime("%B %Y")]
    return [MonthRate(labels[i], ours[2 * i], ours[2 * i + 1], service[2 * i], service[2 * i + 1]) for i in (0, 1)]


def referral_flag(rates: list[MonthRate]) -> bool:
    """SPEC "stays above the service's monthly average": above it in both of the last two London months, each
    with released results (one bad month is not a pattern; a month without results says nothing)."""
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
