"""A centre's published complaints policy as a Word (.docx) file, written with python-docx.

Only built-in styles of python-docx's default template are used (Title, Heading 1, List Bullet, Table
Grid), so the file opens cleanly in Word and LibreOffice and keeps its structure for screen readers:
real headings, real bullet lists, and a real table whose header row repeats on every page.
"""
from __future__ import annotations

from datetime import UTC
from io import BytesIO

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tenants.policy.document import Bullets, Paragraph, PolicyDocument, StageTable, long_date

DOCX_MIME_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE = "en-GB"


def policy_docx(policy: PolicyDocument) -> bytes:
    """The .docx bytes of a published policy version."""
    document = Document()
    _set_language(document)
    _set_properties(document, policy)
    document.add_heading(policy.title, level=0)
    document.add_paragraph(f"{policy.centre_name}. Version {policy.version_number}, published "
                           f"{long_date(policy.published_on)}. Review due by {long_date(policy.review_due)}.")
    for section in policy.sections:
        document.add_heading(section.heading, level=1)
        for part in section.parts:
            _add_part(document, part)
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = (f"{policy.title}, version {policy.version_number}, published {long_date(policy.published_on)}")
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _add_part(document, part) -> None:
    if isinstance(part, Paragraph):
        paragraph = document.add_paragraph()
        for index, line in enumerate(part.lines):
            run = paragraph.add_run(line)
            if index < len(part.lines) - 1:
                run.add_break()
    elif isinstance(part, Bullets):
        for item in part.items:
            document.add_paragraph(item, style="List Bullet")
    elif isinstance(part, StageTable):
        _add_stage_table(document, part)
    else:  # pragma: no cover - a new kind of part must be written here too
        raise TypeError(f"cannot write {type(part).__name__} to .docx")


def _add_stage_table(document, table_part: StageTable) -> None:
    table = document.add_table(rows=1, cols=len(table_part.columns))
    table.style = "Table Grid"
    header = table.rows[0]
    _repeat_as_header(header)
    for cell, heading in zip(header.cells, table_part.columns, strict=True):
        cell.paragraphs[0].add_run(heading).bold = True
    for row in table_part.rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = row.label, row.handler, str(row.target_days)
    document.add_paragraph()  # space after the table (and Word would merge it with a table straight after)


def _repeat_as_header(row) -> None:
    """Mark the row as the table's header: it repeats on each page and screen readers announce it."""
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)


def _set_language(document) -> None:
    """British English for the spelling checker and screen readers (the default template says en-US)."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    language = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}") if defaults is not None else None
    if language is not None:
        language.set(qn("w:val"), LANGUAGE)


def _set_properties(document, policy: PolicyDocument) -> None:
    published = policy.published_at.astimezone(UTC).replace(tzinfo=None)  # python-docx writes it as UTC (Z)
    properties = document.core_properties
    properties.title = policy.title
    properties.subject = "Complaints policy"
    properties.author = properties.last_modified_by = policy.centre_name
    properties.keywords = "complaints policy"
    properties.comments = (f"Version {policy.version_number}, published {long_date(policy.published_on)}; "
                           f"review due by {long_date(policy.review_due)}.")
    properties.language = LANGUAGE
    properties.revision = policy.version_number
    properties.created = properties.modified = published
