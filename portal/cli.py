"""Flask commands: `flask --app wsgi demo` seeds a demonstration workspace."""
from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from portal.catalogue.seed import catalogue_cli
from portal.documents.cli import wordcount
from portal.extensions import db
from portal.invoicing.cli import invoices_cli
from portal.tenancy import for_all_centres

DEMO_PASSWORD = "demo-password-2026"


def init_app(app: Flask) -> None:
    for command in (demo, wordcount, complaints_cli, invoices_cli, catalogue_cli, uploads_cli, seed_scale,
                    backup_command, restore_command):
        app.cli.add_command(as_system_work(command))
    # `flask shell` is an operator's: it works across centres too, said here rather than left to chance.
    app.shell_context_processor(lambda: for_all_centres() or {})


def as_system_work(command: click.Command) -> click.Command:
    """Every portal command (and each command of a group) is the system's work across all centres: it declares
    so before it runs (row-level security, portal.tenancy.for_all_centres)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            as_system_work(sub)
    elif command.callback is not None and not getattr(command.callback, "for_all_centres", False):
        callback = command.callback

        @functools.wraps(callback)
        def run(*args, **kwargs):
            for_all_centres()
            return callback(*args, **kwargs)

        run.for_all_centres = True
        command.callback = run
    return command


@click.command("demo")
def demo() -> None:
    """Seed the demo (once) and print the sign-ins."""
    from portal.auth.models import Role, User
    from portal.demo import seed_demo

    if db.session.execute(select(User.id).limit(1)).first() is None:
        seed_demo(DEMO_PASSWORD)
        click.echo("Seeded the demo.")
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    for user in db.session.execute(select(User).where(User.password_hash.is_not(None)).order_by(User.id)).scalars():
        if user.centre:
            where = user.centre.name
        elif user.roles == frozenset(Role):
            where = "awarding body, every role"
        else:
            where = "awarding body: " + ", ".join(sorted(role.label.lower() for role in user.roles))
        role = " — Quality contact" if user.is_quality_contact else ""
        click.echo(f"  {user.email:<34} {where}{role}")
        if user.two_factor_enabled:
            click.echo(f"  {'':<34} two-factor sign-in: add the key {user.two_factor_secret} to an authenticator "
                       f"app, or print a code with\n  {'':<34} .venv/bin/python -c \"import pyotp; "
                       f"print(pyotp.TOTP('{user.two_factor_secret}').now())\"")


@click.command("seed-scale")
@click.option("--centres", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--submissions", type=click.IntRange(min=0), default=100_000, show_default=True)
@click.option("--complaints", type=click.IntRange(min=0), default=20_000, show_default=True)
@click.option("--staff", type=click.IntRange(min=1), default=2_000, show_default=True,
              help="Centre staff accounts, the centres' Quality contacts included.")
@click.option("--seed", type=int, default=11, show_default=True, help="The random seed (same seed, same data).")
def seed_scale(centres: int, submissions: int, complaints: int, staff: int, seed: int) -> None:
    """Seed an EMPTY database at benchmark scale (issue 11): bulk inserts shaped like the services' rows."""
    import time

    from portal.auth.models import User
    from portal.scale import ADMIN_EMAIL, SCALE_PASSWORD, Sizes
    from portal.scale import seed_scale as seed_it

    if db.session.execute(select(User.id).limit(1)).first() is not None:
        raise click.ClickException("the database is not empty: seed-scale seeds a fresh database only")
    started = time.perf_counter()
    seeded = seed_it(Sizes(centres=centres, submissions=submissions, complaints=complaints, staff=staff), seed=seed)
    click.echo(f"Seeded the scale database in {time.perf_counter() - started:.1f} s:")
    for line in seeded.lines():
        click.echo(line)
    click.echo(f"Sign in as {ADMIN_EMAIL} (every awarding-body role), password {SCALE_PASSWORD}")


@click.group("complaints")
def complaints_cli() -> None:
    """Complaint records."""


@complaints_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be removed, remove nothing.")
def purge(dry_run: bool) -> None:
    """Remove cases closed longer ago than COMPLAINT_RETENTION_YEARS."""
    from portal.db import commit, utcnow
    from tenants.complaints.retention import expired_cases, purge_expired

    now = utcnow()
    if dry_run:
        references = [reference for _, reference, _ in expired_cases(now)]
    else:
        references = purge_expired(now)
        commit()
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {len(references)} case(s) past the retention period")
    for reference in references:
        click.echo(f"  {reference}")


@click.group("uploads")
def uploads_cli() -> None:
    """Uploaded files."""


@uploads_cli.command("check")
@click.option("--dry-run", is_flag=True, help="List orphan files, remove nothing.")
@click.option("--grace-minutes", type=click.IntRange(min=0), default=60, show_default=True,
              help="Leave files younger than this: an upload in progress has not committed its rows yet.")
def uploads_check(dry_run: bool, grace_minutes: int) -> None:
    """Find stored files no submission references (left by a killed process) and remove them; list missing files.

    Exits 1 when a submission references a file that is not on disk (restore it from backup).
    """
    import time

    from flask import current_app

    from tenants.submissions import storage
    from tenants.submissions.upload import check_upload_dir

    upload_dir = current_app.config["UPLOAD_DIR"]
    found = check_upload_dir(upload_dir, now=time.time(), grace_seconds=grace_minutes * 60)
    if not dry_run:
        storage.remove(upload_dir, found.orphans)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {len(found.orphans)} orphan file(s) in {upload_dir}")
    for name in found.orphans:
        click.echo(f"  {name}")
    click.echo(f"{len(found.missing)} file(s) referenced by a submission but missing")
    for name in found.missing:
        click.echo(f"  {name}")
    if found.missing:
        raise SystemExit(1)


@click.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
@click.option("--logical", is_flag=True, help="Write the portable logical dump even where pg_dump is installed.")
def backup_command(destination: Path, logical: bool) -> None:
    """Back up the database and the uploads folder to one archive (DESTINATION: a file, or a folder for a dated
    file). The portal may keep running: the database copy is a consistent snapshot."""
    from flask import current_app

    from portal import backup

    if destination.is_dir():
        destination = destination / f"portal-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar.gz"
    try:
        manifest = backup.backup(destination, engine=db.engine, upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                                 method=backup.LOGICAL if logical else None)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(manifest["row_counts"].values())
    click.echo(f"Backed up {manifest['database']['dialect']} ({manifest['database']['method']}, revision "
               f"{manifest['alembic_revision']}, {rows} rows) and {len(manifest['uploads'])} uploaded file(s) to "
               f"{destination}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database and uploads folder that are not empty.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup made by `flask backup` into this configuration's database and uploads folder.

    Refuses a target that is not empty (unless --force), a damaged archive (checksums) and a backup from a release
    whose migrations this one does not know. Stop the web and worker processes first."""
    from flask import current_app
    from flask_migrate import upgrade

    from portal import backup

    try:
        restored = backup.restore(source, engine=db.engine, upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                                  force=force, upgrade=lambda revision: upgrade(revision=revision))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    manifest = restored.manifest
    click.echo(f"Restored {sum(manifest['row_counts'].values())} rows (revision {manifest['alembic_revision']}) and "
               f"{len(manifest['uploads'])} uploaded file(s) from {source}, made {manifest['created_at']}.")
    if restored.migrated_from:
        click.echo(f"Migrated the database from {restored.migrated_from} to {backup.head_revision()}.")
