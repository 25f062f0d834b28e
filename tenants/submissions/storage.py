"""Storing uploaded files: under generated names in UPLOAD_DIR, never a path the uploader chose.

A stored name is a random uuid4 hex plus an extension taken from what the content *is* (sniffed), so neither
the client's file name nor its declared content type ever reaches the file system or the download headers.
Files are copied in chunks while their sha256 is computed: memory stays bounded whatever the size.

A stored file belongs to the database transaction that stores it: if that transaction does not commit — any
error, a refused upload, a lost database connection, a request that ends without committing — the file is
removed when the transaction ends (a half-written file at once). Only a process killed between writing and
committing leaves an orphan; `flask uploads check` finds and removes those (docs/reliability.md).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from flask import Response
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.documents.ooxml import sniff
from portal.extensions import db

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
CONTENT_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
}
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(docx|pdf|png|jpg)$")


def sniff_kind(stream: IO[bytes]) -> str:
    """What the content is, from its first bytes: zip, pdf, png, jpeg, ole2, rtf, empty or unknown."""
    stream.seek(0)
    head = stream.read(1024)
    stream.seek(0)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return sniff(head)


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size: int
    content_type: str


def store(stream: IO[bytes], upload_dir: str | os.PathLike, extension: str) -> StoredFile:
    """Copy `stream` (from its start) to a new generated name in `upload_dir`; return its name, sha256 and size."""
    if extension not in CONTENT_TYPES:
        raise ValueError(f"no stored files of type {extension!r}")
    folder = Path(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex + extension
    digest, size = hashlib.sha256(), 0
    stream.seek(0)
    path = folder / stored_name
    try:
        # "xb": never overwrite (a uuid4 collision would fail loudly rather than replace another centre's file).
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:  # disk full, I/O error, the request cancelled: no half-written file stays behind
        path.unlink(missing_ok=True)
        raise
    _remove_unless_committed(path)
    return StoredFile(stored_name, digest.hexdigest(), size, CONTENT_TYPES[extension])


# --- a stored file lives or dies with its transaction -----------------------------------------------------------

_UNCOMMITTED = "uploads_uncommitted"


def _remove_unless_committed(path: Path) -> None:
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the file belongs to the transaction that will record it
    session.info.setdefault(_UNCOMMITTED, []).append(path)


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session) -> None:
    if not session.in_nested_transaction():  # a savepoint released is not yet a commit
        session.info.pop(_UNCOMMITTED, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session, transaction) -> None:
    if transaction.parent is not None:
        return
    for path in session.info.pop(_UNCOMMITTED, []):
        path.unlink(missing_ok=True)
        log.warning("removed %s: its database transaction did not commit", path.name)


_TO_REMOVE = "uploads_to_remove"


def remove_when_committed(upload_dir: str | os.PathLike, stored_names: list[str]) -> None:
    """Remove stored files once the current transaction commits (their rows deleted with it); if it does not
    commit, the files stay, as the rows do."""
    session = db.session()
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_TO_REMOVE, []).extend(path_of(upload_dir, name) for name in stored_names)


@event.listens_for(Session, "after_commit")
def _remove_committed_deletions(session) -> None:
    if session.in_nested_transaction():
        return
    for path in session.info.pop(_TO_REMOVE, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _keep_files_of_rolled_back_deletions(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TO_REMOVE, None)


def path_of(upload_dir: str | os.PathLike, stored_name: str) -> Path:
    """Where a stored file is. Only generated names are accepted: nothing else can name a path."""
    if not _STORED_NAME.match(stored_name):
        raise ValueError("not a stored file name")
    return Path(upload_dir) / stored_name


def check(upload_dir: str | os.PathLike, *, referenced: set[str], now: float, grace_seconds: int) -> Check:
    """Compare UPLOAD_DIR with the stored names the database references.

    Orphans are stored-name files no row references, last modified more than `grace_seconds` before `now` (an
    upload in progress has written its files and not yet committed its rows). Missing are referenced names
    with no file. Files not named like stored files are not the portal's and are left alone.
    """
    folder = Path(upload_dir)
    entries = os.scandir(folder) if folder.is_dir() else []
    on_disk = {entry.name: entry for entry in entries if entry.is_file() and _STORED_NAME.match(entry.name)}
    orphans = sorted(name for name, entry in on_disk.items()
                     if name not in referenced and entry.stat().st_mtime < now - grace_seconds)
    return Check(orphans=orphans, missing=sorted(referenced - on_disk.keys()))


@dataclass(frozen=True)
class Check:
    orphans: list[str]
    missing: list[str]


def remove(upload_dir: str | os.PathLike, stored_names: list[str]) -> None:
    """Remove stored files by name (orphans found by `check`)."""
    for name in stored_names:
        path_of(upload_dir, name).unlink(missing_ok=True)


def _chunks(path: Path) -> Iterator[bytes]:
    # A generator closes the file when it is exhausted, closed or collected: no file is left open by a client
    # that goes away (or a test that never closes its response).
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def attachment(path: Path, download_name: str, content_type: str, size: int) -> Response:
    """A stored file sent as an attachment under `download_name`, never rendered by the browser (nosniff)."""
    response = Response(_chunks(path), mimetype=content_type, direct_passthrough=True)
    response.content_length = size
    ascii_name = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
    names = {"filename": ascii_name}
    if ascii_name != download_name:  # RFC 6266: a UTF-8 name for browsers, an ASCII one for the rest
        names["filename*"] = f"UTF-8''{quote(download_name, safe='!#$&+^`|~')}"
    response.headers.set("Content-Disposition", "attachment", **names)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
