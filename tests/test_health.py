"""/healthz: database and Redis status as JSON, 200 when all is well and 503 when something is down."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.config import TestConfig
from tests import services

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


def test_healthy_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not configured (jobs run inline)"}


@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": services.REDIS_URL}], ids=["real-redis"])
def test_healthy_with_redis(client, app_overrides):
    services.redis_or_fail()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.parametrize("app_overrides", [{"REDIS_URL": CLOSED_PORT_REDIS}], ids=["closed-port"])
def test_redis_down_is_503(client, app_overrides):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["redis"].startswith("error: ")
    assert "127.0.0.1" not in body["redis"]  # the kind of failure, not the address or a traceback


@pytest.fixture(params=["postgres-closed-port", "sqlite-unopenable"])
def broken_database_url(request, tmp_path) -> str:
    if request.param == "postgres-closed-port":
        return "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    return f"sqlite:///{tmp_path}"  # a directory, not a database file


def test_database_down_is_503(broken_database_url):
    # Made here rather than by the `app` fixture, whose clean-up needs a working database.
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=broken_database_url,
                     SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}}
                     if broken_database_url.startswith("postgresql") else {})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "error: OperationalError"
    assert body["redis"].startswith("not configured")
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()

