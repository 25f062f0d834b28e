"""Write tests/documents/corpus_counts.json: each corpus file's full count (every part and colour).

    .venv/bin/python scripts/corpus_counts.py

The corpus test asserts that `count_words` still gives exactly these counts, so a faster reader (or any
refactoring) cannot change a count unnoticed. Run this only when a counting rule changes on purpose, and
review the diff.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.documents import count_words  # noqa: E402
from tests.documents.corpus import corpus_dir  # noqa: E402

TARGET = ROOT / "tests" / "documents" / "corpus_counts.json"


def main() -> None:
    files = sorted(corpus_dir().glob("*.docx"))
    if not files:
        sys.exit(f"no corpus at {corpus_dir()}")
    counts = {path.name: count_words(path).as_dict() for path in files}
    lines = ",\n".join(f" {json.dumps(name)}: {json.dumps(count)}" for name, count in counts.items())
    TARGET.write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    print(f"{len(counts)} files -> {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
