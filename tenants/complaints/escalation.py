"""Escalation to the awarding body — open only when the centre's process is exhausted (SPEC §5.2) —
and the awarding body's own duties on the case (SPEC §5.3).
"""
from __future__ import annotations

from portal import audit
from portal.auth.models import Role, User
from portal.auth.services import awarding_body_staff_with
from portal.counters import next_number
from portal.db import utcnow
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import to_london
from tenants.complaints import handling
from tenants.complaints.handling import LONDON_DATE, open_stage_for, tell_learner
from tenants.complaints.intake import ComplaintDetails, _new_case, add_update
from tenants.complaints.models import Complaint, Kind, Level, Route, Status
from tenants.complaints.notify import notify_once
from tenants.complaints.stages import open_awarding_body_stage
from tenants.complaints.tracking import issue_link, tracking_url
from tenants.complaints.way_forward import ACCEPT, ESCALATE, NEXT_STAGE, eligibility, way_forward


def escalate(complaint: Complaint) -> None:
    """Move an exhausted case to the awarding body's stage 2, with a complaint service request number."""
    verdict = eligibility(complaint)
    if not verdict.allowed:
        raise Refused(verdict.explanation)
    now = utcnow()
    complaint.escalated_at, complaint.exhausted_reason = now, verdict.reason
    complaint.service_request_number = f"CSR-{next_number('service_request'):06d}"
    current = complaint.current_stage
    if current.closed_at is None:  # the stage ends without an outcome
        current.closed_at = now
        current.outcome = ("No outcome by the deadline; escalated by the learner." if current.overdue(now)
                           else "Closed when the learner escalated to the awarding body.")
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
    return way_forward(complaint).choices


DECISIONS = {ACCEPT: (handling.learner_accepts, "You accepted the outcome."),
             NEXT_STAGE: (handling.learner_asks_next_stage, "You asked for the next stage."),
             ESCALATE: (escalate, "Your complaint is now with the awarding body.")}


def learner_decides(complaint: Complaint, decision: str) -> str:
    """The learner's decision from their tracking page (either route): refused with the reason unless the case's
    way forward offers it now. Returns what to tell the learner."""
    if decision not in DECISIONS:
        raise Refused("That is not something you can do on a complaint.")
    action, done = DECISIONS[decision]
    action(complaint)
    return done
