"""The External Quality Assurer's view of referral rates and their follow-up (SPEC §6.3, issue 9 §5).

Centres whose referral rate is above the service's in both of the last two complete London months are flagged
(`tenants.submissions.tracker`). An EQA (role `eqa`, or a platform admin) sees them with their rates and the
service's, and records a visit or another action; each is audited and listed on the page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from portal import audit
from portal.admin.eqa_models import EqaFollowUp, FollowUpKind
from portal.auth.models import Role, User
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import london_date
from tenants.models import Centre, CentreStatus
from tenants.submissions.tracker import MonthRate, ReferralRates, service_referral_rates

RECENT_FOLLOW_UPS = 50
NOTE_MAX = 2000


@dataclass(frozen=True)
class FlaggedCentre:
    centre: Centre
    months: list[MonthRate]


@dataclass(frozen=True)
class EqaOverview:
    rates: ReferralRates
    flagged: list[FlaggedCentre]
    centres: list[Centre]  # centres a follow-up can be recorded for: flagged first, then the others by name
    follow_ups: list[EqaFollowUp]
    last_follow_up: dict[int, date]  # centre id -> the date of its latest visit or action


def follow_up_centres() -> list[Centre]:
    """The centres a follow-up can be recorded for: every centre that has been approved (it has a number)."""
    return list(db.session.execute(select(Centre).where(Centre.centre_number.is_not(None))
                                   .order_by(Centre.name, Centre.id)).scalars())


def overview(now: datetime) -> EqaOverview:
    """Everything the page shows, in four statements whatever the number of centres and follow-ups."""
    rates = service_referral_rates(now)
    flagged_ids = dict(rates.flagged())
    centres = follow_up_centres()
    flagged = [FlaggedCentre(c, flagged_ids[c.id]) for c in centres if c.id in flagged_ids]
    ordered = [f.centre for f in flagged] + [c for c in centres if c.id not in flagged_ids]
    follow_ups = list(db.session.execute(
        select(EqaFollowUp).order_by(EqaFollowUp.happened_on.desc(), EqaFollowUp.id.desc())
        .limit(RECENT_FOLLOW_UPS)).scalars())
    last = dict(db.session.execute(select(EqaFollowUp.centre_id, func.max(EqaFollowUp.happened_on))
                                   .group_by(EqaFollowUp.centre_id)).all())
    return EqaOverview(rates, flagged, ordered, follow_ups, last)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def describe_rates(months: list[MonthRate]) -> str:
    """'October 2026: 2 of 2 referred (100%), service 33%; November 2026: ...'."""
    return "; ".join(f"{m.label}: {m.referred} of {m.released} referred ({_percent(m.rate)}), service "
                     f"{_percent(m.service_rate)}" for m in months)


def record_follow_up(centre: Centre, kind: FollowUpKind | str, happened_on: date, note: str, *, by: User,
                     now: datetime) -> EqaFollowUp:
    """Record a visit or another action at `centre`, with the rates as they stand; audited. Commit is the caller's."""
    if not by.has_role(Role.EQA, Role.PLATFORM_ADMIN):
        raise PermissionError("only an External Quality Assurer or a platform admin records follow-up")
    if centre.centre_number is None or centre.status not in (CentreStatus.APPROVED, CentreStatus.SUSPENDED,
                                                             CentreStatus.CLOSED):
        raise Refused("Choose an approved centre.", field="centre")
    kind = FollowUpKind(kind)
    if happened_on > london_date(now):
        raise Refused("Record a visit or action once it has happened: the date cannot be in the future.",
                      field="happened_on")
    note = (note or "").strip()
    if not note:
        raise Refused(f"Say what the {kind.label.lower()} found or did.", field="note")
    if len(note) > NOTE_MAX:
        raise Refused(f"Keep the note to {NOTE_MAX:,} characters.", field="note")
    rates = describe_rates(service_referral_rates(now).of(centre.id))
    follow_up = EqaFollowUp(centre_id=centre.id, kind=kind, happened_on=happened_on, note=note, rates=rates,
                            recorded_by_id=by.id, recorded_at=now)
    db.session.add(follow_up)
    audit.record("eqa_follow_up_recorded", actor=by, centre_id=centre.id, subject=f"{kind.label} on "
                 f"{happened_on:%-d %B %Y}", detail=f"{note}\nRates: {rates}")
    return follow_up
