"""Issue 13 §3: `flask backup` / `flask restore` — a populated database and its uploads, restored into an EMPTY
database and uploads folder (SQLite here; PostgreSQL in the TEST_DATABASE=postgres pass), and the portal works."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import backup, create_app
from portal.config import TestConfig
from portal.db import commit
from portal.extensions import db
from tenants.complaints.intake import ComplaintDetails, submit_complaint
from tenants.complaints.models import Category
from tenants.submissions.models import SubmissionFile, SubmissionStatus
from tests import services
from tests.assessment import factory
from tests.complaints.conftest import publish
from tests.conftest import Auth, IsolatedClient, quality_contact_of
from tests.documents.builders import docx_bytes, p

ESSAY = docx_bytes(p("An essay that must survive a restore."))


@pytest.fixture
def app_overrides(tmp_path):
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def populated(app, centre):
    """A centre with a learner, a released submission with its file on disk, and a complaint."""
    publish(centre)
    submission = factory.make_submission(centre, status=SubmissionStatus.RELEASED, with_file=False)
    factory.store_file(submission, ESSAY)
    commit()
    submit_complaint(centre, ComplaintDetails(name="Cara Complainant", email="cara@example.org",
                                              summary="Feedback never came.", category=Category.OTHER))
    commit()
    return submission


@pytest.fixture
def empty_target(tmp_path, database_url):
    """An EMPTY database of the same kind as the suite's (no tables at all) and an empty uploads folder."""
    if database_url.startswith("postgresql"):
        url = services.create_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    # A restore runs as the tables' owner (docs/backup-and-restore.md): here the test server's superuser, which the
    # portal otherwise refuses to run as (row-level security would not hold for it).
    target = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp_path / "restored-uploads"),
                        MAIL_SERVER=None, REQUIRE_ROW_LEVEL_SECURITY=False)
    target.test_client_class = IsolatedClient
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.startswith("postgresql"):
        services.drop_postgres_database(url)


def run(app, *args):
    result = app.test_cli_runner().invoke(args=[*args])
    return result.exit_code, result.output + (repr(result.exception) if result.exception else "")


def _rewritten(source: Path, target: Path, *, manifest=None, member=None, data: bytes = b"") -> Path:
    """A copy of the archive with its manifest replaced, or one member's content replaced."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for item in old:
            content = old.extractfile(item).read()
            if item.name == backup.MANIFEST and manifest is not None:
                content = json.dumps(manifest).encode()
            elif item.name == member:
                content = data
            item.size = len(content)
            new.addfile(item, io.BytesIO(content))
    return target


def test_a_backup_restores_into_an_empty_database_and_the_portal_works(app, centre, populated, empty_target,
                                                                       tmp_path):
    """Backed up with `flask backup`, refused when damaged or from an unknown release (nothing touched), restored with
    `flask restore` into an EMPTY database and uploads folder: same row counts, pages open, the file downloads.
    Then: a second restore is refused (not empty) unless --force; the portable logical dump restores the same."""
    counts = backup.row_counts(db.engine)
    archive, logical = tmp_path / "backups" / "portal.tar.gz", tmp_path / "backups" / "logical.tar.gz"
    for args in (["backup", str(archive)], ["backup", "--logical", str(logical)]):
        code, output = run(app, *args)
        assert code == 0, output
    manifest = backup.read_manifest(archive)
    assert manifest["alembic_revision"] == backup.head_revision() and manifest["row_counts"] == counts
    assert manifest["database"]["method"] == ("pg_dump" if db.engine.dialect.name == "postgresql"
                                              else "sqlite-backup-api")
    assert [u["size"] for u in manifest["uploads"]] == [len(ESSAY)]
    assert {"centre-portal", "sqlalchemy", "python"} <= manifest["versions"].keys()
    name = manifest["uploads"][0]["name"]
    damaged = _rewritten(archive, tmp_path / "damaged.tar.gz", member=f"uploads/{name}", data=b"not the essay")
    newer = _rewritten(archive, tmp_path / "newer.tar.gz", manifest={**manifest, "alembic_revision": "0099_future"})
    qc_email, file_id, sha256 = quality_contact_of(centre).email, populated.files[0].id, populated.files[0].sha256

    with empty_target.app_context():
        assert backup.current_revision(db.engine) is None  # empty: not even a schema
        code, output = run(empty_target, "restore", str(damaged))
        assert code == 1 and "does not match its checksum" in output
        code, output = run(empty_target, "restore", str(newer))
        assert code == 1 and "0099_future" in output and "does not know" in output
        assert backup.current_revision(db.engine) is None  # nothing was touched
        assert not any(Path(empty_target.config["UPLOAD_DIR"]).iterdir())

        code, output = run(empty_target, "restore", str(archive))
        assert code == 0, output
        assert backup.row_counts(db.engine) == counts
        client = empty_target.test_client()
        assert Auth(client).sign_in(qc_email).status_code == 303
        for page in ("staff/", "learners/", "submissions/", "cases/", "reports", f"submissions/{populated.id}"):
            assert client.get(f"/c/{centre.slug}/{page}").status_code == 200, page
        download = client.get(f"/c/{centre.slug}/submissions/files/{file_id}")
        assert download.status_code == 200 and download.data == ESSAY

        code, output = run(empty_target, "restore", str(archive))  # now it is not empty
        assert code == 1 and "not empty" in output and "--force" in output
        code, output = run(empty_target, "restore", "--force", str(logical))
        assert code == 0, output
        assert backup.row_counts(db.engine) == counts
        stored = db.session.execute(select(SubmissionFile)).scalar_one()
        assert stored.sha256 == sha256
        assert (Path(empty_target.config["UPLOAD_DIR"]) / stored.stored_name).read_bytes() == ESSAY
        assert Auth(empty_target.test_client()).sign_in(qc_email).status_code == 303
