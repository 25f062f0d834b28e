"""Where the shared corpus of real Word documents is: found from the repository, never copied into it.

In order: WORDCOUNT_CORPUS; `../shared/corpus/docx` beside this checkout; the same beside the repository this
one was cloned from (CI clones main into a fresh directory elsewhere, with the project's repository as origin).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BESIDE = Path("..") / "shared" / "corpus" / "docx"


def _origin() -> Path | None:
    """The local repository this checkout was cloned from, if it was cloned from a path."""
    try:
        url = subprocess.run(["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(url.removeprefix("file://")) if url and "://" not in url.replace("file://", "") else None
    return path if path is not None and path.is_dir() else None


def corpus_dir() -> Path:
    """The corpus directory (it may not exist on a machine without the shared folder)."""
    if os.environ.get("WORDCOUNT_CORPUS"):
        return Path(os.environ["WORDCOUNT_CORPUS"])
    candidates = [ROOT / BESIDE] + ([(origin / BESIDE)] if (origin := _origin()) else [])
    return next((path.resolve() for path in candidates if path.is_dir()), candidates[0].resolve())
