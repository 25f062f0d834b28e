"""A centre's complaints policy (SPEC §5.1): the draft the Quality contact edits, publishing immutable dated
versions, and the three-yearly review.

The draft is one row per centre with ordered stages; a published version is a snapshot of it (stages as
JSON), numbered 1, 2, 3... per centre. Complaints run under a published version, never under the draft, so
nothing done to the draft reaches a complaint already made. A centre without a published version cannot
take complaints (`current_version` is None).
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import object_session

from portal import audit
from portal.db import utcnow
from portal.extensions import db
from portal.rules import Refused
from portal.tenancy import belongs_to, for_centre, in_centre
from portal.workdays import london_date
from tenants.models import Centre
from tenants.policy.models import ComplaintPolicy, PolicyStage, PolicyTemplate, PolicyVersion
from tenants.policy.templates import starting_policy
from tenants.staff.services import must_be_quality_contact

EDITS = "edit and publish the complaints policy"
MIN_STAGES, MAX_STAGES = 1, 5
MIN_TARGET_DAYS, MAX_TARGET_DAYS = 1, 60
MIN_ACKNOWLEDGE_DAYS, MAX_ACKNOWLEDGE_DAYS = 1, 10
REVIEW_DUE_SOON = timedelta(days=90)  # "review due soon" from three months before the date

# The parts of the draft edited together, and the columns each one holds.
SECTIONS: dict[str, tuple[str, ...]] = {
    "introduction": ("title", "introduction"),
    "contact": ("contact_details",),
    "acknowledgement": ("acknowledge_days",),
    "confidentiality": ("confidentiality",),
    "signposting": ("signposting",),
}
TEXT_LIMITS = {"title": 200, "introduction": 20_000, "contact_details": 4_000, "confidentiality": 10_000,
               "signposting": 10_000, "name": 120, "handler": 120}
MISSING = {
    "title": "Enter a title for the policy.",
    "introduction": "Enter the introduction: what a complaint is and how you approach complaints.",
    "contact_details": "Enter how people can contact you to make a complaint.",
    "confidentiality": "Enter your confidentiality statement.",
    "signposting": "Enter where people can go if they are still not satisfied.",
    "name": "Enter a name for the stage.",
    "handler": "Enter who handles this stage, for example a job title.",
}
SNAPSHOT_FIELDS = ("title", "introduction", "acknowledge_days", "contact_details", "confidentiality", "signposting")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not storable in PostgreSQL text or .docx


class ReviewState(enum.StrEnum):
    CURRENT = "current"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


# --- reading ----------------------------------------------------------------------------------------------

def current_version(centre: Centre) -> PolicyVersion | None:
    """The centre's latest published version — the one new complaints run under — or None."""
    statement = (for_centre(PolicyVersion, centre)
                 .order_by(PolicyVersion.number.desc()).limit(1))
    return db.session.execute(statement).scalar_one_or_none()


def versions_of(centre: Centre) -> list[PolicyVersion]:
    """Every published version, newest first."""
    statement = for_centre(PolicyVersion, centre).order_by(PolicyVersion.number.desc())
    return list(db.session.execute(statement).scalars())


def draft_of(centre: Centre) -> ComplaintPolicy | None:
    """The centre's working draft (its stages come with it)."""
    statement = for_centre(ComplaintPolicy, centre)
    return db.session.execute(statement).scalar_one_or_none()


def review_state(version: PolicyVersion, today: date | None = None) -> ReviewState:
    """Whether `version` is due for its three-yearly review (the due date itself is not yet overdue)."""
    today = today or london_date(utcnow())
    if today > version.review_due:
        return ReviewState.OVERDUE
    if today >= version.review_due - REVIEW_DUE_SOON:
        return ReviewState.DUE_SOON
    return ReviewState.CURRENT


def snapshot(policy: ComplaintPolicy) -> dict:
    """What publishing `policy` would freeze."""
    return {**{name: getattr(policy, name) for name in SNAPSHOT_FIELDS},
            "stages": [{"name": s.name, "handler": s.handler, "target_days": s.target_days} for s in policy.stages]}


def version_snapshot(version: PolicyVersion) -> dict:
    return {**{name: getattr(version, name) for name in SNAPSHOT_FIELDS}, "stages": list(version.stages)}


@dataclass
class PolicyOverview:
    """The draft and the published versions, as the staff page shows them."""

    centre: Centre
    draft: ComplaintPolicy | None
    versions: list[PolicyVersion] = field(default_factory=list)  # newest first; only the current if not asked

    @property
    def current(self) -> PolicyVersion | None:
        return self.versions[0] if self.versions else None

    @property
    def next_number(self) -> int:
        return self.current.number + 1 if self.current else 1

    @property
    def unpublished_changes(self) -> bool:
        if self.draft is None:
            return False
        return self.current is None or snapshot(self.draft) != version_snapshot(self.current)

    @property
    def review(self) -> ReviewState | None:
        return review_state(self.current) if self.current else None


def overview(centre: Centre, *, history: bool = True) -> PolicyOverview:
    """The draft with every published version (`history`) or only the current one."""
    current = None if history else current_version(centre)
    versions = versions_of(centre) if history else [current] if current else []
    return PolicyOverview(centre=centre, draft=draft_of(centre), versions=versions)


# --- the draft --------------------------------------------------------------------------------------------

def create_draft_policy(centre: Centre, template: PolicyTemplate, *, by=None) -> ComplaintPolicy:
    """Make the centre's draft from `template` (replacing any draft it has). Published versions stay as they are.

    Called when a centre is approved and its workspace provisioned, and by "Start again from a template".
    """
    start = starting_policy(centre, PolicyTemplate(template))
    policy = draft_of(centre)
    if policy is None:
        policy = ComplaintPolicy(centre_id=centre.id)
        db.session.add(policy)
    elif policy.stages:
        policy.stages.clear()
        db.session.flush()  # stage positions are unique per policy: the old rows go before the new arrive
    policy.template = PolicyTemplate(template)
    policy.title, policy.introduction = start.title, start.introduction
    policy.acknowledge_days, policy.contact_details = start.acknowledge_days, start.contact_details
    policy.confidentiality, policy.signposting = start.confidentiality, start.signposting
    policy.stages.extend(PolicyStage(centre_id=centre.id, position=position, name=stage.name, handler=stage.handler,
                                     target_days=stage.target_days)
                         for position, stage in enumerate(start.stages, start=1))
    _touch(policy, by)
    db.session.flush()
    return policy


def start_again(centre: Centre, template: PolicyTemplate, *, by) -> ComplaintPolicy:
    """The Quality contact replaces the draft with a fresh one from `template`."""
    must_be_quality_contact(centre, by, to=EDITS)
    policy = create_draft_policy(centre, template, by=by)
    audit.record("policy_draft_restarted", actor=by, centre_id=centre.id, subject="complaints policy draft",
                 detail=f"from the template: {PolicyTemplate(template).label}")
    return policy


def update_section(centre: Centre, policy: ComplaintPolicy, section: str, *, by, **values) -> None:
    """Change one part of the draft (see SECTIONS): its texts, or the acknowledgement target."""
    must_be_quality_contact(centre, by, to=EDITS)
    _must_own(centre, policy)
    if section not in SECTIONS or set(values) != set(SECTIONS[section]):
        raise ValueError(f"section {section!r} holds {SECTIONS.get(section)}, not {sorted(values)}")
    for name, value in values.items():
        if name == "acknowledge_days":
            value = _days(value, MIN_ACKNOWLEDGE_DAYS, MAX_ACKNOWLEDGE_DAYS, name,
                          "Acknowledge complaints within {low} to {high} working days.")
        else:
            value = _text(value, name, single_line=(name == "title"))
        setattr(policy, name, value)
    _touch(policy, by)


def add_stage(centre: Centre, policy: ComplaintPolicy, *, name: str, handler: str, target_days: int,
              by) -> PolicyStage:
    """Add a stage after the last one."""
    must_be_quality_contact(centre, by, to=EDITS)
    _must_own(centre, policy)
    if len(policy.stages) >= MAX_STAGES:
        raise Refused(f"A policy can have up to {MAX_STAGES} stages. Remove one before adding another.")
    stage = PolicyStage(centre_id=centre.id, position=len(policy.stages) + 1, **_stage_values(name, handler,
                                                                                               target_days))
    policy.stages.append(stage)
    _touch(policy, by)
    db.session.flush()
    return stage


def update_stage(centre: Centre, stage: PolicyStage, *, name: str, handler: str, target_days: int, by) -> None:
    """Change a stage's name, who handles it and its target."""
    must_be_quality_contact(centre, by, to=EDITS)
    _must_own(centre, stage)
    for key, value in _stage_values(name, handler, target_days).items():
        setattr(stage, key, value)
    _touch(stage.policy, by)


def remove_stage(centre: Centre, stage: PolicyStage, *, by) -> None:
    """Remove a stage; the ones after it move up. A policy keeps at least one stage."""
    must_be_quality_contact(centre, by, to=EDITS)
    _must_own(centre, stage)
    policy = stage.policy
    if len(policy.stages) <= MIN_STAGES:
        raise Refused("A policy needs at least one stage, so this one cannot be removed. Change it instead.")
    policy.stages.remove(stage)
    db.session.flush()  # the row goes first: the stages after it take over its position
    _renumber(policy, list(policy.stages))
    _touch(policy, by)


def move_stage(centre: Centre, stage: PolicyStage, direction: str, *, by) -> None:
    """Swap a stage with the one before it ("up") or after it ("down")."""
    must_be_quality_contact(centre, by, to=EDITS)
    _must_own(centre, stage)
    policy = stage.policy
    ordered = list(policy.stages)
    here = ordered.index(stage)
    there = here - 1 if direction == "up" else here + 1
    if direction not in ("up", "down") or not 0 <= there < len(ordered):
        where = "first" if direction == "up" else "last"
        raise Refused(f"Stage {stage.position} ({stage.name}) is already the {where} stage.")
    ordered[here], ordered[there] = ordered[there], ordered[here]
    _renumber(policy, ordered)
    _touch(policy, by)


# --- publishing -------------------------------------------------------------------------------------------

def publish(centre: Centre, *, by, unchanged: bool = False) -> PolicyVersion:
    """Publish the draft as the next version: an immutable snapshot, dated now, public at once.

    Publishing a draft identical to the current version records a review that found nothing to change, and
    starts a new three-year review period: it is refused unless the Quality contact confirms it (`unchanged`), so
    a second click never publishes the same policy twice by mistake.
    """
    must_be_quality_contact(centre, by, to=EDITS)
    # The draft row is locked so that two publishes at once cannot take the same number.
    statement = for_centre(ComplaintPolicy, centre).with_for_update()
    policy = db.session.execute(statement).scalar_one_or_none()
    if policy is None:
        raise Refused("There is no draft to publish. Start one from a template first.")
    current = current_version(centre)
    if current is not None and not unchanged and snapshot(policy) == version_snapshot(current):
        raise Refused(f"The draft is the same as version {current.number}. To record a review that found nothing to "
                      "change, confirm that you reviewed it and publish it again.", field="unchanged")
    problems = [MISSING[name] for name in SNAPSHOT_FIELDS if name in MISSING and not getattr(policy, name).strip()]
    if not MIN_STAGES <= len(policy.stages) <= MAX_STAGES:
        problems.append(f"A policy has between {MIN_STAGES} and {MAX_STAGES} stages.")
    if problems:
        raise Refused("The draft cannot be published yet. " + " ".join(problems))
    highest = select(func.max(PolicyVersion.number)).where(in_centre(PolicyVersion, centre))
    number = (db.session.execute(highest).scalar() or 0) + 1
    version = PolicyVersion(centre_id=centre.id, number=number, published_at=utcnow(), published_by_id=by.id,
                            **snapshot(policy))
    db.session.add(version)
    db.session.flush()
    audit.record("policy_published", actor=by, centre_id=centre.id, subject=f"complaints policy version {number}",
                 detail=policy.title)
    return version


@event.listens_for(PolicyVersion, "before_update")
def _versions_are_immutable(mapper, connection, target) -> None:
    """A published version is a record of what was promised: complaints point at it. Never change it."""
    # before_update also fires for rows only touched through a relationship: refuse real column changes only.
    if object_session(target).is_modified(target, include_collections=False):
        raise RuntimeError(f"published policy version {target.number} is immutable")


# --- rules ------------------------------------------------------------------------------------------------

def _must_own(centre: Centre, row) -> None:
    if not belongs_to(row, centre):
        raise LookupError(row.id)


def _touch(policy: ComplaintPolicy, by) -> None:
    policy.updated_at, policy.updated_by_id = utcnow(), getattr(by, "id", None)


def _text(value: str | None, name: str, *, single_line: bool = False) -> str:
    text = _CONTROL_CHARACTERS.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = " ".join(text.split()) if single_line else "\n".join(line.rstrip() for line in text.strip().split("\n"))
    if not text:
        raise Refused(MISSING[name], field=name)
    if len(text) > TEXT_LIMITS[name]:
        raise Refused(f"Use {TEXT_LIMITS[name]:,} characters or fewer (this has {len(text):,}).", field=name)
    return text


def _days(value, low: int, high: int, name: str, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refused(message.format(low=low, high=high), field=name)
    return value


def _stage_values(name: str, handler: str, target_days: int) -> dict:
    return {"name": _text(name, "name", single_line=True), "handler": _text(handler, "handler", single_line=True),
            "target_days": _days(target_days, MIN_TARGET_DAYS, MAX_TARGET_DAYS, "target_days",
                                 "Set a target between {low} and {high} working days.")}


def _renumber(policy: ComplaintPolicy, ordered: list[PolicyStage]) -> None:
    """Give `ordered` the positions 1, 2, 3... without ever holding two stages at one position."""
    moving = [(stage, position) for position, stage in enumerate(ordered, start=1) if stage.position != position]
    if moving:
        for stage, _ in moving:
            stage.position = -stage.position  # positions are positive and unique, so these are free
        db.session.flush()
        for stage, position in moving:
            stage.position = position
        db.session.flush()
    policy.stages.sort(key=lambda stage: stage.position)
