"""Staff accounts of a centre, gated by its Quality contact (SPEC §3)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.auth.models import AccountStatus, User, new_session_token
from portal.auth.services import find_user_by_email, issue_password_link, normalise_email
from portal.db import utcnow
from portal.extensions import db
from portal.mail import queue_email
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES, belongs_to, for_centre, in_centre, working_for_all_centres
from tenants.learners.models import Learner, LearnerStatus
from tenants.models import Centre


def quality_contact(centre: Centre) -> User | None:
    """The centre's current Quality contact."""
    statement = for_centre(User, centre).where(User.is_quality_contact.is_(True))
    # Also asked by the awarding body's pages and jobs; the centre is named explicitly.
    return db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalar_one_or_none()


def staff_of(centre: Centre) -> list[User]:
    """Every account of the centre, pending first, then by name."""
    order = (User.status != AccountStatus.PENDING, User.status != AccountStatus.ACTIVE, User.name)
    # requested_by is shown beside each account: load them together, not one query per row.
    statement = (for_centre(User, centre).order_by(*order)
                 .options(selectinload(User.requested_by)))
    # Also shown on the awarding body's centre page; the centre is named explicitly.
    return list(db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalars())


def _refuse_learner_in_progress(centre: Centre, email: str) -> None:
    statement = (select(Learner.id)
                 .where(in_centre(Learner, centre), func.lower(Learner.email) == email,
                        Learner.status == LearnerStatus.IN_PROGRESS)
                 # Awarding-body staff may request an account for a centre; the centre is named explicitly.
                 .execution_options(**{ALL_CENTRES: True}))
    if db.session.execute(statement).first():
        raise Refused("This person is registered as a learner at this centre with a qualification in "
                      "progress, so cannot have a staff account until it is completed.", field="email")


ADDRESS_IN_USE = "Someone at this centre already has an account with this email address."
IN_USE_ELSEWHERE = "An account with this email address already exists."


def request_staff_account(centre: Centre, *, name: str, email: str, job_title: str,
                          requested_by: User) -> User | None:
    """Create a pending account for the Quality contact to approve or decline.

    An address used by this centre's own account is refused (that is the centre's to know). An address used at
    another centre or at the awarding body is not said to exist: to a member of a centre the request looks
    like any other (the caller answers with the same words), nothing is created, and the holder of the address
    is told. Returns None in that case. The awarding body, which sees every account, is told plainly.
    """
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if belongs_to(existing, centre):
        raise Refused(ADDRESS_IN_USE, field="email")
    if existing is not None and requested_by.is_awarding_body:
        raise Refused(IN_USE_ELSEWHERE, field="email")
    _refuse_learner_in_progress(centre, email)
    if existing is not None:
        _tell_the_holder(existing, centre, requested_by)
        return None
    user = User(centre_id=centre.id, name=name.strip(), email=email, job_title=job_title.strip(),
                status=AccountStatus.PENDING, requested_by_id=requested_by.id)
    db.session.add(user)
    db.session.flush()
    audit.record("staff_requested", actor=requested_by, centre_id=centre.id, subject=email,
                 detail=f"{name} ({job_title})" if job_title else name)
    contact = quality_contact(centre)
    if contact is not None and contact.id != requested_by.id:
        queue_email(contact.email, f"Staff account request for {centre.name}", (
            f"Hello {contact.name},\n\n{requested_by.name} asked for a staff account for {user.name} "
            f"<{email}> at {centre.name}.\nOnly you, as the centre's Quality contact, can approve or "
            "decline it: sign in to the Centre Portal and open Staff.\n"), centre_id=centre.id)
    return user


def _tell_the_holder(holder: User, centre: Centre, requested_by: User) -> None:
    """A centre asked for an account with an address that already has one elsewhere: tell its holder (only
    them), and keep a record for the awarding body (not in either centre's audit log)."""
    audit.record("staff_request_address_in_use", actor=requested_by, centre_id=None, subject=holder.email,
                 detail=f"requested at {centre.name}")
    holder_email, holder_name, holder_centre_id = holder.email, holder.name, holder.centre_id
    # The holder's email belongs to the holder's centre (or the awarding body), not to the centre whose page asked:
    # writing it is the system's work, said explicitly, or row-level security refuses the other centre's row.
    with working_for_all_centres():
        queue_email(holder_email, f"Staff account request at {centre.name}", (
            f"Hello {holder_name},\n\nSomeone at {centre.name} asked the Centre Portal for a staff account with "
            "this email address. It already has an account, and an address can hold only one, so no account was "
            f"made.\n\nIf you now work at {centre.name}, ask them to use another work address for you, or ask "
            "the awarding body to help. If this means nothing to you, you need do nothing.\n"),
            centre_id=holder_centre_id)


def _pending(centre: Centre, user: User) -> None:
    if not belongs_to(user, centre):
        raise LookupError(user.id)
    if user.status is not AccountStatus.PENDING:
        raise Refused(f"{user.name}'s account is {user.status.value}, not waiting for a decision.")


def must_be_quality_contact(centre: Centre, actor: User | None, *, to: str) -> None:
    """Refuse (PermissionError, a 403) unless `actor` is the centre's Quality contact; `to` says what for."""
    if not (belongs_to(actor, centre) and actor.is_quality_contact):
        raise PermissionError(f"only the centre's Quality contact may {to}")


def approve_staff_account(centre: Centre, user: User, *, by: User) -> None:
    """The Quality contact approves: the account becomes active and the person gets a set-password link."""
    must_be_quality_contact(centre, by, to="decide on staff accounts")
    _pending(centre, user)
    _refuse_learner_in_progress(centre, user.email)  # they may have been registered since the request
    user.status, user.decided_by_id, user.decided_at = AccountStatus.ACTIVE, by.id, utcnow()
    audit.record("staff_approved", actor=by, centre_id=centre.id, subject=user.email)
    issue_password_link(user, reason=f"{by.name} approved your staff account at {centre.name}.")


def decline_staff_account(centre: Centre, user: User, *, by: User, reason: str) -> None:
    """The Quality contact declines: the account can never sign in; the requester is told."""
    must_be_quality_contact(centre, by, to="decide on staff accounts")
    _pending(centre, user)
    user.status, user.decided_by_id, user.decided_at = AccountStatus.DECLINED, by.id, utcnow()
    user.decision_note = reason.strip()
    audit.record("staff_declined", actor=by, centre_id=centre.id, subject=user.email, detail=reason)
    requester = user.requested_by
    if requester is not None and requester.id != by.id:
        queue_email(requester.email, f"Staff account request declined at {centre.name}", (
            f"Hello {requester.name},\n\nThe request for a staff account for {user.name} <{user.email}> "
            f"was declined by {by.name}.\nReason: {reason or 'none given'}\n"), centre_id=centre.id)


def close_staff_account(centre: Centre, user: User, *, by: User) -> None:
    """Close an account: it cannot sign in, its live sessions end, its history stays."""
    if not belongs_to(user, centre):
        raise LookupError(user.id)
    if user.is_quality_contact:
        raise Refused("The Quality contact's account cannot be closed until the awarding body moves the "
                      "role to someone else.")
    if user.status is AccountStatus.CLOSED:
        raise Refused(f"{user.name}'s account is already closed.")
    user.status, user.session_token = AccountStatus.CLOSED, new_session_token()
    user.decided_by_id, user.decided_at = by.id, utcnow()
    audit.record("staff_closed", actor=by, centre_id=centre.id, subject=user.email)


def appoint_quality_contact(centre: Centre, user: User, *, by: User) -> None:
    """Move the Quality-contact role (awarding-body staff only) to an active member of the centre."""
    from portal.auth.models import Role

    if not by.has_role(Role.PLATFORM_ADMIN, Role.QUALITY):
        raise PermissionError("only awarding-body staff move the Quality-contact role")
    if not belongs_to(user, centre) or user.status is not AccountStatus.ACTIVE:
        raise Refused("The Quality contact must be an active member of this centre's staff.")
    previous = quality_contact(centre)
    if previous is not None and previous.id == user.id:
        raise Refused(f"{user.name} is already the Quality contact.")
    if previous is not None:
        previous.is_quality_contact = False
        db.session.flush()  # the database holds one Quality contact per centre: clear before setting
    user.is_quality_contact = True
    audit.record("quality_contact_moved", actor=by, centre_id=centre.id, subject=user.email,
                 detail=f"from {previous.email if previous else 'nobody'} to {user.email}")
    queue_email(user.email, f"You are now the Quality contact for {centre.name}", (
        f"Hello {user.name},\n\nThe awarding body has made you the Quality contact for {centre.name}. "
        "You now approve staff accounts and own the centre's complaints policy.\n"), centre_id=centre.id)
