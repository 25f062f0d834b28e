"""What the centre holds about one learner: THE one place that finds a learner's records, for export and erasure.

Learners have no account, so a complaint is tied to a learner by what the complainant typed: a case at the same
centre, on the learner route, whose enrolment number is the learner's ENR or whose email address is the learner's
(case and surrounding spaces ignored). A name alone is never enough (two people share a name). Malpractice and
maladministration reports are not the centre's to hand over or erase: the awarding body's regulation team handles
them (they may concern the centre itself). Complaints made straight to the awarding body (the direct route) are
the awarding body's records.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_

from portal.audit import AuditEvent
from portal.extensions import db
from portal.tenancy import belongs_to, for_centre
from tenants.complaints.models import Complaint, Kind, Route
from tenants.learners.models import Learner
from tenants.models import Centre
from tenants.submissions import naming
from tenants.submissions.models import Submission

MATCHING = ("A complaint is the learner's when it was made to this centre on the learner route and its enrolment "
            "number is the learner's ENR, or its email address is the learner's (case and spaces ignored). A name "
            "alone is not enough. Malpractice reports (handled by the awarding body's regulation team) and "
            "complaints made directly to the awarding body are not included: ask the awarding body for them.")
SUBMISSION_ACTIONS_BY_ID = ("submission_withdrawn", "submission_fee_accepted")  # audited with the submission's id


@dataclass
class MatchedComplaint:
    complaint: Complaint
    why: str  # "enrolment number", "email address" or both


@dataclass
class LearnerRecords:
    learner: Learner
    submissions: list[Submission]  # every row, replaced ones included, oldest first
    complaints: list[MatchedComplaint]
    audit_events: list[AuditEvent]

    @property
    def files(self):
        """Every stored file of the learner's submissions (the awarding body's own sheets included)."""
        return [stored for submission in self.submissions for stored in submission.files]


def _same(column, value: str):
    return func.upper(func.trim(column)) == value.strip().upper()


def matched_complaints(centre: Centre, learner: Learner) -> list[MatchedComplaint]:
    """The learner's complaints at `centre` (see the module's docstring for how they are matched)."""
    conditions = [_same(Complaint.enrolment_number, learner.enrolment_number)]
    if learner.email:
        conditions.append(_same(Complaint.complainant_email, learner.email))
    statement = (for_centre(Complaint, centre)
                 .where(Complaint.route == Route.CENTRE, Complaint.kind != Kind.MALPRACTICE, or_(*conditions))
                 .order_by(Complaint.received_at, Complaint.id))
    found = []
    for complaint in db.session.execute(statement).scalars():
        reasons = []
        if complaint.enrolment_number.strip().upper() == learner.enrolment_number.upper():
            reasons.append("enrolment number")
        if learner.email and complaint.complainant_email.strip().upper() == learner.email.upper():
            reasons.append("email address")
        found.append(MatchedComplaint(complaint, " and ".join(reasons)))
    return found


def audit_events_about(centre: Centre, learner: Learner, submissions: list[Submission],
                       complaints: list[Complaint]) -> list[AuditEvent]:
    """The centre's audit events about the learner: named by their ENR, a submission's file-name stem (as
    S.Smith-ABC123(1), with the unit after it on the awarding body's events), a submission's id (withdrawn, fee
    accepted) or one of their complaints' references."""
    exact = {learner.enrolment_number, *(complaint.reference for complaint in complaints)}
    conditions = [AuditEvent.subject.in_(exact)]
    stems = {naming.submission_stem(submission) for submission in submissions}
    conditions += [or_(AuditEvent.subject == stem, AuditEvent.subject.startswith(stem + " ", autoescape=True))
                   for stem in stems]
    if submissions:
        conditions.append(and_(AuditEvent.action.in_(SUBMISSION_ACTIONS_BY_ID),
                               AuditEvent.subject.in_([str(submission.id) for submission in submissions])))
    statement = for_centre(AuditEvent, centre).where(or_(*conditions)).order_by(AuditEvent.at, AuditEvent.id)
    return list(db.session.execute(statement).unique().scalars())


def records_of(centre: Centre, learner: Learner) -> LearnerRecords:
    """Everything `centre` holds about `learner` (a learner of another centre is a LookupError)."""
    if not belongs_to(learner, centre):
        raise LookupError(learner.id)
    submissions = list(db.session.execute(
        for_centre(Submission, centre).where(Submission.learner_id == learner.id)
        .order_by(Submission.uploaded_at, Submission.id)).unique().scalars())
    complaints = matched_complaints(centre, learner)
    events = audit_events_about(centre, learner, submissions, [m.complaint for m in complaints])
    return LearnerRecords(learner, submissions, complaints, events)

