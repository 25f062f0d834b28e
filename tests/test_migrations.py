"""The same Alembic migrations build an empty SQLite and an empty PostgreSQL database, with no drift."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from tests import services


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = services.create_postgres_database()
    yield url
    services.drop_postgres_database(url)


def _drift(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_migrations_upgrade_from_empty_with_no_drift(empty_database):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database,
                     REQUIRE_ROW_LEVEL_SECURITY=False)  # migrations, as the owner
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        assert _drift(app) == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _drift(app) == []
        db.engine.dispose()
