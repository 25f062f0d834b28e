"""Benchmarks (`make bench`): speed and memory of the hot paths, measured — never asserted in tests.

Prints one line per benchmark: the median wall time over several runs and the peak Python allocation
(tracemalloc) of one run. Compare runs on the same machine; the figures are not portable.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.documents import count_words  # noqa: E402
from portal.workdays import Nation, add_working_days, deadline  # noqa: E402
from tests.documents.builders import paragraphs, write_docx  # noqa: E402
from tests.documents.corpus import corpus_dir  # noqa: E402

CORPUS = corpus_dir() if corpus_dir().is_dir() else None


def measure(name: str, work, runs: int = 5) -> None:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{name:<58} {statistics.median(timings) * 1000:9.1f} ms   peak {peak / 1024 / 1024:7.2f} MiB")


def synthetic_docx(folder: Path, words: int) -> Path:
    sentence = "The learner reflects on leadership styles and their effect on team performance today."
    per = len(sentence.split())
    body = paragraphs(*[sentence] * (words // per))
    return write_docx(folder / f"synthetic-{words}.docx", body)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for words in (5_000, 100_000, 1_000_000):
            path = synthetic_docx(folder, words)
            measure(f"count_words, synthetic {words:,} words", lambda p=path: count_words(p), runs=3)
    if CORPUS is not None:
        largest = max(CORPUS.glob("*.docx"), key=lambda p: p.stat().st_size)
        measure(f"count_words, largest corpus file ({largest.stat().st_size // 1024} KiB)",
                lambda: count_words(largest), runs=3)
        files = sorted(CORPUS.glob("*.docx"))
        measure(f"count_words, whole corpus ({len(files)} files)", lambda: [count_words(p) for p in files], runs=1)
    event = datetime(2026, 12, 23, 12, tzinfo=UTC)
    measure("workdays.deadline x10,000 (25 working days, Scotland)",
            lambda: [deadline(event, 25, Nation.SCOTLAND) for _ in range(10_000)])
    measure("workdays.add_working_days x10,000 (across Christmas)",
            lambda: [add_working_days(date(2026, 12, 20), 8, Nation.ENGLAND) for _ in range(10_000)])


if __name__ == "__main__":
    main()
