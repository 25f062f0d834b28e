"""Handling a case's current stage — the same actions for centre staff (centre stages) and awarding-body
staff (their stages, each by its role) — and the learner's decision when a stage closes.
"""
from __future__ import annotations

from datetime import date, datetime, time

from portal import audit
from portal.auth.models import AccountStatus, User
from portal.db import utcnow
from portal.rules import Refused
from portal.tenancy import belongs_to
from portal.workdays import LONDON, to_london
from tenants.complaints.intake import add_update
from tenants.complaints.models import Audience, Complaint, ComplaintStage, ExtensionConsent, Level, Status
from tenants.complaints.notify import notify_once
from tenants.complaints.signposting import regulators_for
from tenants.complaints.stages import is_final_awarding_body_stage, open_awarding_body_stage, open_centre_stage
from tenants.complaints.tracking import issue_link, tracking_url
from tenants.complaints.way_forward import ACCEPT, LONDON_DATE, NEXT_STAGE, way_forward


def may_handle(user: User, complaint: Complaint, stage: ComplaintStage) -> bool:
    """Centre stages: the centre's staff. Awarding-body stages: awarding-body staff with the stage's role."""
    if stage.level is Level.CENTRE:
        return belongs_to(user, complaint.centre_id)
    return stage.role is not None and user.has_role(stage.role)


def open_stage(complaint: Complaint) -> ComplaintStage | None:
    """The case's current stage if it is open and being handled (not waiting for the learner)."""
    stage = complaint.current_stage
    if stage is None or stage.closed_at is not None or complaint.status is not Status.OPEN:
        return None
    return stage


def can_act(user: User, complaint: Complaint) -> bool:
    """Whether `user` can act on the case's current stage now (the staff pages offer the actions only then)."""
    stage = open_stage(complaint)
    return stage is not None and may_handle(user, complaint, stage)


def open_stage_for(complaint: Complaint, by: User) -> ComplaintStage:
    """The case's current stage, open, and handled by `by` — or a refusal saying why not."""
    stage = open_stage(complaint)
    if stage is None:
        raise Refused(f"{complaint.reference} has no open stage to act on.")
    if not may_handle(by, complaint, stage):
        if stage.level is Level.AWARDING_BODY and by.centre_id is not None:
            raise Refused(f"{complaint.reference} is with the awarding body now.")
        raise PermissionError(f"{by.email} cannot handle {stage.name}")
    return stage


def tell_learner(complaint: Complaint, event: str, subject: str, text: str) -> None:
    """Email the complainant (once per event) with a fresh private link to the case."""
    token = issue_link(complaint)
    notify_once(complaint, event, complaint.complainant_email, f"{subject} — {complaint.reference}",
                f"Hello {complaint.complainant_name},\n\n{text}\n\nFollow your complaint here (keep this link "
                f"private):\n{tracking_url(complaint, token)}\n")


def acknowledge(complaint: Complaint, *, by: User) -> None:
    stage = open_stage_for(complaint, by)
    if stage.acknowledged_at is not None:
        raise Refused(f"{stage.name} was already acknowledged.")
    stage.acknowledged_at = utcnow()
    text = (f"Your complaint has been acknowledged at {stage.name}. It is handled by {stage.handler}; the target for "
            f"a response is the end of {to_london(stage.due).strftime(LONDON_DATE)}.")
    add_update(complaint, "acknowledged", text, author=by, stage=stage)
    audit.record("complaint_acknowledged", actor=by, centre_id=complaint.centre_id, subject=complaint.reference)
    tell_learner(complaint, f"acknowledged:{stage.position}", "Complaint acknowledged", text)


def assign(complaint: Complaint, assignee: User, *, by: User) -> None:
    stage = open_stage_for(complaint, by)
    if assignee.status is not AccountStatus.ACTIVE or not may_handle(assignee, complaint, stage):
        raise Refused(f"{assignee.name} cannot handle {stage.name}.", field="assignee")
    stage.assigned_to_id = assignee.id
    add_update(complaint, "assigned", f"Assigned to {assignee.name}.", author=by, stage=stage,
               audience=_internal(stage))
    audit.record("complaint_assigned", actor=by, centre_id=complaint.centre_id, subject=complaint.reference,
                 detail=assignee.email)


def _internal(stage: ComplaintStage) -> Audience:
    return Audience.CENTRE if stage.level is Level.CENTRE else Audience.AWARDING_BODY


def post_update(complaint: Complaint, body: str, *, learner_visible: bool, by: User) -> None:
    """An internal note, or an update for the learner. An update acknowledges the stage and is its first response
    (the awarding body's 24-hour clock), but it is not the stage's outcome: the deadline still runs."""
    stage = open_stage_for(complaint, by)
    if not body.strip():
        raise Refused("Write the note or update.", field="body")
    audience = Audience.LEARNER if learner_visible else _internal(stage)
    add_update(complaint, "update" if learner_visible else "note", body.strip(), audience=audience, author=by,
               stage=stage)
    if learner_visible:
        now = utcnow()
        stage.acknowledged_at = stage.acknowledged_at or now
        stage.first_response_at = stage.first_response_at or now
        tell_learner(complaint, f"update:{stage.position}:{now.isoformat()}", "An update on your complaint",
                     body.strip())


def extend(complaint: Complaint, new_due: date, reason: str, consent: ExtensionConsent | str | None, *,
           by: User) -> None:
    """Extend the current stage's deadline — only before it passes — with its reason and how the learner took part
    (agreed, or told as the policy allows); the learner is told both. A passed deadline stays passed."""
    stage = open_stage_for(complaint, by)
    now = utcnow()
    if stage.overdue(now):
        raise Refused(f"The deadline for {stage.name}, the end of {to_london(stage.due):%-d %B %Y}, has passed "
                      "without its outcome, so it can no longer be extended: the learner may escalate now. Give the "
                      "outcome by closing the stage.", field="new_due")
    if not reason.strip():
        raise Refused("Give the reason for the extension: the learner sees it.", field="reason")
    try:
        consent = ExtensionConsent(consent)
    except ValueError:
        raise Refused("Say whether the learner agreed to the new date or was told of it.", field="consent") from None
    current = to_london(stage.due).date()
    if new_due <= current:
        raise Refused(f"The new date must be after the current deadline, {current:%-d %B %Y}.", field="new_due")
    stage.extended_due = datetime.combine(new_due, time(23, 59, 59), tzinfo=LONDON).astimezone(stage.respond_due.tzinfo)
    stage.extension_reason, stage.extension_consent, stage.extended_at = reason.strip(), consent, now
    text = (f"The deadline for {stage.name} is extended to the end of {new_due:{LONDON_DATE}} ({consent.label}). "
            f"Reason: {reason.strip()}")
    add_update(complaint, "extension", text, author=by, stage=stage)
    audit.record("complaint_extended", actor=by, centre_id=complaint.centre_id, subject=complaint.reference,
                 detail=f"to {new_due.isoformat()} ({consent.value}): {reason.strip()}")
    tell_learner(complaint, f"extension:{stage.position}:{new_due.isoformat()}", "Deadline extended", text)


def close_stage(complaint: Complaint, outcome: str, *, by: User) -> None:
    """Close the current stage with its outcome. After the final stage of the awarding body, signpost."""
    stage = open_stage_for(complaint, by)
    if not outcome.strip():
        raise Refused("Write the outcome of this stage.", field="outcome")
    now = utcnow()
    stage.acknowledged_at = stage.acknowledged_at or now
    stage.first_response_at = stage.first_response_at or now
    stage.responded_at = stage.responded_at or now
    stage.closed_at, stage.outcome = now, outcome.strip()
    audit.record("complaint_stage_closed", actor=by, centre_id=complaint.centre_id, subject=complaint.reference,
                 detail=stage.name)
    if is_final_awarding_body_stage(complaint, stage):
        _final_outcome(complaint, stage, by)
        return
    complaint.status = Status.AWAITING_LEARNER
    text = f"{stage.name} is closed. Outcome: {stage.outcome}\n\n{way_forward(complaint, now).message}"
    add_update(complaint, "stage_closed", text, author=by, stage=stage)
    tell_learner(complaint, f"stage_closed:{stage.position}", "Stage closed", text)


def _final_outcome(complaint: Complaint, stage: ComplaintStage, by: User) -> None:
    complaint.status, complaint.closed_at = Status.RESOLVED, utcnow()
    complaint.regulator = regulators_for(complaint)[0].code
    text = f"Final outcome: {stage.outcome}\n\n{way_forward(complaint).message}"
    add_update(complaint, "outcome", text, author=by, stage=stage)
    tell_learner(complaint, "outcome", "Final outcome of your complaint", text)


def learner_accepts(complaint: Complaint) -> None:
    """The learner accepts the outcome: the case is resolved."""
    way = way_forward(complaint)
    if ACCEPT not in way.choices:
        raise Refused(way.refusal(ACCEPT))
    stage, now = complaint.current_stage, utcnow()
    stage.learner_decision, stage.learner_decided_at = "accepted", now
    complaint.status, complaint.closed_at = Status.RESOLVED, now
    add_update(complaint, "accepted", f"You accepted the outcome of {stage.name}. The complaint is closed.",
               stage=stage)
    audit.record("complaint_accepted", centre_id=complaint.centre_id, subject=complaint.reference)


def learner_asks_next_stage(complaint: Complaint) -> ComplaintStage:
    """The learner asks for the next stage at the same level (centre or awarding body): after a stage's outcome,
    or — at the awarding body — when a stage is still open past its deadline (it closes without an outcome)."""
    way = way_forward(complaint)
    if NEXT_STAGE not in way.choices:
        raise Refused(way.refusal(NEXT_STAGE))
    stage, now = complaint.current_stage, utcnow()
    if stage.closed_at is None:
        stage.closed_at = now
        stage.outcome = (f"No outcome by the deadline, the end of {to_london(stage.due).strftime(LONDON_DATE)}; the "
                         "learner asked for the next stage.")
    if stage.level is Level.CENTRE:
        following = open_centre_stage(complaint, len(complaint.centre_stages))
    else:
        following = open_awarding_body_stage(complaint, len(complaint.awarding_body_stages))
    stage.learner_decision, stage.learner_decided_at = "next_stage", now
    complaint.status = Status.OPEN
    add_update(complaint, "next_stage", f"You asked for the next stage: {following.name}, handled by "
                                        f"{following.handler}, due by the end of "
                                        f"{to_london(following.due).strftime(LONDON_DATE)}.", stage=following)
    audit.record("complaint_next_stage", centre_id=complaint.centre_id, subject=complaint.reference,
                 detail=following.name)
    if following.level is Level.AWARDING_BODY:
        from tenants.complaints.escalation import _tell_role  # escalation imports this module

        _tell_role(complaint, following.role, f"stage:{following.position}")  # the stage's handlers must know
    return following
