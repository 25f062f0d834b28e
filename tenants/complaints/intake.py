"""Intake: a learner complains to their centre first; malpractice and result disputes are routed away.

SPEC §5.2. A complaint runs under the centre's current published policy version, starting at its first
stage; the learner gets a reference and a private tracking link by email.
"""
from __future__ import annotations

from dataclasses import dataclass

from portal import audit
from portal.auth.models import Role
from portal.auth.services import awarding_body_staff_with
from portal.counters import next_number
from portal.db import utcnow
from portal.extensions import db
from portal.rules import Refused
from portal.workdays import deadline, to_london
from tenants.complaints.models import Audience, Category, Complaint, ComplaintUpdate, Kind, Route, Status, Subject
from tenants.complaints.notify import notify_once
from tenants.complaints.stages import nation_of, open_centre_stage
from tenants.complaints.tracking import issue_link, tracking_url
from tenants.models import Centre
from tenants.policy.services import current_version

APPEAL_DECISION_WORKING_DAYS = 40  # customer charter: appeals decided within 40 working days
PREFIX = {Kind.COMPLAINT: "C", Kind.MALPRACTICE: "M", Kind.RESULT_DISPUTE: "R"}


@dataclass
class ComplaintDetails:
    """What the complainant tells us (SPEC §5.2)."""

    name: str
    email: str
    summary: str
    subject: Subject = Subject.CENTRE
    category: Category = Category.OTHER
    enrolment_number: str = ""
    key_dates: str = ""
    actions_taken: str = ""
    outcome_wanted: str = ""
    confidential: bool = False


def _must_accept_complaints(centre: Centre):
    if not centre.accepts_submissions:
        raise Refused(f"{centre.name} is not accepting complaints through this portal at present.")
    version = current_version(centre)
    if version is None:
        raise Refused(f"{centre.name} has not yet published its complaints policy, so it cannot take complaints "
                      "through this portal yet. Contact the centre directly.")
    return version


def _new_case(centre: Centre | None, kind: Kind, route: Route, details: ComplaintDetails) -> Complaint:
    series = f"complaint:{centre.id}" if centre else "complaint:direct"
    number = next_number(series)
    prefix = "D" if route is Route.DIRECT else PREFIX[kind]
    reference = f"{prefix}-{centre.centre_number}-{number:06d}" if centre else f"{prefix}-{number:06d}"
    complaint = Complaint(
        centre_id=centre.id if centre else None, centre=centre, number=number, reference=reference, route=route,
        kind=kind, complainant_name=details.name.strip(), complainant_email=details.email.strip().lower(),
        enrolment_number=details.enrolment_number.strip(), summary=details.summary.strip(), subject=details.subject,
        key_dates=details.key_dates.strip(), actions_taken=details.actions_taken.strip(),
        outcome_wanted=details.outcome_wanted.strip(), category=details.category, confidential=details.confidential,
        received_at=utcnow())
    db.session.add(complaint)
    return complaint


def add_update(complaint: Complaint, kind: str, body: str, *, audience: Audience = Audience.LEARNER,
               author=None, stage=None) -> ComplaintUpdate:
    """Add an entry to the case's history."""
    if stage is not None and stage.id is None:
        db.session.flush()  # the entry names its stage by id
    entry = ComplaintUpdate(complaint_id=complaint.id, centre_id=complaint.centre_id, kind=kind, body=body,
                            audience=audience, author_id=getattr(author, "id", None),
                            stage=stage)  # the relationship: a stage opened in this transaction has no id yet
    db.session.add(entry)
    return entry


def submit_complaint(centre: Centre, details: ComplaintDetails) -> tuple[Complaint, str]:
    """Record a complaint to the centre and open its first stage. Returns the case and its tracking token."""
    version = _must_accept_complaints(centre)
    complaint = _new_case(centre, Kind.COMPLAINT, Route.CENTRE, details)
    complaint.policy_version = version
    stage = open_centre_stage(complaint, 0, at=complaint.received_at)
    db.session.flush()
    token = issue_link(complaint)
    due = to_london(stage.acknowledge_due).strftime("%A %-d %B %Y")
    add_update(complaint, "received", f"Complaint received by {centre.name}. It will be acknowledged by the end of "
                                      f"{due}.", stage=stage)
    audit.record("complaint_received", centre_id=centre.id, subject=complaint.reference,
                 detail=complaint.category.label)
    notify_once(complaint, "received", complaint.complainant_email, f"Complaint {complaint.reference} received",
                f"Hello {complaint.complainant_name},\n\n{centre.name} has received your complaint, reference "
                f"{complaint.reference}. It will be acknowledged by the end of {due}.\n\nFollow your complaint "
                f"here (keep this link private):\n{tracking_url(complaint, token)}\n")
    _tell_centre(complaint)
    return complaint, token


def _tell_centre(complaint: Complaint) -> None:
    from tenants.staff.services import quality_contact

    contact = quality_contact(complaint.centre)
    if contact is not None:
        notify_once(complaint, "new_complaint", contact.email, f"New complaint {complaint.reference}",
                    f"Hello {contact.name},\n\nA new complaint, {complaint.reference} ({complaint.category.label}), "
                    f"has been made to {complaint.centre.name}. Sign in to the Centre Portal to handle it.\n")


NEXT_STEPS = {
    Kind.MALPRACTICE: (
        "Allegations of malpractice or maladministration do not go through the centre's complaints process. "
        "We have passed your report to the awarding body's regulation and compliance team, who investigate "
        "under the Malpractice and Maladministration Policy and will contact you."),
    Kind.RESULT_DISPUTE: (
        "A disagreement with an assessment result is an enquiry or appeal, not a complaint. Your centre must "
        "first review the result; it can then submit an enquiry about results or an appeal to the awarding body. "
        "Appeals are decided within 40 working days. We have recorded your request and told the centre."),
}


def record_referral(centre: Centre, kind: Kind, details: ComplaintDetails) -> Complaint:
    """Record a report that is not a complaint and explain where it goes next (SPEC §5.2)."""
    if kind is Kind.COMPLAINT:
        raise ValueError("complaints go through submit_complaint")
    if not centre.accepts_submissions:
        raise Refused(f"{centre.name} is not accepting reports through this portal at present.")
    complaint = _new_case(centre, kind, Route.CENTRE, details)
    complaint.status = Status.REFERRED
    complaint.closed_at = complaint.received_at  # handled elsewhere from now: the retention clock starts
    note = NEXT_STEPS[kind]
    if kind is Kind.RESULT_DISPUTE:
        due = to_london(deadline(complaint.received_at, APPEAL_DECISION_WORKING_DAYS, nation_of(complaint)))
        note += f" If it becomes an appeal lodged today, the decision would be due by {due:%-d %B %Y}."
    complaint.referral_note = note
    db.session.flush()
    add_update(complaint, "referred", note)
    audit.record(f"{kind.value}_recorded", centre_id=centre.id, subject=complaint.reference)
    notify_once(complaint, "referred", complaint.complainant_email, f"Your report {complaint.reference}",
                f"Hello {complaint.complainant_name},\n\nWe have recorded your report, reference "
                f"{complaint.reference}.\n\n{note}\n")
    if kind is Kind.RESULT_DISPUTE:
        _tell_centre(complaint)
    else:
        for person in awarding_body_staff_with(Role.QUALITY):
            notify_once(complaint, "malpractice_reported", person.email,
                        f"Malpractice/maladministration report {complaint.reference}",
                        f"A report of malpractice or maladministration about {centre.name} was made through the "
                        f"portal, reference {complaint.reference}. Sign in to read it.\n")
    return complaint
