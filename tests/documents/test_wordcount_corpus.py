"""Every document of the shared corpus against LibreOffice Writer's count (tests/documents/corpus_reference.json).

LibreOffice counts header/footer text and list labels too, so the comparison is
`total + headers_footers + list_labels` against its WordCount. Most files match exactly; every file that
does not has its difference asserted (so any change in counting shows up here) and explained in the data
file. The references were computed with scripts/libreoffice_wordcount.py; the documents are read in place
(tests/documents/corpus.py says where), never copied.

corpus_counts.json holds each file's full count (every part and colour), so that making the counter
faster cannot change any count unnoticed. Regenerate it only for a deliberate change of a counting rule,
with `python scripts/corpus_counts.py`, and review the diff.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.documents import count_words
from tests.documents.corpus import corpus_dir
from tests.services import unavailable

CORPUS = corpus_dir()
REFERENCE = json.loads((Path(__file__).with_name("corpus_reference.json")).read_text("utf-8"))
FILES = REFERENCE["files"]
COUNTS = json.loads((Path(__file__).with_name("corpus_counts.json")).read_text("utf-8"))


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not CORPUS.is_dir():
        unavailable("The word-count corpus", f"{CORPUS} is missing")
    return CORPUS


def test_reference_covers_the_corpus(corpus):
    assert sorted(path.name for path in corpus.glob("*.docx")) == sorted(FILES) == sorted(COUNTS)


def test_most_files_match_libreoffice_exactly():
    exact = [name for name, entry in FILES.items() if "expected_difference" not in entry]
    assert len(exact) >= 0.6 * len(FILES)


def test_every_difference_over_one_percent_is_explained():
    for name, entry in FILES.items():
        difference = entry.get("expected_difference", 0)
        assert not entry.get("explanation", "").startswith("TODO"), name
        if abs(difference) > 0.01 * max(entry["libreoffice"], 1):
            assert len(entry.get("explanation", "")) > 20 and "not analysed" not in entry["explanation"], name


@pytest.mark.parametrize("name", sorted(FILES))
def test_count_against_libreoffice(corpus, name):
    entry = FILES[name]
    count = count_words(corpus / name)
    reconciled = count.total + count.headers_footers + count.list_labels
    assert reconciled - entry["libreoffice"] == entry.get("expected_difference", 0), entry.get("explanation", "")
    assert sum(count.by_colour.values()) == count.total
    assert count.as_dict() == COUNTS[name], "a count changed: see corpus_counts.json"
