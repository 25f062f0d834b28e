"""Learners registered at a centre (SPEC §3, §6.2): name, enrolment number (ENR), qualification, status.

A learner whose qualification is in progress cannot hold a staff account at the same centre: the staff side
refuses the account (tenants.staff.services), and this side refuses to register, or reopen, a learner whose
email is that of an active member of staff.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.auth.models import AccountStatus, User
from portal.auth.services import normalise_email
from portal.extensions import db
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES, belongs_to, for_centre, in_centre
from tenants.learners.models import Learner, LearnerStatus
from tenants.models import Centre

PAGE_SIZE = 50
ENR_PATTERN = re.compile(r"^[A-Z0-9]{3,40}$")  # letters and digits: it goes into file names (S.Smith-ABC123(1))


@dataclass(frozen=True)
class LearnerDetails:
    """What centre staff enter for a learner."""

    first_name: str
    last_name: str
    enrolment_number: str
    email: str | None = None
    qualification: str = ""

    def normalised(self) -> LearnerDetails:
        email = normalise_email(self.email) if self.email and self.email.strip() else None
        return LearnerDetails(first_name=" ".join(self.first_name.split()), last_name=" ".join(self.last_name.split()),
                              enrolment_number=normalise_enrolment_number(self.enrolment_number), email=email,
                              qualification=" ".join((self.qualification or "").split()))


def normalise_enrolment_number(enrolment_number: str) -> str:
    """ENRs are compared without surrounding spaces and without regard to case (stored upper-case)."""
    return (enrolment_number or "").strip().upper()


def find_learner(centre: Centre, enrolment_number: str) -> Learner | None:
    """The learner at `centre` with this enrolment number, if there is one (case and spaces ignored)."""
    statement = for_centre(Learner, centre).where(
        Learner.enrolment_number == normalise_enrolment_number(enrolment_number))
    return db.session.execute(statement).scalar_one_or_none()


def search_learners(centre: Centre, query: str = "", *, status: LearnerStatus | None = None,
                    page: int = 1) -> tuple[list[Learner], int]:
    """The centre's learners whose name or ENR contains `query`, by surname; one page and the total (two queries,
    whatever the number of learners)."""
    statement = for_centre(Learner, centre)
    words = query.split()
    for word in words:  # "sam smi" finds Sam Smith: every word must match a name or the ENR
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(func.lower(Learner.first_name).like(pattern, escape="\\"),
                                        func.lower(Learner.last_name).like(pattern, escape="\\"),
                                        func.lower(Learner.enrolment_number).like(pattern, escape="\\")))
    if status is not None:
        statement = statement.where(Learner.status == status)
    total = db.session.execute(statement.with_only_columns(func.count(Learner.id)).order_by(None)).scalar_one()
    page = max(page, 1)
    rows = db.session.execute(statement.order_by(func.lower(Learner.last_name), func.lower(Learner.first_name),
                                                 Learner.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()
    return list(rows), total


def _refuse_active_staff(centre: Centre, email: str | None) -> None:
    """The mirror of the staff side's rule: an active member of staff cannot be a learner in progress."""
    if not email:
        return
    statement = (select(User.id).where(in_centre(User, centre), func.lower(User.email) == email,
                                       User.status == AccountStatus.ACTIVE)
                 # Accounts are loaded unfiltered by the safety net; the condition above scopes them.
                 .execution_options(**{ALL_CENTRES: True}))
    if db.session.execute(statement).first():
        raise Refused("This email address belongs to an active staff account at this centre. A member of staff "
                      "cannot be a learner with a qualification in progress: close their staff account first, or "
                      "register the learner with their own personal email address.", field="email")


def _validate(centre: Centre, details: LearnerDetails, learner: Learner | None) -> None:
    if not ENR_PATTERN.match(details.enrolment_number):
        raise Refused("Enter the enrolment number (ENR) using letters and digits only, 3 to 40 of them.",
                      field="enrolment_number")
    existing = find_learner(centre, details.enrolment_number)
    if existing is not None and existing is not learner:
        raise Refused(f"Enrolment number {details.enrolment_number} is already used by {existing.full_name} at "
                      "this centre. Each learner's ENR is unique within the centre.", field="enrolment_number")
    if (learner is None or learner.status is LearnerStatus.IN_PROGRESS):
        _refuse_active_staff(centre, details.email)


def _refuse_erased(learner: Learner) -> None:
    if learner.erased_at is not None:
        raise Refused("This learner's personal data was erased at their request: their record is kept only so that "
                      "reports count their work, and cannot be changed. Register them again if they return.")


def _flush_or_refuse(details: LearnerDetails) -> None:
    """Flush; a learner registered with the same ENR a moment ago (a race) is refused like any duplicate."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Refused(f"Enrolment number {details.enrolment_number} is already used at this centre.",
                      field="enrolment_number") from error


def add_learner(centre: Centre, details: LearnerDetails, *, by: User) -> Learner:
    """Register a learner at the centre; their qualification starts in progress."""
    details = details.normalised()
    _validate(centre, details, None)
    learner = Learner(centre_id=centre.id, first_name=details.first_name, last_name=details.last_name,
                      email=details.email, enrolment_number=details.enrolment_number,
                      qualification=details.qualification, status=LearnerStatus.IN_PROGRESS)
    db.session.add(learner)
    _flush_or_refuse(details)
    audit.record("learner_added", actor=by, centre_id=centre.id, subject=learner.enrolment_number,
                 detail=f"{learner.full_name}{' · ' + learner.qualification if learner.qualification else ''}")
    return learner


def update_learner(centre: Centre, learner: Learner, details: LearnerDetails, *, by: User) -> None:
    """Change a learner's details (ENR uniqueness and the staff rule as when registering)."""
    if not belongs_to(learner, centre):
        raise LookupError(learner.id)
    _refuse_erased(learner)
    details = details.normalised()
    _validate(centre, details, learner)
    fields = ("first_name", "last_name", "email", "enrolment_number", "qualification")
    changes = [f"{name}: {getattr(learner, name) or '–'} → {getattr(details, name) or '–'}"
               for name in fields if getattr(learner, name) != getattr(details, name)]
    if not changes:
        return
    for name in fields:
        setattr(learner, name, getattr(details, name))
    _flush_or_refuse(details)
    audit.record("learner_changed", actor=by, centre_id=centre.id, subject=learner.enrolment_number,
                 detail="; ".join(changes))


def set_status(centre: Centre, learner: Learner, status: LearnerStatus, *, by: User) -> None:
    """Mark the qualification completed, or back in progress (refused if the learner is now active staff)."""
    if not belongs_to(learner, centre):
        raise LookupError(learner.id)
    _refuse_erased(learner)
    if learner.status is status:
        word = "completed" if status is LearnerStatus.COMPLETED else "in progress"
        raise Refused(f"{learner.full_name}'s qualification is already {word}.")
    if status is LearnerStatus.IN_PROGRESS:
        _refuse_active_staff(centre, learner.email)
    learner.status = status
    action = "learner_completed" if status is LearnerStatus.COMPLETED else "learner_reopened"
    audit.record(action, actor=by, centre_id=centre.id, subject=learner.enrolment_number, detail=learner.full_name)
