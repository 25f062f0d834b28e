"""A centre's life: application, approval (provisioning its workspace), suspension and closure (SPEC §2)."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select

from portal import audit
from portal.auth.models import AccountStatus, User, new_session_token
from portal.auth.services import find_user_by_email, issue_password_link, normalise_email
from portal.db import utcnow
from portal.extensions import db
from portal.mail import link_to, queue_email
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES, for_centre
from portal.workdays import to_london
from tenants.models import Centre, CentreStatus
from tenants.policy.models import PolicyTemplate
from tenants.policy.services import create_draft_policy

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
RESERVED_SLUGS = {"admin", "static", "new", "api"}


def suggest_slug(name: str) -> str:
    """A URL slug from a centre name: 'Fife Council Learning' -> 'fife-council-learning'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")


def suggest_centre_number() -> str:
    """The next free six-digit centre number."""
    highest = db.session.execute(select(func.max(Centre.centre_number))).scalar()
    return f"{int(highest) + 1:06d}" if highest and highest.isdigit() else "100001"


def approved_centres() -> list[Centre]:
    """The centres taking learners' complaints and submissions now, by name (for public lists)."""
    statement = select(Centre).where(Centre.status == CentreStatus.APPROVED).order_by(Centre.name)
    return list(db.session.execute(statement).scalars())


def submit_application(**details) -> Centre:
    """Record an application for approval and acknowledge it with the date a decision is due."""
    centre = Centre(status=CentreStatus.APPLIED, **details)
    centre.contact_email = normalise_email(centre.contact_email)
    db.session.add(centre)
    db.session.flush()
    audit.record("centre_applied", centre_id=centre.id, subject=centre.name, detail=centre.contact_email)
    due = to_london(centre.decision_due).strftime("%A %-d %B %Y")
    queue_email(centre.contact_email, "Your application for centre approval", (
        f"Hello {centre.contact_name},\n\nWe have received the application from {centre.name}. "
        f"Our customer charter promises a decision within 20 working days: by the end of {due}.\n"
    ), centre_id=centre.id)
    return centre


def _must_be(centre: Centre, *statuses: CentreStatus) -> None:
    if centre.status not in statuses:
        raise Refused(f"{centre.name} is {centre.status.label.lower()}; that cannot be done now.")


def approve_application(centre: Centre, *, slug: str, centre_number: str, quality_contact_name: str,
                        quality_contact_email: str, by: User) -> User:
    """Approve and provision the workspace: slug, centre number and the first Quality contact.

    The Quality contact is appointed by the awarding body, so their account is active at once and they
    get a set-password link. Returns that account.
    """
    _must_be(centre, CentreStatus.APPLIED)
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or slug in RESERVED_SLUGS:
        raise Refused("Use lower-case letters, digits and hyphens (up to 60), not starting or ending with a "
                      "hyphen.", field="slug")
    if db.session.execute(select(Centre.id).where(Centre.slug == slug)).first():
        raise Refused("Another centre already uses this address.", field="slug")
    if db.session.execute(select(Centre.id).where(Centre.centre_number == centre_number.strip())).first():
        raise Refused("Another centre already has this centre number.", field="centre_number")
    if find_user_by_email(quality_contact_email) is not None:
        raise Refused("An account with this email address already exists.", field="quality_contact_email")
    now = utcnow()
    centre.slug, centre.centre_number = slug, centre_number.strip()
    centre.status, centre.decided_at, centre.status_changed_at = CentreStatus.APPROVED, now, now
    contact = User(centre_id=centre.id, name=quality_contact_name.strip(),
                   email=normalise_email(quality_contact_email), job_title="Quality contact",
                   status=AccountStatus.ACTIVE, is_quality_contact=True, requested_by_id=by.id,
                   decided_by_id=by.id, decided_at=now)
    db.session.add(contact)
    db.session.flush()
    create_draft_policy(centre, PolicyTemplate.AWARDING_BODY_MODEL)  # SPEC §5.1: the workspace starts with a draft
    audit.record("centre_approved", actor=by, centre_id=centre.id, subject=centre.name,
                 detail=f"centre {centre.centre_number}, /c/{slug}, Quality contact {contact.email}")
    issue_password_link(contact, reason=f"{centre.name} is approved as a centre and you are its Quality "
                                        "contact.")
    home = link_to("centre.public.home", slug=slug)
    queue_email(centre.contact_email, f"{centre.name} is approved", (
        f"Hello {centre.contact_name},\n\n{centre.name} is approved as centre {centre.centre_number}. "
        f"Its pages are at {home}.\n"), centre_id=centre.id)
    return contact


def decline_application(centre: Centre, *, reason: str, by: User) -> None:
    """Decline an application, telling the applicant why."""
    _must_be(centre, CentreStatus.APPLIED)
    now = utcnow()
    centre.status, centre.decided_at, centre.status_changed_at = CentreStatus.DECLINED, now, now
    centre.decision_note = reason.strip()
    audit.record("centre_declined", actor=by, centre_id=centre.id, subject=centre.name, detail=reason)
    queue_email(centre.contact_email, "Your application for centre approval", (
        f"Hello {centre.contact_name},\n\nWe cannot approve {centre.name} as a centre at present.\n"
        f"Reason: {reason}\n"), centre_id=centre.id)


def _end_staff_sessions(centre: Centre) -> None:
    # Suspension is decided on an awarding-body page; the centre is named explicitly.
    statement = for_centre(User, centre).execution_options(**{ALL_CENTRES: True})
    for user in db.session.execute(statement).scalars():
        user.session_token = new_session_token()


def change_status(centre: Centre, new_status: CentreStatus, *, reason: str, by: User) -> None:
    """Suspend, reinstate or close a centre.

    Suspending or closing signs the centre's staff out: no session of theirs loads while the centre is not
    approved (portal.auth.services.may_sign_in), and their session tokens change so that a reinstatement
    does not bring yesterday's sessions back — they sign in again.
    """
    allowed = {
        CentreStatus.SUSPENDED: (CentreStatus.APPROVED,),
        CentreStatus.APPROVED: (CentreStatus.SUSPENDED,),
        CentreStatus.CLOSED: (CentreStatus.APPROVED, CentreStatus.SUSPENDED),
    }
    _must_be(centre, *allowed[new_status])
    if not reason.strip():
        raise Refused("Give a reason: it is kept in the audit log.", field="reason")
    previous = centre.status
    centre.status, centre.status_changed_at = new_status, utcnow()
    if new_status is not CentreStatus.APPROVED:
        _end_staff_sessions(centre)
    action = {CentreStatus.SUSPENDED: "centre_suspended", CentreStatus.APPROVED: "centre_reinstated",
              CentreStatus.CLOSED: "centre_closed"}[new_status]
    audit.record(action, actor=by, centre_id=centre.id, subject=centre.name,
                 detail=f"{previous.value} → {new_status.value}: {reason}")
