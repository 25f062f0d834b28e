"""The unit catalogue (SPEC §6.1), kept by platform admins, and the units each centre is approved for.

The upload form calls `approved_units(centre)` and `is_approved_for(centre, unit)`: only a centre's approved,
active units can be submitted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select

from portal import audit
from portal.auth.models import User
from portal.catalogue.models import CentreUnit, LimitRule, Pathway, Unit
from portal.extensions import db
from portal.rules import Refused
from portal.tenancy import ALL_CENTRES, Tenant, for_centre, in_centre

CODE_PATTERN = re.compile(r"^\d{3,6}-\d{2,4}$")  # e.g. 8600-301: the qualification number, a dash, the unit
LEVELS = range(2, 8)  # RQF levels 2 to 7

# The limits SPEC §6.1 names for particular Coaching & Mentoring units: the catalogue may not contradict them.
SPEC_UNIT_RULES: dict[str, LimitRule] = {
    "8585-300": LimitRule.WORDS_5000,
    "8588-500": LimitRule.WORDS_8000,
    **{code: LimitRule.PORTFOLIO for code in ("8585-301", "8585-302", "8585-303",
                                              "8588-501", "8588-502", "8588-503")},
}
LEADERSHIP_LEVELS_AT_5000 = range(2, 6)  # SPEC §6.1: Leadership & Management units, levels 2–5: 5,000 words


@dataclass(frozen=True)
class UnitDetails:
    """What a platform admin enters for a unit."""

    code: str
    title: str
    pathway: Pathway
    level: int
    limit_rule: LimitRule

    def normalised(self) -> UnitDetails:
        return UnitDetails(code=self.code.strip(), title=" ".join(self.title.split()), pathway=Pathway(self.pathway),
                           level=int(self.level), limit_rule=LimitRule(self.limit_rule))


def limit_rule_problem(details: UnitDetails) -> str | None:
    """Why this limit rule does not fit the unit's pathway, level or code (SPEC §6.1), or None if it fits."""
    required = SPEC_UNIT_RULES.get(details.code)
    if required is not None and details.limit_rule is not required:
        return f"Unit {details.code} has the rule “{required.label}” (SPEC §6.1 of the assessment service)."
    if details.limit_rule is LimitRule.PORTFOLIO and details.pathway is not Pathway.COACHING_MENTORING:
        return "Only Coaching & Mentoring units are assessed by portfolio with no word limit."
    if (details.pathway is Pathway.LEADERSHIP_MANAGEMENT and details.level in LEADERSHIP_LEVELS_AT_5000
            and details.limit_rule is not LimitRule.WORDS_5000):
        return "Leadership & Management units at levels 2 to 5 have a limit of 5,000 words."
    return None


def _validate(details: UnitDetails, unit: Unit | None = None) -> None:
    if not CODE_PATTERN.match(details.code):
        raise Refused("Enter the unit code as digits, a dash and digits, like 8600-301.", field="code")
    if details.level not in LEVELS:
        raise Refused("Enter a level from 2 to 7.", field="level")
    problem = limit_rule_problem(details)
    if problem:
        raise Refused(problem, field="limit_rule")
    taken = select(Unit.id).where(Unit.code == details.code)
    if unit is not None:
        taken = taken.where(Unit.id != unit.id)
    if db.session.execute(taken).first() is not None:
        raise Refused(f"There is already a unit {details.code} in the catalogue.", field="code")


def units(*, pathway: Pathway | None = None, level: int | None = None, active_only: bool = False) -> list[Unit]:
    """The catalogue, by pathway, level and code (one query)."""
    statement = select(Unit).order_by(Unit.pathway, Unit.level, Unit.code)
    if pathway is not None:
        statement = statement.where(Unit.pathway == pathway)
    if level is not None:
        statement = statement.where(Unit.level == level)
    if active_only:
        statement = statement.where(Unit.active.is_(True))
    return list(db.session.execute(statement).scalars())


def add_unit(details: UnitDetails, *, by: User) -> Unit:
    """Add a unit to the catalogue."""
    details = details.normalised()
    _validate(details)
    unit = Unit(code=details.code, title=details.title, pathway=details.pathway, level=details.level,
                limit_rule=details.limit_rule, active=True)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit_added", actor=by, subject=unit.code, detail=_describe(unit))
    return unit


def update_unit(unit: Unit, details: UnitDetails, *, by: User) -> None:
    """Change a unit. A unit already used (approved for a centre or submitted) keeps its code."""
    details = details.normalised()
    if details.code != unit.code and is_used(unit):
        raise Refused(f"Unit {unit.code} is already in use, so its code cannot change. Deactivate it and add "
                      "a new unit instead.", field="code")
    _validate(details, unit)
    before = _describe(unit)
    unit.code, unit.title, unit.pathway = details.code, details.title, details.pathway
    unit.level, unit.limit_rule = details.level, details.limit_rule
    after = _describe(unit)
    if after != before:
        audit.record("unit_changed", actor=by, subject=unit.code, detail=f"{before} → {after}")


def set_unit_active(unit: Unit, active: bool, *, by: User) -> None:
    """Deactivate a unit (no new approvals or submissions; history stays) or bring it back. Units are never
    deleted: submissions and approvals refer to them."""
    if unit.active == active:
        raise Refused(f"Unit {unit.code} is already {'active' if active else 'inactive'}.")
    unit.active = active
    audit.record("unit_reactivated" if active else "unit_deactivated", actor=by, subject=unit.code)


def is_used(unit: Unit) -> bool:
    """Whether any row refers to the unit: a centre's approval, a submission, whatever a later area adds.

    Found from the foreign keys, so the catalogue needs to know nothing of the areas built on it."""
    references = [key.parent for table in db.metadata.sorted_tables for key in table.foreign_keys
                  if key.column.table is Unit.__table__]
    statement = select(or_(*(select(column).where(column == unit.id).exists() for column in references)))
    # Every centre's rows count: a unit is in use if any centre uses it (platform admins only).
    return bool(db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalar())


def _describe(unit: Unit) -> str:
    return f"{unit.title} · {unit.pathway.label} level {unit.level} · {unit.limit_rule.label}"


# --- centres' approvals ----------------------------------------------------------------------------------

def approved_units(centre: Tenant) -> list[Unit]:
    """The active units `centre` is approved for, by code: the only units it can submit."""
    statement = (select(Unit).join(CentreUnit, CentreUnit.unit_id == Unit.id)
                 .where(in_centre(CentreUnit, centre), Unit.active.is_(True)).order_by(Unit.code))
    return list(db.session.execute(statement).scalars())


def is_approved_for(centre: Tenant, unit: Unit) -> bool:
    """Whether `centre` may submit work for `unit` (approved, and the unit is active)."""
    if not unit.active:
        return False
    statement = for_centre(CentreUnit, centre).with_only_columns(CentreUnit.id).where(CentreUnit.unit_id == unit.id)
    return db.session.execute(statement).first() is not None


def centre_unit_lists(centre: Tenant) -> tuple[list[Unit], list[Unit]]:
    """(units the centre is approved for — inactive ones included, marked —, active units it could be approved
    for), each by code. Two queries."""
    statement = (select(Unit).join(CentreUnit, CentreUnit.unit_id == Unit.id)
                 .where(in_centre(CentreUnit, centre)).order_by(Unit.code))
    # An awarding-body page about one centre: the condition above scopes it.
    approved = list(db.session.execute(statement.execution_options(**{ALL_CENTRES: True})).scalars())
    taken = {unit.id for unit in approved}
    available = [unit for unit in units(active_only=True) if unit.id not in taken]
    return approved, sorted(available, key=lambda unit: unit.code)


def approve_units(centre: Tenant, unit_ids, *, by: User) -> list[Unit]:
    """Approve `centre` for these active units (those already approved are left as they are)."""
    wanted = set(unit_ids)
    if not wanted:
        return []
    found = list(db.session.execute(select(Unit).where(Unit.id.in_(wanted)).order_by(Unit.code)).scalars())
    if len(found) != len(wanted):
        raise Refused("One of the units chosen is no longer in the catalogue: reload the page and try again.")
    inactive = [unit.code for unit in found if not unit.active]
    if inactive:
        raise Refused(f"Unit {', '.join(inactive)} is inactive: a centre cannot be approved for it.")
    already = set(db.session.execute(  # awarding-body staff approve units for one centre, scoped explicitly
        for_centre(CentreUnit, centre).with_only_columns(CentreUnit.unit_id).where(CentreUnit.unit_id.in_(wanted))
        .execution_options(**{ALL_CENTRES: True})).scalars())
    added = [unit for unit in found if unit.id not in already]
    db.session.add_all(CentreUnit(centre_id=centre.id, unit_id=unit.id) for unit in added)
    if added:
        audit.record("units_approved", actor=by, centre_id=centre.id,
                     subject=", ".join(unit.code for unit in added))
    return added


def withdraw_units(centre: Tenant, unit_ids, *, by: User) -> list[Unit]:
    """Withdraw `centre`'s approval for these units: no new submissions; work already submitted carries on."""
    wanted = set(unit_ids)
    if not wanted:
        return []
    rows = list(db.session.execute(  # awarding-body staff withdraw one centre's units, scoped explicitly
        for_centre(CentreUnit, centre).where(CentreUnit.unit_id.in_(wanted))
        .execution_options(**{ALL_CENTRES: True})).scalars())
    if len(rows) != len(wanted):
        raise Refused("One of the units chosen is not approved for this centre: reload the page and try again.")
    withdrawn = sorted((row.unit for row in rows), key=lambda unit: unit.code)
    for row in rows:
        db.session.delete(row)
    audit.record("units_withdrawn", actor=by, centre_id=centre.id,
                 subject=", ".join(unit.code for unit in withdrawn))
    return withdrawn

