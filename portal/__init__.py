"""The Centre Portal application factory."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from portal.config import INSTANCE, Config, config_for_environment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI. Nothing connects at import time."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=str(INSTANCE))
    config_class = config or config_for_environment()
    app.config.from_object(config_class)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        from portal.config import ConfigError

        raise ConfigError("SECRET_KEY must be set (PORTAL_ENV=development gives a throwaway one).")
    if "JOBS_INLINE" not in overrides:
        app.config["JOBS_INLINE"] = not app.config.get("REDIS_URL")
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    _ensure_instance_dirs(app)
    _init_extensions(app)
    from portal.web import bound_route_numbers

    bound_route_numbers(app)  # before the routes: ids in URLs stop at the database's integer range
    _register_blueprints(app)
    _register_models()
    _register_jobs()
    from portal import auth, cli, web

    auth.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    logging.basicConfig(level=logging.INFO)
    return app


def _ensure_instance_dirs(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)


def _init_extensions(app: Flask) -> None:
    from portal.extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    from portal.db import close_session_even_if_the_database_went_away

    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask runs teardowns in reverse).
    app.teardown_appcontext(close_session_even_if_the_database_went_away)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    if app.config.get("REQUIRE_ROW_LEVEL_SECURITY", True):
        from portal.tenancy import refuse_roles_that_bypass_row_level_security

        with app.app_context():
            refuse_roles_that_bypass_row_level_security(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)


def _register_models() -> None:
    """Import every model module so metadata (and Alembic autogenerate) sees all tables."""
    import portal.admin.eqa_models  # noqa: F401
    import portal.audit  # noqa: F401
    import portal.auth.models  # noqa: F401
    import portal.catalogue.models  # noqa: F401
    import portal.counters  # noqa: F401
    import portal.fees  # noqa: F401
    import portal.invoicing.models  # noqa: F401
    import portal.mail  # noqa: F401
    import portal.visits  # noqa: F401
    import tenants.complaints.models  # noqa: F401
    import tenants.learners.models  # noqa: F401
    import tenants.models  # noqa: F401
    import tenants.policy.models  # noqa: F401
    import tenants.submissions.models  # noqa: F401


def _register_jobs() -> None:
    """Import every job family so services can ask for a job by name (`portal.background.after_commit`)."""
    import jobs.email  # noqa: F401
    import jobs.invoicing  # noqa: F401
    import jobs.reminders  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from portal.admin.assessment import bp as admin_assessment_bp
    from portal.admin.complaints import bp as admin_complaints_bp
    from portal.admin.eqa import bp as admin_eqa_bp
    from portal.admin.reports import bp as admin_reports_bp
    from portal.admin.routes import bp as admin_bp
    from portal.admin.units import bp as catalogue_bp
    from portal.auth.routes import bp as auth_bp
    from portal.complaints.routes import bp as complaints_bp
    from portal.invoicing.routes import admin_bp as admin_invoicing_bp
    from portal.invoicing.routes import centre_bp as centre_invoicing_bp
    from portal.public.routes import bp as public_bp
    from portal.tenancy import for_all_centres
    from tenants.routes import centre_blueprint

    def across_centres(blueprint):
        # The awarding body's pages, the public's and signing in serve no one centre: they declare that they work
        # across centres (row-level security, portal.tenancy). Centre pages (/c/<slug>) serve their centre only.
        if not getattr(blueprint, "for_all_centres", False):
            blueprint.url_value_preprocessor(lambda endpoint, values: for_all_centres())
            blueprint.for_all_centres = True
        return blueprint

    app.register_blueprint(across_centres(public_bp))
    app.register_blueprint(across_centres(auth_bp))
    app.register_blueprint(across_centres(admin_bp), url_prefix="/admin")
    # /admin/units, /admin/centres/<id>/units
    app.register_blueprint(across_centres(catalogue_bp), url_prefix="/admin")
    app.register_blueprint(across_centres(admin_complaints_bp), url_prefix="/admin/complaints")
    app.register_blueprint(across_centres(admin_assessment_bp), url_prefix="/admin/assessment")
    # /admin/reports, /admin/reports.csv
    app.register_blueprint(across_centres(admin_reports_bp), url_prefix="/admin")
    app.register_blueprint(across_centres(admin_eqa_bp), url_prefix="/admin")  # /admin/eqa
    # /admin/invoices, /admin/fees, /admin/jobs
    app.register_blueprint(across_centres(admin_invoicing_bp), url_prefix="/admin")
    app.register_blueprint(across_centres(complaints_bp), url_prefix="/complaints")
    # A centre's invoices are the awarding body's pages served inside the centre's workspace.
    app.register_blueprint(centre_blueprint((centre_invoicing_bp, "/invoices")), url_prefix="/c/<slug>")
    # The centre's overview shows its invoices too: the awarding body's layer adds them (tenants/overview.py).
    from portal.invoicing.payments import centre_invoice_section
    from tenants.overview import SOURCES

    app.extensions[SOURCES] = [centre_invoice_section]
    from portal.admin.dashboard import SOURCES as AWARDING_BODY_SOURCES
    from portal.invoicing.runs import failed_runs_section

    app.extensions[AWARDING_BODY_SOURCES] = [failed_runs_section]
