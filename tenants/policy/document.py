"""A complaints policy as a document: the sections, paragraphs, bullet lists and stage table that both the
web page and the Word download show, so the two can never say different things.

Policy texts are plain text with a light format: a blank line separates paragraphs, a line starting with
"- " is a bullet point, other line breaks are kept.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from portal.workdays import Nation

BULLET = "- "
SECTION_HEADINGS = {
    "introduction": "About this policy",
    "contact": "How to make a complaint",
    "process": "How we handle your complaint",
    "confidentiality": "Confidentiality",
    "signposting": "If you are still not satisfied",
    "review": "Review of this policy",
}
STAGE_COLUMNS = ("Stage", "Handled by", "Target (working days)")


@dataclass(frozen=True)
class Paragraph:
    lines: tuple[str, ...]
    kind = "paragraph"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    kind = "bullets"


@dataclass(frozen=True)
class StageRow:
    number: int
    name: str
    handler: str
    target_days: int

    @property
    def label(self) -> str:
        return f"{self.number}. {self.name}"


@dataclass(frozen=True)
class StageTable:
    rows: tuple[StageRow, ...]
    kind = "stages"
    columns = STAGE_COLUMNS


Part = Paragraph | Bullets | StageTable


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class PolicyDocument:
    """A published version, ready to show or write."""

    title: str
    centre_name: str
    version_number: int
    published_at: datetime
    published_on: date
    review_due: date
    sections: tuple[Section, ...]

    @property
    def stage_table(self) -> StageTable:
        return next(part for section in self.sections for part in section.parts if isinstance(part, StageTable))


def text_blocks(text: str | None) -> list[Paragraph | Bullets]:
    """Split a policy text into paragraphs and bullet lists."""
    blocks: list[Paragraph | Bullets] = []
    for chunk in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.rstrip() for line in chunk.split("\n") if line.strip()]
        run: list[str] = []
        for line in lines:
            is_item = line.lstrip().startswith(BULLET)
            if run and (run[0].lstrip().startswith(BULLET)) != is_item:
                blocks.append(_block(run))
                run = []
            run.append(line)
        if run:
            blocks.append(_block(run))
    return blocks


def _block(lines: list[str]) -> Paragraph | Bullets:
    if lines[0].lstrip().startswith(BULLET):
        return Bullets(tuple(line.lstrip()[len(BULLET):].strip() for line in lines))
    return Paragraph(tuple(line.strip() for line in lines))


def stage_rows(stages: Iterable) -> tuple[StageRow, ...]:
    """Numbered rows from draft stages (PolicyStage) or a version's snapshot (dicts)."""
    rows = []
    for number, stage in enumerate(stages, start=1):
        if isinstance(stage, dict):
            rows.append(StageRow(number, stage["name"], stage["handler"], int(stage["target_days"])))
        else:
            rows.append(StageRow(number, stage.name, stage.handler, stage.target_days))
    return tuple(rows)


def working_days(n: int) -> str:
    return f"{n} working day{'s' if n != 1 else ''}"


def process_parts(acknowledge_days: int, rows: tuple[StageRow, ...], nation: Nation) -> tuple[Part, ...]:
    """'How we handle your complaint': the acknowledgement promise, the stage table and how stages follow on."""
    parts: list[Part] = [
        Paragraph((f"We will acknowledge your complaint within {working_days(acknowledge_days)} of receiving it "
                   "and tell you who is dealing with it. Working days are Monday to Friday, not counting bank "
                   f"holidays in {nation.label}.",)),
        StageTable(rows),
        Paragraph(("Each stage's target is counted in working days from the day the stage starts. If a stage is "
                   "going to take longer, for example because the matter is complex, we will tell you why and "
                   "keep you updated.",)),
    ]
    if len(rows) > 1:
        parts.append(Paragraph((f"If you are not satisfied with the outcome of a stage, you can ask for your "
                                f"complaint to go to the next stage. The outcome of stage {rows[-1].number} "
                                f"({rows[-1].name}) is our final response.",)))
    else:
        parts.append(Paragraph(("The outcome of this stage is our final response.",)))
    return tuple(parts)


def policy_document(version, *, centre_name: str, nation: Nation) -> PolicyDocument:
    """The document of a published version (`tenants.policy.models.PolicyVersion`)."""
    rows = stage_rows(version.stages)
    published, due = version.published_on, version.review_due
    sections = (
        Section("introduction", SECTION_HEADINGS["introduction"], tuple(text_blocks(version.introduction))),
        Section("contact", SECTION_HEADINGS["contact"], tuple(text_blocks(version.contact_details))),
        Section("process", SECTION_HEADINGS["process"], process_parts(version.acknowledge_days, rows, nation)),
        Section("confidentiality", SECTION_HEADINGS["confidentiality"], tuple(text_blocks(version.confidentiality))),
        Section("signposting", SECTION_HEADINGS["signposting"], tuple(text_blocks(version.signposting))),
        Section("review", SECTION_HEADINGS["review"], (
            Paragraph((f"This is version {version.number} of our complaints policy, published on "
                       f"{long_date(published)}. We review the policy at least every three years, and sooner "
                       f"if our process changes: the next review is due by {long_date(due)}.",)),)),
    )
    return PolicyDocument(title=version.title, centre_name=centre_name, version_number=version.number,
                          published_at=version.published_at, published_on=published, review_due=due, sections=sections)


def long_date(day: date) -> str:
    """'23 November 2026'."""
    return f"{day.day} {day:%B %Y}"
