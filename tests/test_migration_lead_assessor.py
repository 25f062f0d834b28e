"""Migration 0005 (lead assessor): the enum columns' CHECK constraints take the new values, on SQLite and PostgreSQL
(the drift test in test_migrations.py does not compare CHECK constraints, so this says it)."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from tests.test_migrations import empty_database  # noqa: F401 - the fixture (SQLite and PostgreSQL)


def _grant(role: str) -> None:
    with db.engine.begin() as connection:
        user_id = connection.execute(text(
            "INSERT INTO user_account (email, name, job_title, status, is_quality_contact, session_token, "
            "requested_at, decision_note) VALUES (:email, 'A', '', 'active', false, 'x', CURRENT_TIMESTAMP, '') "
            "RETURNING id"), {"email": f"{role}@example.org"}).scalar_one()
        connection.execute(text("INSERT INTO role_grant (user_id, role) VALUES (:id, :role)"),
                           {"id": user_id, "role": role})


def test_the_lead_assessor_role_is_allowed_after_the_upgrade_and_gone_after_the_downgrade(empty_database):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database,
                     REQUIRE_ROW_LEVEL_SECURITY=False)  # migrations, as the owner
    with app.app_context():
        upgrade(revision="0004_invoicing")
        with pytest.raises(IntegrityError):
            _grant("lead_assessor")
        upgrade()
        _grant("lead_assessor")
        with pytest.raises(IntegrityError):
            _grant("bogus")
        downgrade(revision="0004_invoicing")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM role_grant")).scalar_one() == 0
        db.engine.dispose()
