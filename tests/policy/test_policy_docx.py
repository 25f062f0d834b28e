"""SPEC §5.1: the current published policy as a Word (.docx) download that opens in Word and LibreOffice."""
from __future__ import annotations

import shutil
import subprocess
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from portal.db import commit
from tenants.policy import services
from tenants.policy.docx import DOCX_MIME_TYPE
from tests.services import unavailable

HEADINGS = ["About this policy", "How to make a complaint", "How we handle your complaint", "Confidentiality",
            "If you are still not satisfied", "Review of this policy"]


def download(client, centre):
    response = client.get(f"/c/{centre.slug}/complaints-policy.docx")
    assert response.status_code == 200
    return response


def open_docx(data: bytes):
    return Document(BytesIO(data))


def paragraphs(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


@pytest.fixture
def published(centre, qc):
    version = services.publish(centre, by=qc)
    commit()
    return version


def test_download_headers(centre, client, qc, draft, published):
    response = download(client, centre)
    assert response.headers["Content-Type"] == DOCX_MIME_TYPE
    assert DOCX_MIME_TYPE == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{centre.slug}-complaints-policy-v1.docx"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data[:2] == b"PK"  # a zip package
    services.update_section(centre, draft, "confidentiality", confidentiality="Changed.", by=qc)
    services.publish(centre, by=qc)
    commit()
    assert download(client, centre).headers["Content-Disposition"] == \
        f'attachment; filename="{centre.slug}-complaints-policy-v2.docx"'


def test_docx_has_the_title_headings_and_a_real_stage_table(centre, client, published):
    document = open_docx(download(client, centre).data)
    assert paragraphs(document, "Title") == ["Northgate Training complaints policy"]
    assert paragraphs(document, "Heading 1") == HEADINGS
    review_due = published.review_due
    body = "\n".join(p.text for p in document.paragraphs)
    assert f"Version 1, published {published.published_on.day} {published.published_on:%B %Y}" in body
    assert f"Review due by {review_due.day} {review_due:%B %Y}" in body
    assert "We will acknowledge your complaint within 2 working days" in body
    assert "Ofqual" in body and "keep your complaint confidential" in body

    [table] = document.tables
    assert table.style.name == "Table Grid"
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows == [["Stage", "Handled by", "Target (working days)"],
                    ["1. Investigation", "Complaints officer", "8"],
                    ["2. Review", "Team leader or manager", "2"],
                    ["3. Final review", "Head of centre or a director", "10"]]
    header = table.rows[0]._tr
    assert header.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page, read as the header
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)

    bullets = paragraphs(document, "List Bullet")
    assert "receiving the wrong product or service" in bullets
    assert any(b.startswith("Ofqual") for b in bullets)
    assert document.sections[0].footer.paragraphs[0].text.startswith("Northgate Training complaints policy, version 1")


def test_docx_properties_and_language(centre, client, published):
    document = open_docx(download(client, centre).data)
    properties = document.core_properties
    assert properties.title == "Northgate Training complaints policy"
    assert properties.author == "Northgate Training" and properties.last_modified_by == "Northgate Training"
    assert properties.revision == 1 and properties.language == "en-GB"
    assert properties.created == published.published_at.replace(microsecond=0)  # UTC
    lang = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "en-GB"


def test_docx_shows_the_published_version_not_the_draft(centre, client, qc, draft, published):
    services.update_section(centre, draft, "introduction", title="Unpublished title", introduction="Draft.", by=qc)
    commit()
    document = open_docx(download(client, centre).data)
    assert paragraphs(document, "Title") == ["Northgate Training complaints policy"]


def test_docx_keeps_line_breaks_and_awkward_characters(centre, client, qc, draft):
    services.update_section(centre, draft, "contact", by=qc,
                            contact_details="Email: a&b@example.org <Complaints>\nPhone: “0113” — café ✓")
    services.publish(centre, by=qc)
    commit()
    document = open_docx(download(client, centre).data)
    texts = [p.text for p in document.paragraphs]
    after_heading = texts[texts.index("How to make a complaint") + 1]
    assert after_heading == "Email: a&b@example.org <Complaints>\nPhone: “0113” — café ✓"  # one paragraph, a break


def test_docx_opens_in_libreoffice(centre, client, published, tmp_path):
    """LibreOffice converts the file to PDF without complaint, and the PDF holds the policy."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        unavailable("LibreOffice", "soffice not found (apt-get install libreoffice-writer)")
    source = tmp_path / "policy.docx"
    source.write_bytes(download(client, centre).data)
    profile = tmp_path / "profile"  # its own profile: never blocked by another LibreOffice running on the machine
    result = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                            capture_output=True, text=True, timeout=180, check=False)
    pdf = tmp_path / "policy.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr
    with pdf.open("rb") as handle:
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(handle).pages).split())
    assert "Northgate Training complaints" in text
    assert "How we handle your complaint" in text and "1. Investigation" in text and "Complaints officer" in text
