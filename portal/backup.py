"""Backing up and restoring the portal: the database and the uploads folder, in one archive with a manifest.

An archive is a gzipped tar file:

    manifest.json            what is in it: versions, the Alembic revision, row counts, every member's sha256
    database/portal.sqlite3  SQLite: a consistent copy made with SQLite's online backup API (the portal may run)
    database/portal.pgdump   PostgreSQL: `pg_dump --format=custom --no-owner` (a consistent snapshot; may run live)
    database/portal.jsonl    either, when `pg_dump` is not installed (or asked for): a portable logical dump,
                             one JSON line per row, table by table, written by this module
    uploads/<stored name>    every file in UPLOAD_DIR

Restoring refuses a database or uploads folder that is not empty (unless forced), checks every member's checksum
before it changes anything, and refuses a backup whose migration revision this release does not know; a backup
from an older release is restored, then migrated to this release's revision. Afterwards every table's row count
is compared with the manifest's.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import IO

from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, MetaData, String, Table, func, inspect, select, text
from sqlalchemy.engine import make_url

from portal.db import utcnow
from portal.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
CHUNK = 1024 * 1024
SQLITE, PG_DUMP, LOGICAL = "sqlite-backup-api", "pg_dump", "logical"
MEMBER = {SQLITE: "database/portal.sqlite3", PG_DUMP: "database/portal.pgdump", LOGICAL: "database/portal.jsonl"}


class BackupError(RuntimeError):
    """A backup or restore that cannot be done safely; the message says why and what to do."""


# --- facts about the database and the release ------------------------------------------------------------------

def head_revision() -> str:
    """The migration revision this release's code expects."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the portal's schema that exists in the database."""
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in db.metadata.sorted_tables if table.name in present}


def _server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return connection.execute(text("SELECT sqlite_version()")).scalar()
        return connection.execute(text("SHOW server_version")).scalar()


def _versions() -> dict[str, str]:
    packages = ("centre-portal", "flask", "sqlalchemy", "alembic", "psycopg")
    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), **found}


# --- helpers ---------------------------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(engine.url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _pg_env(engine: Engine) -> dict[str, str]:
    """libpq's environment for the engine's database: the password never appears on a command line. A lock held
    by a process still using the database (the portal was not stopped) fails the command instead of hanging."""
    url = make_url(engine.url)
    # portal.all_centres: a backup or a restore is the system's work across every centre, which the row-level
    # security policies (migration 0010_rls) let see every row; without it pg_dump would find rows hidden from it.
    env = {**os.environ, "PGDATABASE": url.database or "",
           "PGOPTIONS": "-c lock_timeout=60s -c portal.all_centres=on"}
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password)):
        if value is not None:
            env[variable] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed (exit status {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def choose_method(engine: Engine, requested: str | None = None) -> str:
    """SQLite: its backup API; PostgreSQL: pg_dump if installed; else (or if asked) the logical dump."""
    if requested == LOGICAL:
        return LOGICAL
    if engine.dialect.name == "sqlite":
        return SQLITE
    if engine.dialect.name == "postgresql":
        return PG_DUMP if shutil.which("pg_dump") and shutil.which("pg_restore") else LOGICAL
    return LOGICAL


# --- the logical dump ------------------------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, datetime | date):
        return {"t": type(value).__name__, "v": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"t": "bytes", "v": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Decimal):
        return {"t": "decimal", "v": str(value)}
    if isinstance(value, dict | list):
        return {"t": "json", "v": value}
    return value


def _typed(value):
    if not isinstance(value, dict):
        return value
    kind, raw = value["t"], value["v"]
    return {"datetime": datetime.fromisoformat, "date": date.fromisoformat, "decimal": Decimal,
            "bytes": base64.b64decode, "json": lambda v: v}[kind](raw)


def dump_logical(engine: Engine, out: IO[str]) -> None:
    """Every row of every table, parents before children: {"table": name} then one JSON list per row, in the
    table's column order. Read in one transaction (REPEATABLE READ on PostgreSQL): a consistent snapshot."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            present = set(inspect(connection).get_table_names())
            for table in [*db.metadata.sorted_tables, _alembic_version()]:
                if table.name not in present:
                    continue
                columns = [column.name for column in table.columns]
                out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
                order = [column for column in table.primary_key.columns] or list(table.columns)
                for row in connection.execute(select(table).order_by(*order)):
                    out.write(json.dumps([_plain(value) for value in row]) + "\n")


def _alembic_version() -> Table:
    return Table("alembic_version", MetaData(), Column("version_num", String(32), primary_key=True))


def load_logical(engine: Engine, source: IO[str]) -> None:
    """Insert a logical dump into a database whose schema is already at the dump's revision (and empty)."""
    tables = {table.name: table for table in [*db.metadata.sorted_tables, _alembic_version()]}
    with engine.begin() as connection:
        connection.execute(tables["alembic_version"].delete())
        table, columns, batch = None, [], []

        def flush():
            if batch:
                connection.execute(table.insert(), batch)
                batch.clear()

        for line in source:
            item = json.loads(line)
            if isinstance(item, dict):
                flush()
                table, columns = tables[item["table"]], item["columns"]
                continue
            batch.append({name: _typed(value) for name, value in zip(columns, item, strict=True)})
            if len(batch) >= 500:
                flush()
        flush()
        if engine.dialect.name == "postgresql":  # identity sequences continue after the restored ids
            for name, table in tables.items():
                if "id" in table.columns and table.columns["id"].primary_key:
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))


# --- backup ----------------------------------------------------------------------------------------------------

def _dump_database(engine: Engine, method: str, folder: Path) -> Path:
    target = folder / Path(MEMBER[method]).name
    if method == SQLITE:
        source = sqlite3.connect(_sqlite_path(engine))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # the online backup API: a consistent copy while the portal keeps writing
        finally:
            copy.close()
            source.close()
    elif method == PG_DUMP:
        # Grants are kept (an application role that does not own the tables needs them back); ownership goes to
        # whoever restores, as the migrations' owner role should.
        # --enable-row-security: dump through the policies (which portal.all_centres opens) rather than refuse, as
        # pg_dump does for tables whose policies apply to its role (the portal's own role, or the forced owner).
        _run(["pg_dump", "--format=custom", "--no-owner", "--enable-row-security", f"--file={target}"],
             _pg_env(engine))
    else:
        with open(target, "w", encoding="utf-8") as out:
            dump_logical(engine, out)
    return target


def _tool_version(method: str) -> str | None:
    if method != PG_DUMP:
        return None
    return subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=False).stdout.strip()


def backup(destination: Path, *, engine: Engine, upload_dir: Path, method: str | None = None) -> dict:
    """Write one archive of the database and the uploads folder to `destination`; returns its manifest.

    The archive appears only when complete (written beside it, then renamed)."""
    method = choose_method(engine, method)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as work:
        work = Path(work)
        revision = current_revision(engine)
        counts = row_counts(engine)
        dumped = _dump_database(engine, method, work)
        uploads = sorted(path for path in Path(upload_dir).iterdir() if path.is_file()) \
            if Path(upload_dir).is_dir() else []
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            "versions": _versions(),
            "database": {"dialect": engine.dialect.name, "server_version": _server_version(engine),
                         "method": method, "tool": _tool_version(method), "member": MEMBER[method],
                         "sha256": _sha256(dumped), "size": dumped.stat().st_size},
            "alembic_revision": revision,
            "row_counts": counts,
            "uploads": [{"name": path.name, "sha256": _sha256(path), "size": path.stat().st_size}
                        for path in uploads],
        }
        partial = destination.with_name(destination.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as archive:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime = len(data), int(utcnow().timestamp())
                archive.addfile(info, fileobj=_bytes(data))
                archive.add(dumped, arcname=MEMBER[method], recursive=False)
                for path in uploads:
                    archive.add(path, arcname=f"uploads/{path.name}", recursive=False)
            partial.replace(destination)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _bytes(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


# --- restore ---------------------------------------------------------------------------------------------------

@dataclass
class Restored:
    manifest: dict
    migrated_from: str | None  # the backup's revision, when it was older than this release's and was upgraded


def read_manifest(source: Path) -> dict:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.load(member)
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise BackupError(f"{source} is not a portal backup ({error}).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of format {manifest.get('format')!r}; this release reads {FORMAT}.")
    return manifest


def _expected_members(manifest: dict) -> dict[str, tuple[str, int]]:
    expected = {manifest["database"]["member"]: (manifest["database"]["sha256"], manifest["database"]["size"])}
    for upload in manifest["uploads"]:
        name = upload["name"]
        if Path(name).name != name or name.startswith("."):
            raise BackupError(f"The backup names an upload {name!r} that is not a plain file name: refused.")
        expected[f"uploads/{name}"] = (upload["sha256"], upload["size"])
    return expected


def verify(source: Path, manifest: dict) -> None:
    """Every member the manifest lists is in the archive with its size and sha256, and nothing else is."""
    expected = _expected_members(manifest)
    seen = set()
    with tarfile.open(source, "r:gz") as archive:
        for member in archive:
            if member.name == MANIFEST:
                continue
            if member.name not in expected or not member.isfile():
                raise BackupError(f"The backup holds {member.name!r}, which its manifest does not list: refused.")
            digest, size = hashlib.sha256(), 0
            stream = archive.extractfile(member)
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            if (digest.hexdigest(), size) != expected[member.name]:
                raise BackupError(f"{member.name} does not match its checksum in the manifest: the backup is damaged "
                                  "or was changed. Nothing was restored.")
            seen.add(member.name)
    if missing := sorted(expected.keys() - seen):
        raise BackupError(f"The backup lacks {', '.join(missing[:5])}: nothing was restored.")


def check_revision(manifest: dict) -> str | None:
    """Refuse a backup from a release this one does not know; returns the revision to migrate from, if older."""
    revision = manifest.get("alembic_revision")
    if revision not in known_revisions():
        raise BackupError(f"The backup's database is at migration revision {revision!r}, which this release does not "
                          f"know (it expects {head_revision()!r}): restore it with the release that made it.")
    return None if revision == head_revision() else revision


def emptiness(engine: Engine, upload_dir: Path) -> list[str]:
    """What is already in the target: tables with rows, files in the uploads folder."""
    found = [f"table {name} has {count} row(s)" for name, count in row_counts(engine).items() if count]
    if Path(upload_dir).is_dir():
        files = [path for path in Path(upload_dir).iterdir()]
        if files:
            found.append(f"{upload_dir} holds {len(files)} file(s)")
    return found


def restore(source: Path, *, engine: Engine, upload_dir: Path, force: bool = False, upgrade=None) -> Restored:
    """Restore the archive at `source` into the (empty, unless `force`) database and uploads folder.

    `upgrade(revision)` brings the schema to a revision (Flask-Migrate's `upgrade`); it is used to build the schema
    for a logical dump, and to migrate a backup from an older release to this one."""
    source = Path(source)
    manifest = read_manifest(source)
    database = manifest["database"]
    method = database["method"]
    if method != LOGICAL and database["dialect"] != engine.dialect.name:
        raise BackupError(f"This backup is a {database['dialect']} database ({method}); the target is "
                          f"{engine.dialect.name}. Restore it into {database['dialect']}.")
    older = check_revision(manifest)
    if method == PG_DUMP and not shutil.which("pg_restore"):
        raise BackupError("This backup was made with pg_dump: pg_restore is needed to restore it (install the "
                          "PostgreSQL client of the same major version).")
    present = emptiness(engine, upload_dir)
    if present and not force:
        raise BackupError("The target is not empty (" + "; ".join(present[:5]) + "). Restore into an empty database "
                          "and uploads folder, or add --force to replace what is there.")
    verify(source, manifest)
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as work:
        work = Path(work)
        with tarfile.open(source, "r:gz") as archive:
            dumped = work / "database"
            with archive.extractfile(database["member"]) as member, open(dumped, "wb") as out:
                shutil.copyfileobj(member, out, CHUNK)
            if _sha256(dumped) != database["sha256"]:
                raise BackupError("The database dump changed while it was read: nothing was restored.")
            _restore_database(engine, method, dumped, manifest, upgrade)
            _restore_uploads(archive, manifest, Path(upload_dir))
    if older is not None and upgrade is not None:
        upgrade(head_revision())
    counts = row_counts(engine)
    if older is None:
        differing = {name: (count, counts.get(name)) for name, count in manifest["row_counts"].items()
                     if counts.get(name) != count}
        if differing:
            raise BackupError(f"After the restore, row counts differ from the backup's: {differing}.")
    return Restored(manifest, older)


def _empty_schema(engine: Engine) -> None:
    """Drop every table (forced restores): the backup brings the schema back."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for name in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for name in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def _restore_database(engine: Engine, method: str, dumped: Path, manifest: dict, upgrade) -> None:
    db.session.remove()  # this process's own open transaction would hold locks the restore needs
    engine.dispose()  # no pooled connection may hold the old database open
    if method == SQLITE:
        source = sqlite3.connect(dumped)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            source.backup(target)  # replaces the target's whole content, schema included
        finally:
            target.close()
            source.close()
    elif method == PG_DUMP:  # --clean: each object of the dump replaces the target's (forced restores)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error",
              f"--dbname={make_url(engine.url).database}", str(dumped)], _pg_env(engine))
    else:
        if upgrade is None:
            raise BackupError("A logical dump needs the schema built by the migrations first.")
        _empty_schema(engine)
        upgrade(manifest["alembic_revision"])
        with open(dumped, encoding="utf-8") as source:
            load_logical(engine, source)
    engine.dispose()


def _restore_uploads(archive: tarfile.TarFile, manifest: dict, upload_dir: Path) -> None:
    upload_dir.mkdir(parents=True, exist_ok=True)
    for path in upload_dir.iterdir():  # only when forced: the emptiness check refused otherwise
        if path.is_file():
            path.unlink()
    for upload in manifest["uploads"]:
        target = upload_dir / upload["name"]
        partial = upload_dir / f".{upload['name']}.partial"
        with archive.extractfile(f"uploads/{upload['name']}") as member, open(partial, "wb") as out:
            shutil.copyfileobj(member, out, CHUNK)
        partial.replace(target)
