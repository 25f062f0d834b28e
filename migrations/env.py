"""Alembic environment for Flask-Migrate: the app's engine and metadata, batch mode for SQLite."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, pool

from portal.tenancy import for_all_centres

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
# Migrations run as the tables' owner (MIGRATION_DATABASE_URL); the portal itself connects as a role that owns
# nothing (DATABASE_URL), so row-level security holds it (docs/row-level-security.md). Unset: the app's URL.
MIGRATION_URL = current_app.config.get("MIGRATION_DATABASE_URL")
config.set_main_option("sqlalchemy.url", (MIGRATION_URL or db.engine.url.render_as_string(hide_password=False))
                       .replace("%", "%%"))


def include_object(obj, name, type_, reflected, compare_to):
    """Ignore tables that are not ours (none today; kept so autogenerate stays quiet about extras)."""
    return True


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=db.metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    engine = create_engine(MIGRATION_URL, poolclass=pool.NullPool) if MIGRATION_URL else db.engine
    # Migrations are the system's work across all centres, and the owner is held to row-level security too
    # (FORCE): each transaction says portal.all_centres=on (portal.tenancy).
    for_all_centres()
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, include_object=include_object,
                          **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
