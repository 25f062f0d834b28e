"""Appointed awarding-body roles: granted and removed by a platform admin on the people page, every change audited.

The Lead Assessor is *appointed* (ILMA assessment service policy, "Lead Assessor"): the role lets its holder
sample assessors' marking and decide whether a sampled result may be released (portal/admin/sampling.py).
Only a platform admin moves it; nobody else can give themselves the power to let results out.
"""
from __future__ import annotations

from portal import audit
from portal.auth.models import AccountStatus, Role, RoleGrant, User
from portal.rules import Refused

# The roles the people page appoints and removes.
APPOINTED_ROLES = (Role.LEAD_ASSESSOR,)


def _check(user: User, role: Role, by: User) -> Role:
    if not by.has_role(Role.PLATFORM_ADMIN):
        raise PermissionError("only a platform admin appoints or removes this role")
    try:
        role = Role(role)
    except ValueError:
        raise Refused("Choose a role.") from None
    if role not in APPOINTED_ROLES:
        raise Refused(f"The {role.label.lower()} role is not appointed here.")
    if user is None or not user.is_awarding_body:
        raise Refused("Only awarding-body staff hold awarding-body roles.")
    return role


def appoint(user: User, role: Role | str, *, by: User) -> None:
    """Give `user` (an active awarding-body account) the appointed `role`."""
    role = _check(user, role, by)
    if user.status is not AccountStatus.ACTIVE:
        raise Refused(f"{user.name}'s account is not active: only an active account can be appointed "
                      f"{role.label.lower()}.")
    if role in user.roles:
        raise Refused(f"{user.name} is already a {role.label.lower()}.")
    user.role_grants.append(RoleGrant(role=role))
    audit.record("role.granted", actor=by, subject=user.email, detail=f"Appointed {role.label.lower()}.")


def remove(user: User, role: Role | str, *, by: User) -> None:
    """Take the appointed `role` away from `user` (work they already sampled keeps its record)."""
    role = _check(user, role, by)
    grant = next((g for g in user.role_grants if g.role is role), None)
    if grant is None:
        raise Refused(f"{user.name} is not a {role.label.lower()}.")
    user.role_grants.remove(grant)
    audit.record("role.removed", actor=by, subject=user.email, detail=f"No longer {role.label.lower()}.")
