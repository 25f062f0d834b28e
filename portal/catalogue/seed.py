"""The catalogue's starting data: every rule of SPEC §6.1 has units behind it (`flask catalogue seed`).

Leadership & Management units (8600 series, levels 2–5) have the 5,000-word limit; the Coaching & Mentoring
units carry the limits SPEC §6.1 names one by one (`services.SPEC_UNIT_RULES`). The source documents give no
unit titles, so the titles follow the wording of the awarding body's published unit specifications.
"""
from __future__ import annotations

import click
from sqlalchemy import select

from portal.catalogue.models import LimitRule, Pathway, Unit
from portal.catalogue.services import SPEC_UNIT_RULES
from portal.extensions import db

LM, CM = Pathway.LEADERSHIP_MANAGEMENT, Pathway.COACHING_MENTORING

LEADERSHIP_UNITS: list[tuple[str, str, int]] = [
    ("8600-201", "Understanding leadership", 2),
    ("8600-202", "Working in a team", 2),
    ("8600-203", "Communicating with your team", 2),
    ("8600-301", "Understanding leadership and management", 3),
    ("8600-302", "Managing a team", 3),
    ("8600-303", "Managing workplace performance", 3),
    ("8600-304", "Solving problems and making decisions", 3),
    ("8600-401", "Leading and managing people", 4),
    ("8600-402", "Managing projects in the workplace", 4),
    ("8600-403", "Managing change in the workplace", 4),
    ("8600-501", "Becoming an effective leader", 5),
    ("8600-502", "Managing and developing people", 5),
    ("8600-503", "Managing change in the organisation", 5),
    ("8600-504", "Managing finance and resources", 5),
]

COACHING_UNITS: list[tuple[str, str, int]] = [
    ("8585-300", "Understanding the fundamentals of coaching and mentoring", 3),
    ("8585-301", "Undertaking coaching in a work context", 3),
    ("8585-302", "Undertaking mentoring in a work context", 3),
    ("8585-303", "Reviewing own ability as a coach or mentor", 3),
    ("8588-500", "Understanding the skills, principles and practice of effective management coaching and mentoring", 5),
    ("8588-501", "Undertaking management coaching or mentoring in the workplace", 5),
    ("8588-502", "Reflecting on own practice as a management coach or mentor", 5),
    ("8588-503", "Planning and reviewing a programme of management coaching or mentoring", 5),
]


def catalogue_units() -> list[Unit]:
    """The seed units, not yet saved: (code, title, pathway, level, limit rule)."""
    rows = [Unit(code=code, title=title, pathway=LM, level=level, limit_rule=LimitRule.WORDS_5000)
            for code, title, level in LEADERSHIP_UNITS]
    rows += [Unit(code=code, title=title, pathway=CM, level=level, limit_rule=SPEC_UNIT_RULES[code])
             for code, title, level in COACHING_UNITS]
    return rows


def seed_catalogue() -> int:
    """Add or update the seed units by code (running it twice changes nothing); returns how many were added or
    changed. Units an admin added are left alone; a seed unit an admin deactivated stays inactive."""
    existing = {unit.code: unit for unit in db.session.execute(select(Unit)).scalars()}
    changed = 0
    for seed in catalogue_units():
        unit = existing.get(seed.code)
        if unit is None:
            seed.active = True
            db.session.add(seed)
            changed += 1
            continue
        values = (seed.title, seed.pathway, seed.level, seed.limit_rule)
        if (unit.title, unit.pathway, unit.level, unit.limit_rule) != values:
            unit.title, unit.pathway, unit.level, unit.limit_rule = values
            changed += 1
    db.session.flush()
    return changed



@click.group("catalogue")
def catalogue_cli() -> None:
    """The unit catalogue."""


@catalogue_cli.command("seed")
def seed() -> None:
    """Add the seed units, or bring them up to date (idempotent: upsert by unit code)."""
    from portal.db import commit

    changed = seed_catalogue()
    commit()
    click.echo(f"Catalogue seeded: {changed} unit(s) added or updated.")
