"""Issue 10 §3: input that must never be a 500 — NUL and control characters in any field, ids and page numbers
beyond the database's integers, bidi controls in names, and the 500 page itself. Runs on SQLite and, with
TEST_DATABASE=postgres, on PostgreSQL (which refuses NUL in text and ids beyond 2^31 with an error).
"""
from __future__ import annotations

import logging
import re

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from portal.auth.models import User
from portal.extensions import db
from portal.forms import CONTROLS_MESSAGE, clean_filename, executable_extension
from tenants.complaints.models import Complaint
from tenants.learners.models import Learner
from tenants.models import Centre
from tests.complaints.conftest import COMPLAINT_FORM, publish
from tests.complaints_ab.conftest import DIRECT_FORM
from tests.conftest import Auth, quality_contact_of
from tests.test_centres import APPLICATION

NUL = "\x00"


def all_form_classes() -> list[type[FlaskForm]]:
    found, todo = [], list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted({c for c in found if c.__module__.split(".")[0] in ("portal", "tenants")},
                  key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_every_text_field_of_every_form_refuses_control_characters_with_a_message(app):
    checked = 0
    for form_class in all_form_classes():
        with app.test_request_context(method="POST"):
            names = [f.name for f in form_class(formdata=None) if isinstance(f, StringField)
                     and f.type not in ("CSRFTokenField",)]
            form = form_class(formdata=MultiDict({name: f"a{NUL}b\x1b[31m\u202e" for name in names}))
            for field in form:
                if field.name in names:
                    field.validate(form)
                    assert CONTROLS_MESSAGE in field.errors, f"{form_class.__qualname__}.{field.name}: {field.errors}"
                    assert field.data == "ab[31m", f"{form_class.__qualname__}.{field.name}: {field.data!r}"
                    checked += 1
    assert checked >= 76  # every form of the portal (76 text fields today), not a handful


@pytest.fixture
def policy_centre(make_centre):
    centre = make_centre("Northgate Training")
    publish(centre)
    return centre


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


ANONYMOUS_FORMS = {
    # name: (url, form data, a text field, what must not have been saved)
    "centre-application": ("/apply", APPLICATION, "name", Centre),
    "complaint": ("/c/{slug}/complaints/new", COMPLAINT_FORM, "summary", Complaint),
    "malpractice": ("/c/{slug}/complaints/malpractice",
                    {"name": "Sam Smith", "email": "sam@example.org", "summary": "Answers shared", "hp_contact": ""},
                    "name", Complaint),
    "direct-complaint": ("/complaints/direct", DIRECT_FORM, "outcome_wanted", Complaint),
    "resend-link": ("/c/{slug}/complaints/resend-link", {"reference": "C-1", "email": "sam@example.org"},
                    "reference", None),
    "sign-in": ("/sign-in", {"email": "sam@example.org", "password": "a long password"}, "password", None),
}


@pytest.mark.parametrize("form", list(ANONYMOUS_FORMS))
def test_a_nul_byte_in_an_anonymous_form_is_refused_with_a_message(client, policy_centre, form):
    url, data, field, model = ANONYMOUS_FORMS[form]
    before = count(model) if model else 0

    response = client.post(url.format(slug=policy_centre.slug), data={**data, field: f"{data[field]}{NUL}x"})

    assert response.status_code == 422
    assert CONTROLS_MESSAGE in response.get_data(as_text=True)
    assert NUL not in response.get_data(as_text=True)
    if model:
        assert count(model) == before


@pytest.mark.parametrize(("path", "data", "field", "model"), [
    ("/c/{slug}/staff/accounts/new", {"name": "Priya Shah", "email": "priya@example.org", "job_title": "Tutor"},
     "job_title", User),
    ("/c/{slug}/learners/new", {"first_name": "Nina", "last_name": "Newlearner", "enrolment_number": "NEW001"},
     "last_name", Learner),
], ids=["staff-request", "new-learner"])
def test_a_nul_byte_in_a_signed_in_form_is_refused_with_a_message(app, client, policy_centre, path, data, field, model):
    Auth(client).sign_in(quality_contact_of(policy_centre))
    before = count(model)

    response = client.post(path.format(slug=policy_centre.slug), data={**data, field: f"{NUL}{data[field]}"})

    assert response.status_code == 422
    assert CONTROLS_MESSAGE in response.get_data(as_text=True)
    assert count(model) == before
    again = client.post(path.format(slug=policy_centre.slug), data=data)  # what was shown again is clean
    assert again.status_code == 303 and count(model) == before + 1


def test_a_right_to_left_override_in_a_name_is_refused_at_the_form(app, client, policy_centre):
    Auth(client).sign_in(quality_contact_of(policy_centre))
    response = client.post(f"/c/{policy_centre.slug}/staff/accounts/new",
                           data={"name": "Invoice\u202efdp.exe", "email": "priya@example.org"})
    assert response.status_code == 422
    assert CONTROLS_MESSAGE in response.get_data(as_text=True)
    assert "\u202e" not in response.get_data(as_text=True)


def test_a_bidi_control_stored_before_is_not_shown_to_others(app, client, policy_centre, make_staff):
    make_staff(policy_centre, name="Eve \u202egnp.exe\u202c Smith", status="pending")
    Auth(client).sign_in(quality_contact_of(policy_centre))
    page = client.get(f"/c/{policy_centre.slug}/staff/accounts").get_data(as_text=True)
    assert "Eve gnp.exe Smith" in page
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", page)


# --- numbers beyond the database's integers --------------------------------------------------------------

@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_an_id_beyond_the_databases_integers_is_404(app, client, policy_centre, make_admin, number):
    Auth(client).sign_in(quality_contact_of(policy_centre))
    assert client.get(f"/c/{policy_centre.slug}/cases/{number}").status_code == 404
    assert client.get(f"/c/{policy_centre.slug}/learners/{number}/edit").status_code == 404
    assert client.get(f"/c/{policy_centre.slug}/submissions/{number}").status_code == 404
    assert client.get(f"/c/{policy_centre.slug}/cases/{2**31 - 1}").status_code == 404  # the largest: looked up
    admin = app.test_client()
    Auth(admin).sign_in(make_admin())
    assert admin.get(f"/admin/centres/{number}").status_code == 404
    assert admin.get(f"/admin/outbox/{number}").status_code == 404


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_a_page_number_beyond_any_list_is_404(app, client, policy_centre, make_admin, number):
    Auth(client).sign_in(quality_contact_of(policy_centre))
    for path in ("cases/", "learners/", "submissions/"):
        assert client.get(f"/c/{policy_centre.slug}/{path}?page={number}").status_code == 404, path
    assert client.get(f"/c/{policy_centre.slug}/learners/?page=-5").status_code == 200
    assert client.get(f"/c/{policy_centre.slug}/submissions/new?learner={number}&unit={number}").status_code == 200
    admin = app.test_client()
    Auth(admin).sign_in(make_admin())
    assert admin.get(f"/admin/complaints/?page={number}").status_code == 404
    assert admin.get(f"/admin/assessment/?page={number}").status_code == 404


# --- file names --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "stored"), [
    ("C:\\Users\\sam\\S.Smith-ABC123(1).docx", "S.Smith-ABC123(1).docx"),
    ("../../etc/S.Smith-ABC123(1).docx", "S.Smith-ABC123(1).docx"),
    ("S.Smith\x00-ABC123(1).docx", "S.Smith-ABC123(1).docx"),
    ("report\u202excod.pdf", "reportxcod.pdf"),
    ("Cafe\u0301.docx", "Café.docx"),
    ("..hidden.docx", "hidden.docx"),
    ("a" * 300 + ".docx", "a" * 195 + ".docx"),
])
def test_file_names_are_normalised_before_anything_is_stored(given, stored):
    assert clean_filename(given) == stored


@pytest.mark.parametrize(("name", "extension"), [
    ("notes.exe", ".exe"), ("notes.EXE.pdf", ".exe"), ("run.bat", ".bat"), ("x.js", ".js"),
    ("S.Smith-ABC123(1).docx", None), ("photo.jpeg", None), ("J.Com-ENR1(1).pdf", None),
])
def test_program_extensions_are_recognised(name, extension):
    assert executable_extension(name) == extension


# --- the 500 page ------------------------------------------------------------------------------------------

@pytest.fixture
def failing_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/__boom")
    def boom():
        raise RuntimeError("a bug")

    return app


def test_a_server_error_uses_the_portal_layout_with_a_reference(failing_app, caplog):
    client = failing_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/__boom", headers={"Referer": "http://localhost/complaints/"})

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in page and 'class="site-header"' in page  # the layout
    reference = re.search(r'<strong class="reference">(E-[0-9A-F]{8})</strong>', page).group(1)
    assert 'href="http://localhost/complaints/"' in page and 'href="/"' in page  # a way back
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)
    assert response.headers["Cache-Control"] == "no-store"
