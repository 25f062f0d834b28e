"""Faults during an upload (issue 10 §1): no orphan files, whatever fails, and `flask uploads check` for the rest.

Real faults: the database connection is terminated (PostgreSQL: pg_terminate_backend on this run's own
database) or its write lock is held by another connection (SQLite) half-way through the upload. A full disk:
test_upload_disk_full.py.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from tenants.submissions import storage
from tenants.submissions.models import Submission, SubmissionFile


def submissions() -> list[Submission]:
    db.session.expire_all()
    return list(db.session.execute(select(Submission)).scalars())


def files_in(folder) -> list[str]:
    return sorted(p.name for p in Path(folder).iterdir())


@contextlib.contextmanager
def database_fails(database_url: str):
    """Make the request's database connection fail from now on: a real fault, on either backend."""
    if database_url.startswith("postgresql"):
        import psycopg

        backend = db.session.connection().connection.dbapi_connection.info.backend_pid
        with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone()[0]
        yield
    else:  # SQLite: another process-level connection takes the write lock; the upload's INSERT times out
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()


@pytest.fixture
def no_propagation(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the person sees the error page, as in production
    return app


def test_the_database_failing_mid_upload_leaves_no_file(setting, app, no_propagation, database_url, monkeypatch):
    real_store, stored = storage.store, []
    faults = contextlib.ExitStack()

    def store_then_fail(*args, **kwargs):
        saved = real_store(*args, **kwargs)
        stored.append(saved.stored_name)
        if len(stored) == 2:  # two files on disk, then the database goes away
            faults.enter_context(database_fails(database_url))
        return saved

    monkeypatch.setattr(storage, "store", store_then_fail)
    with faults:
        response = setting.post()
    assert response.status_code == 500
    assert len(stored) == 3
    assert submissions() == []
    assert files_in(app.config["UPLOAD_DIR"]) == []
    monkeypatch.setattr(storage, "store", real_store)
    assert setting.post().status_code == 303  # the next upload finds a working connection
    assert len(files_in(app.config["UPLOAD_DIR"])) == 3


# --- flask uploads check ------------------------------------------------------------------------------------------

def test_uploads_check_lists_then_removes_old_orphans_and_reports_missing_files(setting, app):
    folder = Path(app.config["UPLOAD_DIR"])
    assert setting.post().status_code == 303
    kept = files_in(folder)
    old, young = "a" * 32 + ".docx", "b" * 32 + ".pdf"
    for name in (old, young, "README.txt"):
        (folder / name).write_bytes(b"left by a killed process")
    two_hours_ago = time.time() - 7200
    os.utime(folder / old, (two_hours_ago, two_hours_ago))
    runner = app.test_cli_runner()

    listed = runner.invoke(args=["uploads", "check", "--dry-run"])
    assert listed.exit_code == 0, listed.output
    assert f"would remove 1 orphan file(s) in {folder}\n  {old}\n" in listed.output
    assert (folder / old).exists()

    removed = runner.invoke(args=["uploads", "check"])
    assert removed.exit_code == 0
    assert f"removed 1 orphan file(s) in {folder}\n  {old}\n0 file(s) referenced by a submission but missing" \
        in removed.output
    assert files_in(folder) == sorted([*kept, young, "README.txt"])  # in-flight and foreign files stay

    lost = db.session.execute(select(SubmissionFile)).scalars().first()
    (folder / lost.stored_name).unlink()
    missing = runner.invoke(args=["uploads", "check", "--dry-run"])
    assert missing.exit_code == 1
    assert f"1 file(s) referenced by a submission but missing\n  {lost.stored_name}\n" in missing.output
