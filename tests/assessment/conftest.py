"""Fixtures for the awarding body's assessment: staff with the assessment role, submissions in each state."""
from __future__ import annotations

import pytest

from tests.assessment import factory
from tests.conftest import Auth


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def make_submission(app):
    return factory.make_submission


@pytest.fixture
def checker(make_admin):
    """Quality check and allocation."""
    return make_admin("assessment", email="checker@awarding-body.example")


@pytest.fixture
def assessor(make_admin):
    return make_admin("assessment", email="assessor@awarding-body.example")


@pytest.fixture
def lead(make_admin):
    """A lead assessor: the appointed role only (samples, confirms and releases; never marks)."""
    return make_admin("lead_assessor", email="lead@awarding-body.example")


@pytest.fixture
def signed_in(app):
    def sign_in(user):
        client = app.test_client()
        assert Auth(client).sign_in(user).status_code == 303
        return client

    return sign_in
