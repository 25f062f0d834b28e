"""Issue 10 §3: hostile upload file names (NUL, bidi controls, program extensions) — never a 500, never stored raw.
On PostgreSQL a NUL in a file name gave a 500 and left files on disk."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from portal.extensions import db
from tenants.submissions.models import FileKind, Submission, SubmissionFile
from tests.documents.builders import docx_bytes, p
from tests.submissions.conftest import upload


def stored_files(app) -> list[Path]:
    return [path for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()]


def test_a_nul_in_a_file_name_is_taken_out_before_anything_is_stored(setting, app):
    response = setting.post(name="S.Smith\x00-ABC123(1).docx",
                            appendices=[upload(docx_bytes(p("Appendix")), "append\x00ix\u202e.docx")])

    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    names = db.session.execute(select(SubmissionFile.original_name)).scalars().all()
    assert names and not any("\x00" in name or "\u202e" in name for name in names)
    appendix = db.session.execute(select(SubmissionFile).where(SubmissionFile.kind == FileKind.APPENDIX)).scalar_one()
    assert appendix.original_name == "appendix.docx"


def test_a_program_extension_is_refused_with_a_message(setting, app):
    response = setting.post(appendices=[upload(docx_bytes(p("Appendix")), "notes.exe.docx")])

    assert response.status_code == 422
    assert ("Files with the extension .exe cannot be uploaded: upload Word, PDF or image files only."
            in response.get_data(as_text=True))
    assert db.session.execute(select(Submission)).first() is None
    assert stored_files(app) == []
