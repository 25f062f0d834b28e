"""Fixtures for the submissions area: a centre approved for two units, a learner, a signed-in member, documents."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from portal.catalogue.models import CentreUnit, LimitRule, Pathway, Unit
from portal.extensions import db
from tenants.learners.models import Learner
from tests.conftest import Auth, quality_contact_of
from tests.documents.builders import docx_bytes, p, paragraphs, r

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
LEGACY_DOC = OLE2 + bytes(2048) + "WordDocument".encode("utf-16-le") + bytes(1000)
ENCRYPTED_DOCX = OLE2 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le") + bytes(500)
COLOURS = {"blue": "0000FF", "green": "00B050", "red": "FF0000"}


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


def words_docx(n: int, colour: str | None = None, black: int = 0) -> bytes:
    """A .docx of `black` black words then `n` words (in `colour` if given), ten words to a paragraph."""
    rpr = f'<w:color w:val="{COLOURS[colour]}"/>' if colour else ""
    body = paragraphs(*(" ".join(["old"] * min(10, black - i)) for i in range(0, black, 10)))
    body += "".join(p(r(" ".join(["word"] * min(10, n - i)), rpr)) for i in range(0, n, 10))
    return docx_bytes(body)


def result_sheet(name: str = "Sam Smith", enr: str = "ABC123") -> bytes:
    return docx_bytes(paragraphs("ILMA result sheet", f"Learner name: {name}", f"Enrolment number: {enr}"))


def upload(file: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(file), name


@dataclass
class Setting:
    centre: object
    unit: Unit
    long_unit: Unit
    learner: Learner
    client: object
    member: object

    def post(self, *, words: int = 100, assessment: bytes | None = None, name: str | None = None,
             sheet: bytes | None = None, authenticity: bool = True, htmx: bool = False, number: int = 1,
             unit: Unit | None = None, learner: Learner | None = None, **extra):
        """POST an upload; every file valid unless replaced."""
        learner = learner or self.learner
        stem = f"{learner.first_name[0]}.{learner.last_name}-{learner.enrolment_number}({number})"
        data = {"learner": str(learner.id), "unit": str((unit or self.unit).id),
                "assessment": upload(assessment if assessment is not None else words_docx(words),
                                     name or f"{stem}.docx"),
                "result_sheet": upload(sheet if sheet is not None else result_sheet(learner.full_name,
                                                                                    learner.enrolment_number),
                                       "result sheet.docx")}
        if authenticity:
            data["authenticity"] = upload(docx_bytes(p("I confirm this is my own work. Signed")), "authenticity.docx")
        data.update(extra)
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(self.url("upload_page"), data=data, content_type="multipart/form-data",
                                headers=headers)

    def url(self, endpoint: str, **values) -> str:
        from flask import current_app

        return current_app.url_map.bind("localhost").build(f"centre.submissions.{endpoint}",
                                                           {"slug": self.centre.slug, **values})


def make_unit(code: str, rule: LimitRule = LimitRule.WORDS_5000) -> Unit:
    unit = Unit(code=code, title=f"Unit {code}", pathway=Pathway.LEADERSHIP_MANAGEMENT, level=5, limit_rule=rule)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_learner(centre, first: str = "Sam", last: str = "Smith", enr: str = "ABC123") -> Learner:
    learner = Learner(centre_id=centre.id, first_name=first, last_name=last, enrolment_number=enr)
    db.session.add(learner)
    db.session.commit()
    return learner


@pytest.fixture
def setting(app, centre, client) -> Setting:
    unit, long_unit = make_unit("500-501"), make_unit("8588-500", LimitRule.WORDS_8000)
    db.session.add_all([CentreUnit(centre_id=centre.id, unit_id=unit.id),
                        CentreUnit(centre_id=centre.id, unit_id=long_unit.id)])
    learner = make_learner(centre)
    member = quality_contact_of(centre)
    assert Auth(client).sign_in(member).status_code == 303
    return Setting(centre, unit, long_unit, learner, client, member)
