"""Disk full during an upload (issue 10 §1, docs/reliability.md): the upload folder is a 64 KiB tmpfs that fills up
(a real "No space left on device"; mounting needs root, as on CI)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import services
from tests.submissions.test_upload import text
from tests.submissions.test_upload_faults import files_in, submissions


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs as the upload folder (a real "No space left on device")."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        services.unavailable("a tmpfs mount (the test must run as root)", result.stderr.strip())
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def app_overrides(small_disk):
    return {"UPLOAD_DIR": str(small_disk)}


def fill(folder: Path, leave: int) -> None:
    """Fill `folder`'s file system, leaving `leave` bytes (rounded up to whole blocks)."""
    stats = os.statvfs(folder)
    block = stats.f_frsize
    free = stats.f_bavail * block
    keep = -(-leave // block) * block
    (folder / "filler").write_bytes(b"\0" * (free - keep))
    assert os.statvfs(folder).f_bavail * block == keep


def test_a_full_disk_refuses_the_upload_plainly_and_leaves_no_file(setting, app, small_disk):
    from tests.submissions.conftest import words_docx

    assessment = words_docx(100)
    fill(small_disk, leave=len(assessment))  # room for the assessment, not for the result sheet after it
    response = setting.post(assessment=assessment)
    assert response.status_code == 503
    page = text(response)
    assert "The files could not be stored: the portal's file storage is full or failing (No space left on " \
           "device). Nothing was recorded." in page
    assert submissions() == []
    assert files_in(small_disk) == ["filler"]
