"""Fixtures for the complaints policy tests: signed-in browsers and the centre's draft."""
from __future__ import annotations

import pytest

from tenants.policy import services
from tests.conftest import Auth, quality_contact_of

HX = {"HX-Request": "true"}


def signed_in(app, user):
    """A fresh browser (test client) signed in as `user`."""
    client = app.test_client()
    response = Auth(client).sign_in(user)
    assert response.status_code == 303, response.data
    return client


@pytest.fixture
def qc(centre):
    return quality_contact_of(centre)


@pytest.fixture
def qc_client(app, qc):
    return signed_in(app, qc)


@pytest.fixture
def member_client(app, centre, make_staff):
    """An ordinary member of the centre's staff (not the Quality contact)."""
    return signed_in(app, make_staff(centre))


@pytest.fixture
def draft(centre):
    return services.draft_of(centre)


def url(centre, path: str = "") -> str:
    return f"/c/{centre.slug}/policy{path}"
