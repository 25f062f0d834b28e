"""Lead assessors' sampling of marked results, and what it means for release (SPEC §6.3; ILMA assessment service
policy, "Lead Assessor" and §6.1 "Quality assurance of marking").

The seeds: a Lead Assessor is *appointed* to quality-assure the service by sampling and standardising the work of
assessors; "after marking, a selection of assessments are sampled by one of our Lead Assessors", and "if the
sampling reveals any quality issues with either the assessment decisions or feedback, mitigating actions take place
prior to releasing the results".

**The sampling policy** (set by a platform admin; every change is kept and audited). Which results are selected is
decided when the result is recorded, and kept with it, so a later change of policy never un-selects (or newly
blocks) a result already marked:

* each assessor's first `new_assessor_count` marked submissions are all selected (a new assessor is standardised
  before any of their unsampled decisions reach a centre); then
* `monthly_percent` of each assessor's marked submissions in each London calendar month: the month's 1st, and
  then each one that takes the month's count of selections below `monthly_percent` of the month's marking
  (with 10 %: the 1st, 11th, 21st, ...). So every assessor who marks in a month is sampled at least once that
  month, and at any point of the month at least that share of their marking has been selected. The share is
  1–100 %: 0 would let an assessor's work go unsampled for good, which the seeds do not allow.

**Default: the first 5, then 10 % a month.** Why: the seeds fix no numbers. Five results are enough to see a new
assessor's decisions and feedback across several units and both outcomes (pass and referral) before their work is
trusted, and mirror the SPEC's own "first 5–10" batch for a centre's first submissions of a unit; 10 % a month is
the sampling rate commonly used for the quality assurance of UK vocational assessment, and with "at least one a
month" it keeps every assessor standardised monthly (what this portal did before, with one a month) without
holding most results back for a sample.

A lead assessor may also sample any other marked result. A sample's outcome is *confirmed*, or *issues found* with
notes. A result is released only when it is not waiting for a sample its selection requires, and when issues found
in its sample have been mitigated: re-marked by its assessor (portal/admin/assessment_services.record_result), or
confirmed by a lead assessor (assessment.confirm_result). The services are in portal/admin/assessment_services.py;
this module holds the policy and the rules, as plain functions that the table tests drive.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, or_, select

from portal import audit
from portal.auth.models import Role, User
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import LONDON
from tenants.submissions.models import Mitigation, SampleBasis, SampleOutcome, SamplingPolicy, Submission

DEFAULT_NEW_ASSESSOR_COUNT = 5
DEFAULT_MONTHLY_PERCENT = 10
MAX_NEW_ASSESSOR_COUNT = 50


@dataclass(frozen=True)
class Policy:
    """The sampling policy in force (see the module docstring)."""

    new_assessor_count: int = DEFAULT_NEW_ASSESSOR_COUNT
    monthly_percent: int = DEFAULT_MONTHLY_PERCENT
    set_at: datetime | None = None  # None: the default, never changed
    set_by_id: int | None = None
    note: str = ""

    def describe(self) -> str:
        monthly = (f"{self.monthly_percent}% of each assessor's marked submissions each calendar month"
                   + (" (at least one)" if self.monthly_percent < 100 else ""))
        n = self.new_assessor_count
        if not n:
            return monthly[:1].upper() + monthly[1:]
        first = "first marked submission" if n == 1 else f"first {n} marked submissions"
        return f"Each assessor's {first}, then {monthly}"


DEFAULT_POLICY = Policy()


def current_policy() -> Policy:
    """The latest policy a platform admin set, or the default."""
    row = db.session.execute(select(SamplingPolicy).order_by(SamplingPolicy.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return DEFAULT_POLICY
    return Policy(row.new_assessor_count, row.monthly_percent, row.set_at, row.set_by_id, row.note)


def policy_history(limit: int = 20) -> list[SamplingPolicy]:
    return list(db.session.execute(select(SamplingPolicy).order_by(SamplingPolicy.id.desc()).limit(limit)).scalars())


def set_policy(new_assessor_count: int, monthly_percent: int, note: str = "", *, by: User) -> SamplingPolicy:
    """A platform admin sets the sampling policy; it applies to results marked from now on."""
    if not by.has_role(Role.PLATFORM_ADMIN):
        raise PermissionError("only a platform admin sets the sampling policy")
    if new_assessor_count is None or not 0 <= new_assessor_count <= MAX_NEW_ASSESSOR_COUNT:
        raise Refused(f"Enter a number from 0 to {MAX_NEW_ASSESSOR_COUNT}.", field="new_assessor_count")
    if monthly_percent is None or not 1 <= monthly_percent <= 100:
        raise Refused("Enter a percentage from 1 to 100: every assessor's marking is sampled each month.",
                      field="monthly_percent")
    current = current_policy()
    if (current.new_assessor_count, current.monthly_percent) == (new_assessor_count, monthly_percent):
        raise Refused("That is the policy in force already: nothing was changed.")
    row = SamplingPolicy(new_assessor_count=new_assessor_count, monthly_percent=monthly_percent,
                         note=(note or "").strip(), set_by_id=by.id)
    db.session.add(row)
    policy = Policy(new_assessor_count, monthly_percent)
    audit.record("sampling.policy_set", actor=by, subject="Sampling policy",
                 detail=f"Was: {current.describe()}. Now: {policy.describe()}. {row.note}".strip())
    return row


# --- selection --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    basis: SampleBasis
    selected: bool
    reason: str  # why it was (or was not) selected, in words for the queue and the audit log


def is_monthly_pick(position: int, percent: int) -> bool:
    """Whether the assessor's `position`-th (1-based) monthly-counted result this month is selected: each time the
    number needed to keep `percent` of the month selected goes up (with 10 %: the 1st, 11th, 21st...)."""
    def needed(n: int) -> int:
        return -(-n * percent // 100)  # ceil(n * percent / 100)

    return needed(position) > needed(position - 1)


def select_for(policy: Policy, *, marked_before: int, monthly_before: int, month: str) -> Selection:
    """Whether a newly marked result is selected for sampling. `marked_before`: its assessor's results marked before
    it (ever); `monthly_before`: those of them counted under the monthly rule in the same London month."""
    if marked_before < policy.new_assessor_count:
        return Selection(SampleBasis.NEW_ASSESSOR, True,
                         f"new assessor: marked submission {marked_before + 1} of the first "
                         f"{policy.new_assessor_count}")
    position = monthly_before + 1
    selected = is_monthly_pick(position, policy.monthly_percent)
    return Selection(SampleBasis.MONTHLY, selected,
                     f"{policy.monthly_percent}% a month: the assessor's marked submission {position} in {month}"
                     + ("" if selected else " (not selected)"))


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The UTC start and end of the Europe/London calendar month of `moment`."""
    local = moment.astimezone(LONDON)
    start = datetime(local.year, local.month, 1, tzinfo=LONDON)
    end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def selection_for(submission: Submission, marked_at: datetime) -> Selection:
    """Select (or not) `submission`, being marked by its assessor at `marked_at`, under the policy in force."""
    start, end = month_bounds(marked_at)
    earlier = and_(Submission.assessor_id == submission.assessor_id, Submission.marked_at.is_not(None),
                   Submission.id != submission.id)
    in_month = and_(Submission.marked_at >= start, Submission.marked_at < end,
                    Submission.sample_basis == SampleBasis.MONTHLY)
    marked_before, monthly_before = db.session.execute(
        select(func.count(Submission.id), func.coalesce(func.sum(case((in_month, 1), else_=0)), 0))
        .where(earlier)).one()
    return select_for(current_policy(), marked_before=marked_before, monthly_before=monthly_before,
                      month=marked_at.astimezone(LONDON).strftime("%B %Y"))


# --- what sampling means for release --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SamplingState:
    label: str  # what the queue and the submission page say
    tag: str  # the tag's style
    blocked: str = ""  # why it may not be released yet ("" when it may)

    @property
    def releasable(self) -> bool:
        return not self.blocked


def awaiting_mitigation(submission: Submission) -> bool:
    """A lead assessor found issues in this result's sample, and they have not been dealt with yet."""
    return submission.sample_outcome is SampleOutcome.ISSUES_FOUND and submission.mitigation is None


def sampling_state(submission: Submission) -> SamplingState:
    """Where a marked result stands with sampling, and whether that lets it be released (no query)."""
    if awaiting_mitigation(submission):
        return SamplingState("Issues found: re-mark, or a lead assessor confirms", "tag-overdue",
                             "A lead assessor found issues in this result's sample. It can be released once its "
                             "assessor re-marks it, or a lead assessor confirms the result.")
    if submission.sample_outcome is SampleOutcome.ISSUES_FOUND:
        how = "re-marked" if submission.mitigation is Mitigation.REMARKED else "confirmed by a lead assessor"
        return SamplingState(f"Issues found, then {how}", "tag-active")
    if submission.sample_outcome is SampleOutcome.CONFIRMED:
        return SamplingState("Sampled: confirmed", "tag-active")
    if submission.sample_selected:
        return SamplingState("Sample before release", "tag-pending",
                             f"This result was selected for sampling ({submission.sample_reason}): a lead assessor "
                             f"must sample it before it is released.")
    return SamplingState("Not selected: may be released", "tag-open")


def waiting_for_sample():
    """SQL: selected for sampling and not sampled yet."""
    return and_(Submission.sample_selected.is_(True), Submission.sampled_at.is_(None))


def waiting_for_mitigation():
    """SQL: issues found and not yet mitigated."""
    return and_(Submission.sample_outcome == SampleOutcome.ISSUES_FOUND, Submission.mitigation.is_(None))


def releasable():
    """SQL: what `sampling_state(...).releasable` says, for the queue's filter (written without NOT, so a NULL
    outcome cannot make the condition unknown)."""
    return and_(or_(Submission.sample_selected.is_(False), Submission.sampled_at.is_not(None)),
                or_(Submission.sample_outcome.is_(None), Submission.sample_outcome == SampleOutcome.CONFIRMED,
                    Submission.mitigation.is_not(None)))
