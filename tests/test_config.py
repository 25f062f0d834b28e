"""Configuration: read from the environment, safe defaults, and a refusal to run production without a secret.

`portal.config` reads the environment when it is imported, so each test loads a private copy of the module
under an environment it controls; the module the app imported is left alone.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import portal.config
from portal import create_app
from portal.config import Config, ConfigError, DevelopmentConfig, TestConfig

ROOT = Path(portal.config.__file__).resolve().parent.parent
SOURCE = Path(portal.config.__file__).read_text()
# Every variable the module reads, found in its source so a new setting is cleared too.
ENV_NAMES = sorted(set(re.findall(r'(?:environ\.get|_bool)\("([A-Z_]+)"', SOURCE)))
MB = 1024 * 1024
DEFAULT_DATABASE = f"sqlite:///{ROOT / 'instance' / 'portal.sqlite3'}"
DEFAULT_UPLOADS = str(ROOT / "instance" / "uploads")


@pytest.fixture
def load_config(monkeypatch):
    """`load_config(**env)`: a fresh copy of portal/config.py read with only `env` set."""

    def load(**env: str):
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("portal_config_under_test", portal.config.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def harmless(tmp_path):
    """Overrides that keep an app built from a real config away from the repository's instance folder."""
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "UPLOAD_DIR": str(tmp_path / "uploads")}


def test_the_module_reads_the_environment_we_clear():
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAX_UPLOAD_MB", "PORTAL_ENV"} <= set(ENV_NAMES)


# --- the secret key --------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["override-none", "override-empty", "environment-unset", "environment-empty",
                                 "subclass"])
def test_production_refuses_to_start_without_a_secret_key(load_config, harmless, how):
    if how.startswith("override"):
        config, overrides = Config, {"SECRET_KEY": None if how == "override-none" else ""}
    elif how.startswith("environment"):
        env = {} if how == "environment-unset" else {"SECRET_KEY": ""}
        config, overrides = load_config(**env).Config, {}
    else:
        config, overrides = type("NoSecret", (Config,), {"SECRET_KEY": None}), {}

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(config, **harmless, **overrides)


def test_validate_names_the_missing_secret(load_config):
    module = load_config()
    with pytest.raises(module.ConfigError, match="SECRET_KEY"):
        module.Config().validate()
    module.Config.SECRET_KEY = "set"
    module.Config().validate()  # no error once it is set


def test_production_starts_with_a_secret_key_from_the_environment(load_config, harmless):
    module = load_config(SECRET_KEY="from-the-environment")
    app = create_app(module.Config, **harmless)
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["ENV_NAME"] == "production"


def test_development_config_works_without_a_secret_key(load_config, harmless):
    module = load_config(PORTAL_ENV="development")
    assert module.config_for_environment() is module.DevelopmentConfig

    app = create_app(module.DevelopmentConfig, **harmless)

    assert app.config["SECRET_KEY"] == "dev-only-not-secret"
    assert app.config["SESSION_COOKIE_SECURE"] is False  # plain http on a laptop
    assert app.config["JOBS_INLINE"] is True
    assert app.config["MAIL_SERVER"] is None  # mail stays in the outbox


def test_create_app_without_a_class_follows_portal_env(monkeypatch, harmless):
    monkeypatch.setenv("PORTAL_ENV", "development")
    assert create_app(**harmless).config["ENV_NAME"] == "development"


@pytest.mark.parametrize(("portal_env", "expected"), [
    (None, Config), ("production", Config), ("development", DevelopmentConfig), ("test", TestConfig),
    ("staging", Config),
], ids=["unset", "production", "development", "test", "unknown-is-production"])
def test_config_for_environment(monkeypatch, portal_env, expected):
    if portal_env is None:
        monkeypatch.delenv("PORTAL_ENV", raising=False)
    else:
        monkeypatch.setenv("PORTAL_ENV", portal_env)
    assert portal.config.config_for_environment() is expected


# --- defaults --------------------------------------------------------------------------------------------

def test_defaults_without_any_environment(load_config):
    config = load_config().Config

    assert config.SQLALCHEMY_DATABASE_URI == DEFAULT_DATABASE
    assert config.UPLOAD_DIR == DEFAULT_UPLOADS
    assert config.MAX_CONTENT_LENGTH == 25 * MB
    assert config.REDIS_URL is None
    assert config.JOBS_INLINE is True
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert config.MAIL_SERVER is None
    assert (config.SESSION_COOKIE_SECURE, config.SESSION_COOKIE_HTTPONLY, config.SESSION_COOKIE_SAMESITE) == (
        True, True, "Lax")
    assert config.PASSWORD_HASH_PROFILE == "production"
    assert config.SECRET_KEY is None


def test_environment_overrides_the_defaults(load_config):
    config = load_config(DATABASE_URL="postgresql+psycopg://db/portal", REDIS_URL="redis://cache:6379/0",
                         MAX_UPLOAD_MB="10", UPLOAD_DIR="/srv/uploads", MAIL_SERVER="smtp.example.org",
                         MAIL_PORT="587").Config

    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/portal"
    assert config.REDIS_URL == "redis://cache:6379/0"
    assert config.JOBS_INLINE is False
    assert config.RATELIMIT_STORAGE_URI == "redis://cache:6379/0"  # counts shared by every worker process
    assert config.MAX_CONTENT_LENGTH == 10 * MB
    assert config.UPLOAD_DIR == "/srv/uploads"
    assert (config.MAIL_SERVER, config.MAIL_PORT) == ("smtp.example.org", 587)


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("Yes", True), (" on ", True), ("0", False), ("false", False), ("no", False),
    ("", False),
])
def test_boolean_settings(load_config, value, expected):
    assert load_config(SESSION_COOKIE_SECURE=value).Config.SESSION_COOKIE_SECURE is expected


@pytest.mark.parametrize(("overrides", "inline"), [
    ({}, True),
    ({"REDIS_URL": "redis://127.0.0.1:6379/15"}, False),
    ({"REDIS_URL": "redis://127.0.0.1:6379/15", "JOBS_INLINE": True}, True),
], ids=["no-redis", "redis", "redis-but-inline-asked"])
def test_jobs_run_inline_only_without_redis(load_config, harmless, overrides, inline):
    app = create_app(load_config().Config, SECRET_KEY="x", **harmless, **overrides)
    assert app.config["JOBS_INLINE"] is inline


def test_app_defaults(load_config, tmp_path):
    app = create_app(load_config().Config, SECRET_KEY="x", UPLOAD_DIR=str(tmp_path / "uploads"))
    assert app.instance_path == str(ROOT / "instance")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == DEFAULT_DATABASE
    assert app.config["MAX_CONTENT_LENGTH"] == 25 * MB
    assert (tmp_path / "uploads").is_dir()


def test_test_config_is_cheap_and_isolated():
    assert TestConfig.PASSWORD_HASH_PROFILE == "test"
    assert TestConfig.REDIS_URL is None and TestConfig.JOBS_INLINE is True
    assert TestConfig.MAIL_SERVER is None
    assert TestConfig.WTF_CSRF_ENABLED is False
    assert getattr(Config, "WTF_CSRF_ENABLED", True) is True  # only the tests switch CSRF off
