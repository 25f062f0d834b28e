"""Escalation to the awarding body — open only when the centre's process is exhausted (SPEC §5.2) —
and the awarding body's own duties on the case (SPEC §5.3).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal import audit
from portal.auth.models import Role, User
from portal.auth.services import awarding_body_staff_with
from portal.counters import next_number
from portal.db import utcnow
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import to_london
from tenants.complaints.handling import LONDON_DATE, open_stage_for, tell_learner
from tenants.complaints.intake import ComplaintDetails, _new_case, add_update
from tenants.complaints.models import Complaint, Exhausted, Kind, Level, Route, Status, Subject
from tenants.complaints.notify import notify_once
from tenants.complaints.signposting import SPSO, only_about_public_body_staff
from tenants.complaints.stages import AWARDING_BODY_STAGES, is_final_centre_stage, open_awarding_body_stage
from tenants.complaints.tracking import issue_link, tracking_url


@dataclass(frozen=True)
class Eligibility:
    """Whether the case can go to the awarding body now: the reason it can, or why it cannot."""

    reason: Exhausted | None
    explanation: str

    @property
    def allowed(self) -> bool:
        return self.reason is not None


def eligibility(complaint: Complaint, now: datetime | None = None) -> Eligibility:
    """Apply the "centre process first" rule to a case."""
    now = now or utcnow()
    if complaint.kind is not Kind.COMPLAINT or complaint.route is not Route.CENTRE:
        return Eligibility(None, "Only a complaint made to a centre can be escalated to the awarding body.")
    if complaint.escalated_at is not None:
        return Eligibility(None, "This complaint is already with the awarding body.")
    if complaint.status is Status.RESOLVED:
        return Eligibility(None, "This complaint is closed: you accepted the centre's outcome.")
    centre = complaint.centre
    if only_about_public_body_staff(centre.nation, centre.scottish_public_body,
                                    complaint.subject is Subject.CENTRE_STAFF):
        return Eligibility(None, f"Your complaint is only about the behaviour of {centre.name}'s staff, and "
                                 f"{centre.name} is a Scottish public body. After the centre's process the next step "
                                 f"is the {SPSO.name} ({SPSO.url}), not the awarding body.")
    stage = complaint.current_stage
    if stage.closed_at is not None and is_final_centre_stage(complaint, stage):
        return Eligibility(Exhausted.FINAL_STAGE_CLOSED, "The centre's final stage is closed.")
    if stage.closed_at is None and stage.responded_at is None and now > stage.due:
        return Eligibility(Exhausted.DEADLINE_MISSED,
                           f"The centre did not respond to {stage.name} by its deadline, the end of "
                           f"{to_london(stage.due).strftime(LONDON_DATE)}.")
    if stage.closed_at is not None:
        return Eligibility(None, f"{stage.name} of {centre.name}'s process is closed, but it is not the final "
                                 "stage: ask the centre for the next stage first.")
    return Eligibility(None, f"Your complaint is still at {stage.name} of {centre.name}'s complaints process. The "
                             f"centre has until the end of {to_london(stage.due).strftime(LONDON_DATE)} to respond. "
                             "You can escalate to the awarding body once the centre's final stage is closed, or if "
                             "the centre misses a deadline without responding.")


def escalate(complaint: Complaint) -> None:
    """Move an exhausted case to the awarding body's stage 2, with a complaint service request number."""
    verdict = eligibility(complaint)
    if not verdict.allowed:
        raise Refused(verdict.explanation)
    now = utcnow()
    complaint.escalated_at, complaint.exhausted_reason = now, verdict.reason
    complaint.service_request_number = f"CSR-{next_number('service_request'):06d}"
    current = complaint.current_stage
    if current.closed_at is None:  # the centre missed its deadline: the stage ends unanswered
        current.closed_at, current.outcome = now, "No response by the deadline; escalated by the learner."
    current.learner_decision, current.learner_decided_at = "escalated", now
    complaint.status = Status.OPEN
    stage = open_awarding_body_stage(complaint, 0, at=now)
    text = (f"Escalated to the awarding body ({verdict.explanation}) Your complaint service request number is "
            f"{complaint.service_request_number}. Customer service will acknowledge it by the end of "
            f"{to_london(stage.acknowledge_due).strftime(LONDON_DATE)}, respond within 24 hours and aim to resolve "
            f"it by the end of {to_london(stage.due).strftime(LONDON_DATE)}.")
    add_update(complaint, "escalated", text, stage=stage)
    audit.record("complaint_escalated", centre_id=complaint.centre_id, subject=complaint.reference,
                 detail=f"{complaint.service_request_number}; {verdict.reason.value}")
    tell_learner(complaint, "escalated", "Complaint escalated to the awarding body", text)
    _tell_role(complaint, Role.CUSTOMER_SERVICE, "escalated")


def _tell_role(complaint: Complaint, role: Role, event: str) -> None:
    for person in awarding_body_staff_with(role):
        notify_once(complaint, f"{event}:staff", person.email, f"Complaint {complaint.service_request_number} "
                    f"({complaint.reference}) needs {role.label.lower()}",
                    f"Complaint {complaint.reference} is now at {complaint.current_stage.name}. Sign in to the "
                    "Centre Portal to handle it.\n")


def announce_centre_contact(complaint: Complaint, reason: str, *, by: User) -> None:
    """Tell the learner, before anyone does it, that the awarding body needs to contact the centre."""
    stage = open_stage_for(complaint, by)
    if stage.level is not Level.AWARDING_BODY or complaint.centre is None:
        raise Refused("Only the awarding body contacts a centre about a learner's complaint.")
    if complaint.centre_contact_announced_at is not None:
        raise Refused("The learner has already been told.")
    complaint.centre_contact_announced_at = utcnow()
    text = (f"To investigate impartially we need to contact {complaint.centre.name} about your complaint. "
            f"{reason.strip()}".strip())
    if complaint.confidential:
        text += (" You asked for confidentiality: we will share only what the investigation needs. If that is not "
                 "possible we will discuss it with you first.")
    add_update(complaint, "centre_contact_announced", text, author=by, stage=stage)
    audit.record("complaint_centre_contact_announced", actor=by, centre_id=complaint.centre_id,
                 subject=complaint.reference)
    tell_learner(complaint, "centre_contact_announced", "We need to contact your centre", text)


def record_centre_contacted(complaint: Complaint, *, by: User) -> None:
    """Record that the centre was contacted — refused until the learner has been told."""
    open_stage_for(complaint, by)
    if complaint.centre_contact_announced_at is None:
        raise Refused("Tell the learner first: the awarding body informs the learner before it contacts the centre.")
    complaint.centre_contacted_at = utcnow()
    audit.record("complaint_centre_contacted", actor=by, centre_id=complaint.centre_id, subject=complaint.reference)


def submit_direct_complaint(details: ComplaintDetails, *, from_centre=None) -> tuple[Complaint, str]:
    """A complaint straight to the awarding body (centres and the public): stage one, two, final."""
    complaint = _new_case(from_centre, Kind.COMPLAINT, Route.DIRECT, details)
    complaint.complainant_is_centre = from_centre is not None
    complaint.service_request_number = f"CSR-{next_number('service_request'):06d}"
    stage = open_awarding_body_stage(complaint, 0, at=complaint.received_at)
    db.session.flush()
    token = issue_link(complaint)
    text = (f"Complaint received by the awarding body. Your complaint service request number is "
            f"{complaint.service_request_number}. We will acknowledge it by the end of "
            f"{to_london(stage.acknowledge_due).strftime(LONDON_DATE)} and aim to resolve it by the end of "
            f"{to_london(stage.due).strftime(LONDON_DATE)}.")
    add_update(complaint, "received", text, stage=stage)
    audit.record("complaint_received", centre_id=complaint.centre_id, subject=complaint.reference,
                 detail="direct to the awarding body")
    notify_once(complaint, "received", complaint.complainant_email, f"Complaint {complaint.reference} received",
                f"Hello {complaint.complainant_name},\n\n{text}\n\nFollow it here (keep this link private):\n"
                f"{tracking_url(complaint, token)}\n")
    _tell_role(complaint, Role.CUSTOMER_SERVICE, "received")
    return complaint, token


def learner_choices(complaint: Complaint) -> frozenset[str]:
    """What the learner can do now on their tracking page: 'accept', 'next_stage', 'escalate'."""
    choices = set()
    if eligibility(complaint).allowed:
        choices.add("escalate")
    if complaint.status is Status.AWAITING_LEARNER:
        choices.add("accept")
        stage = complaint.current_stage
        more_centre = stage.level is Level.CENTRE and not is_final_centre_stage(complaint, stage)
        more_awarding_body = stage.level is Level.AWARDING_BODY and \
            len(complaint.awarding_body_stages) < len(AWARDING_BODY_STAGES[complaint.route])
        if more_centre or more_awarding_body:
            choices.add("next_stage")
    return frozenset(choices)
