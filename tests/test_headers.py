"""Issue 10 §4: no-store on signed-in and private-link pages, HSTS in production, Permissions-Policy."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.auth.services import issue_password_link
from portal.config import Config
from portal.db import commit
from tests.complaints.conftest import COMPLAINT_FORM, publish
from tests.conftest import Auth, quality_contact_of


@pytest.fixture
def qc(centre):
    return quality_contact_of(centre)


def test_every_signed_in_page_is_no_store(app, client, centre, qc, make_admin):
    Auth(client).sign_in(qc)
    for path in (f"/c/{centre.slug}/staff/", f"/c/{centre.slug}/staff/accounts", f"/c/{centre.slug}/cases/",
                 f"/c/{centre.slug}/learners/", "/"):  # the public home too, while signed in: it shows the name
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    admin = app.test_client()
    Auth(admin).sign_in(make_admin())
    assert admin.get("/admin/").headers["Cache-Control"] == "no-store"
    static = client.get("/static/portal.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_a_public_page_for_nobody_signed_in_may_be_cached(client, centre):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_set_password_and_tracking_pages_are_no_store(app, client, centre, qc, mailbox):
    token = issue_password_link(qc, reason="Testing.")
    commit()
    for response in (client.get(f"/set-password/{token}"),
                     client.post(f"/set-password/{token}", data={"password": "short", "confirm": "short"})):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"

    publish(centre)
    received = client.post(f"/c/{centre.slug}/complaints/new", data=COMPLAINT_FORM)
    assert received.status_code == 200 and received.headers["Cache-Control"] == "no-store"
    assert received.headers["Referrer-Policy"] == "no-referrer"


def test_the_private_link_is_shown_once_and_kept_nowhere_in_the_session(app, client, centre, make_centre):
    publish(centre)
    other = make_centre("Southside Skills")
    publish(other)

    received = client.post(f"/c/{centre.slug}/complaints/new", data=COMPLAINT_FORM)

    assert "/complaints/track/" in received.get_data(as_text=True)
    with client.session_transaction() as session:
        assert set(session) <= {"csrf_token"}  # the CSRF secret only: no receipt, no tracking token
    for page in (client.get(f"/c/{centre.slug}/complaints/received", follow_redirects=True),
                 client.get(f"/c/{other.slug}/complaints/received", follow_redirects=True)):
        assert "/complaints/track/" not in page.get_data(as_text=True)
        assert f"C-{centre.centre_number}-" not in page.get_data(as_text=True)


def test_permissions_policy_on_every_answer(client, centre):
    for path in ("/", "/sign-in", "/no-such-page", f"/c/{centre.slug}/complaints/"):
        policy = client.get(path).headers["Permissions-Policy"]
        assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy


def test_strict_transport_security_in_production_only(app, client, tmp_path):
    assert "Strict-Transport-Security" not in client.get("/").headers  # tests and development: plain http
    production = create_app(Config, SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                            UPLOAD_DIR=str(tmp_path))
    response = production.test_client().get("/sign-in", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
