"""Opening stages on the right working-day clocks (SPEC §4, §5.3)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.auth.models import Role
from portal.db import utcnow
from portal.workdays import Nation, deadline, hours_deadline
from tenants.complaints.models import Complaint, ComplaintStage, Level, Route


@dataclass(frozen=True)
class AwardingBodyStage:
    name: str
    handler: str
    role: Role
    target_days: int
    acknowledge_days: int | None = None
    first_response_hours: int | None = None


CUSTOMER_SERVICE = dict(handler="Awarding-body customer service", role=Role.CUSTOMER_SERVICE, target_days=8,
                        acknowledge_days=2, first_response_hours=24)
TEAM_LEADER = dict(handler="Customer services team leader", role=Role.TEAM_LEADER, target_days=2)
DIRECTOR = dict(handler="Director of Product Development, Quality & Operations", role=Role.DIRECTOR,
                target_days=10)

# The learner route continues the centre's numbering at stage 2; the direct route starts at stage one.
AWARDING_BODY_STAGES = {
    Route.CENTRE: (AwardingBodyStage("Stage 2: customer service", **CUSTOMER_SERVICE),
                   AwardingBodyStage("Stage 3: team leader review", **TEAM_LEADER),
                   AwardingBodyStage("Final stage: director review", **DIRECTOR)),
    Route.DIRECT: (AwardingBodyStage("Stage one: customer service", **CUSTOMER_SERVICE),
                   AwardingBodyStage("Stage two: team leader review", **TEAM_LEADER),
                   AwardingBodyStage("Final stage: director review", **DIRECTOR)),
}


def nation_of(complaint: Complaint) -> Nation:
    """The calendar of the case: the centre's nation; England when no centre is involved."""
    return complaint.centre.nation if complaint.centre is not None else Nation.ENGLAND


def open_centre_stage(complaint: Complaint, index: int, *, at: datetime | None = None) -> ComplaintStage:
    """Open stage `index` (0-based) of the policy version the complaint runs under."""
    version = complaint.policy_version
    spec = version.stages[index]
    at = at or utcnow()
    nation = nation_of(complaint)
    return _add(complaint, ComplaintStage(
        level=Level.CENTRE, name=spec["name"], handler=spec["handler"], target_days=spec["target_days"],
        opened_at=at, acknowledge_due=deadline(at, version.acknowledge_days, nation),
        respond_due=deadline(at, spec["target_days"], nation)))


def open_awarding_body_stage(complaint: Complaint, index: int, *, at: datetime | None = None) -> ComplaintStage:
    """Open the awarding body's stage `index` (0-based) for the complaint's route."""
    spec = AWARDING_BODY_STAGES[complaint.route][index]
    at = at or utcnow()
    nation = nation_of(complaint)
    return _add(complaint, ComplaintStage(
        level=Level.AWARDING_BODY, name=spec.name, handler=spec.handler, role=spec.role,
        target_days=spec.target_days, opened_at=at,
        acknowledge_due=deadline(at, spec.acknowledge_days, nation) if spec.acknowledge_days else None,
        first_response_due=hours_deadline(at, spec.first_response_hours) if spec.first_response_hours else None,
        respond_due=deadline(at, spec.target_days, nation)))


def _add(complaint: Complaint, stage: ComplaintStage) -> ComplaintStage:
    stage.position = len(complaint.stages) + 1
    stage.centre_id = complaint.centre_id
    complaint.stages.append(stage)
    return stage


def is_final_centre_stage(complaint: Complaint, stage: ComplaintStage) -> bool:
    return stage.level is Level.CENTRE and len(complaint.centre_stages) == len(complaint.policy_version.stages) \
        and stage is complaint.centre_stages[-1]


def awarding_body_stage_index(complaint: Complaint, stage: ComplaintStage) -> int:
    return complaint.awarding_body_stages.index(stage)


def is_final_awarding_body_stage(complaint: Complaint, stage: ComplaintStage) -> bool:
    return stage.level is Level.AWARDING_BODY and \
        awarding_body_stage_index(complaint, stage) == len(AWARDING_BODY_STAGES[complaint.route]) - 1
