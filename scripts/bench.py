"""Benchmarks (`make bench`): speed and memory of the hot paths, measured — never asserted in tests.

    .venv/bin/python scripts/bench.py [--rounds N]

Prints Markdown tables to stdout (`make bench` folds them into docs/benchmarks.md):

1. Word counting on the corpus file with the largest document.xml, side by side in one run: the portal's
   counter (its compiled fast path, and the pure-Python reference walker it must match, run with
   PORTAL_PURE_PYTHON_WORDCOUNT=1), the floor (unzip + one regex over `<w:t>`), a plain lxml parse of
   document.xml, python-docx
   (paragraphs and table cells, text split on whitespace) and LibreOffice headless
   (`soffice --headless --convert-to txt`, when soffice is installed). Each is timed in N interleaved
   rounds and the best round is kept, so a busy shared machine skews the ratios as little as possible;
   the ratios (÷ floor, python-docx ÷ counter) are the figures to compare between machines. The in-process
   contenders are also timed in CPU time (steadier when other work shares the machine).
2. The counter on synthetic documents of 5,000 to 1,000,000 words: time, peak Python allocation (tracemalloc)
   and, since tracemalloc cannot see the compiled scanner's C buffers, the growth of the process's peak
   resident memory (a fresh process per size, against one that only imports): both must stay flat.

    .venv/bin/python scripts/bench.py --only words   # just section 1 and 2's word counting figures
3. The whole corpus, and the working-day calendar.
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.documents import count_words  # noqa: E402
from portal.documents.wordcount import PURE_PYTHON_SWITCH, compiled  # noqa: E402
from portal.workdays import Nation, add_working_days, deadline  # noqa: E402
from tests.documents.builders import paragraphs, write_docx  # noqa: E402
from tests.documents.corpus import corpus_dir  # noqa: E402

_W_T = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
TARGET_DOCX_RATIO = 5  # the counter at least 5x faster than python-docx
TARGET_FLOOR_RATIO = 10  # and at most 10x the floor


def settle_heap() -> None:
    """Make the contender that just ran pay for freeing its own garbage. glibc defers part of the work of free():
    after `plain lxml parse` drops its tree (~370,000 elements), the next malloc of 8 KiB or more in the process
    consolidates the freed chunks, ~90 ms of CPU, and that was charged to whichever contender ran next (the word
    counter, whose first such malloc is opening the file). One such allocation, timed with the contender that
    left the garbage, settles it; after a contender that freed little it costs nothing measurable."""
    bytearray(64 * 1024)


def best_of(contenders: dict[str, Callable[[], object]], rounds: int, cpu: bool = False) -> dict[str, float]:
    """Seconds per contender: the best of `rounds` interleaved rounds (each round runs every contender once).
    `cpu`: this process's CPU time instead of wall time (steadier on a busy machine; blind to subprocesses)."""
    clock = time.process_time if cpu else time.perf_counter
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, work in contenders.items():
            started = clock()
            work()
            settle_heap()
            timings[name].append(clock() - started)
    return {name: min(values) for name, values in timings.items()}


def peak_mib(work: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1024 / 1024
    finally:
        tracemalloc.stop()


# --- the contenders ----------------------------------------------------------------------------------------

def document_xml_size(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as package:
            return package.getinfo("word/document.xml").file_size
    except (KeyError, zipfile.BadZipFile):
        return 0


def floor(path: Path) -> int:
    """The least any counter must do: unzip document.xml and find the text of each w:t."""
    with zipfile.ZipFile(path) as package:
        data = package.read("word/document.xml")
    return sum(len(text.split()) for text in _W_T.findall(data))


def lxml_parse(path: Path) -> None:
    from lxml import etree

    with zipfile.ZipFile(path) as package:
        etree.fromstring(package.read("word/document.xml"), etree.XMLParser(resolve_entities=False))


def reference_walker(path: Path) -> object:
    """The pure-Python walker, the reference the compiled fast path must match."""
    os.environ[PURE_PYTHON_SWITCH] = "1"
    try:
        return count_words(path)
    finally:
        del os.environ[PURE_PYTHON_SWITCH]


def python_docx(path: Path) -> int:
    """A typical python-docx word count: body paragraphs and table cells (nested tables too)."""
    import docx
    from docx.table import Table

    def words(container) -> int:
        total = 0
        for item in container.iter_inner_content():
            if isinstance(item, Table):
                total += sum(words(cell) for row in item.rows for cell in row.cells)
            else:
                total += len(item.text.split())
        return total

    return words(docx.Document(str(path)))


def libreoffice(path: Path, soffice: str, folder: Path) -> None:
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "txt",
                    "--outdir", str(folder), str(path)], check=True, capture_output=True, timeout=600)


# --- the tables ---------------------------------------------------------------------------------------------

def word_counting(corpus: Path, rounds: int) -> None:
    largest, xml_size = max(((path, document_xml_size(path)) for path in corpus.glob("*.docx")),
                            key=lambda pair: pair[1])
    contenders: dict[str, Callable[[], object]] = {
        "floor: unzip + one regex over `<w:t>`": lambda: floor(largest),
        "plain lxml parse of document.xml": lambda: lxml_parse(largest),
        "**portal `count_words`**": lambda: count_words(largest),
        "portal `count_words`, pure-Python reference walker": lambda: reference_walker(largest),
        "python-docx (paragraphs + table cells)": lambda: python_docx(largest),
    }
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    note = ""
    with tempfile.TemporaryDirectory() as tmp:
        if soffice:
            libreoffice(largest, soffice, Path(tmp))  # first start creates the profile: not timed
            contenders["LibreOffice headless (`soffice --convert-to txt`)"] = \
                lambda: libreoffice(largest, soffice, Path(tmp))
        else:
            note = "LibreOffice headless: skipped, `soffice` is not installed on this machine."
        seconds = best_of(contenders, rounds)
    in_process = {name: work for name, work in contenders.items() if not name.startswith("LibreOffice")}
    cpu = best_of(in_process, rounds, cpu=True)
    floor_name, counter_name, docx_name = ("floor: unzip + one regex over `<w:t>`", "**portal `count_words`**",
                                           "python-docx (paragraphs + table cells)")
    compiled_note = ("the compiled fast path" if compiled() is not None
                     else "**the compiled fast path is not built: both rows are the pure-Python walker**")
    print(f"Counter: {compiled_note}.\n")
    print(f"### Word counting: the corpus file with the largest document.xml ({largest.name}, "
          f"{largest.stat().st_size / 1e6:.2f} MB, document.xml {xml_size / 1e6:.1f} MB), best of {rounds} "
          "interleaved rounds\n")
    print("| contender | wall ms | ÷ floor | python-docx ÷ this | CPU ms | ÷ floor (CPU) | python-docx ÷ this (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, value in seconds.items():
        row = (f"| {name} | {value * 1000:,.1f} | {value / seconds[floor_name]:.1f}× | "
               f"{seconds[docx_name] / value:.2f}× |")
        if name in cpu:
            row += (f" {cpu[name] * 1000:,.1f} | {cpu[name] / cpu[floor_name]:.1f}× | "
                    f"{cpu[docx_name] / cpu[name]:.2f}× |")
        else:
            row += " – | – | – |"
        print(row)
    print()
    for label, table in (("wall", seconds), ("CPU", cpu)):
        faster, over_floor = table[docx_name] / table[counter_name], table[counter_name] / table[floor_name]
        print(f"Counter ({label} time): {faster:.1f}× faster than python-docx (target ≥ {TARGET_DOCX_RATIO}×: "
              f"{'met' if faster >= TARGET_DOCX_RATIO else 'missed'}); {over_floor:.1f}× the floor "
              f"(target ≤ {TARGET_FLOOR_RATIO}×: {'met' if over_floor <= TARGET_FLOOR_RATIO else 'missed'}).  ")
    if note:
        print(f"\n{note}")
    print()


def synthetic_docx(folder: Path, words: int) -> Path:
    sentence = "The learner reflects on leadership styles and their effect on team performance today."
    per = len(sentence.split())
    return write_docx(folder / f"synthetic-{words}.docx", paragraphs(*[sentence] * (words // per)))


_RSS = """
import sys
sys.path.insert(0, {root!r})
from portal.documents import count_words

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

count_words({small!r})  # imports and first-use allocations
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # the peak resident size (VmHWM) starts again from here
before = status("VmRSS")
count_words({path!r})
print(status("VmHWM") - before)
"""


def rss_growth_mib(path: Path, small: Path, pure: bool) -> float:
    """How far the resident memory of a fresh process rises above its level before the count, while it counts
    `path` (after counting `small` once: imports and first-use allocations). Linux: VmHWM reset by clear_refs."""
    env = dict(os.environ, **({PURE_PYTHON_SWITCH: "1"} if pure else {}))
    if not pure:
        env.pop(PURE_PYTHON_SWITCH, None)
    code = _RSS.format(root=str(ROOT), small=str(small), path=str(path))
    kib = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env=env).stdout)
    return kib / 1024


def synthetic_sizes(rounds: int) -> None:
    print("### Word counting: synthetic documents (time: best of rounds; peak: tracemalloc, one run; RSS growth: "
          "how far a fresh process's resident memory rises while it counts, which tracemalloc cannot see for "
          "C buffers)\n")
    print("| words | document.xml KB | `count_words` ms | peak MiB (tracemalloc) | RSS growth MiB "
          "| reference walker ms | reference RSS growth MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        small = synthetic_docx(Path(tmp), 500)
        for words in (5_000, 100_000, 1_000_000):
            path = synthetic_docx(Path(tmp), words)
            times = best_of({"count": lambda p=path: count_words(p), "reference": lambda p=path: reference_walker(p)},
                            rounds if words < 1_000_000 else 1)
            peak = peak_mib(lambda p=path: count_words(p))
            print(f"| {words:,} | {document_xml_size(path) // 1024:,} | {times['count'] * 1000:,.1f} | {peak:.2f} | "
                  f"{rss_growth_mib(path, small, pure=False):.2f} | {times['reference'] * 1000:,.1f} | "
                  f"{rss_growth_mib(path, small, pure=True):.2f} |")
    print()


def other(corpus: Path | None) -> None:
    rows: list[tuple[str, float]] = []
    if corpus is not None:
        files = sorted(corpus.glob("*.docx"))
        started = time.perf_counter()
        for path in files:
            count_words(io.BytesIO(path.read_bytes()))
        rows.append((f"`count_words`, whole corpus ({len(files)} files)", time.perf_counter() - started))
    event = datetime(2026, 12, 23, 12, tzinfo=UTC)
    for label, work in (
        ("workdays.deadline ×10,000 (25 working days, Scotland)",
         lambda: [deadline(event, 25, Nation.SCOTLAND) for _ in range(10_000)]),
        ("workdays.add_working_days ×10,000 (across Christmas)",
         lambda: [add_working_days(date(2026, 12, 20), 8, Nation.ENGLAND) for _ in range(10_000)]),
    ):
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            work()
            timings.append(time.perf_counter() - started)
        rows.append((label, statistics.median(timings)))
    print("### Other hot paths\n")
    print("| what | ms |")
    print("|---|---:|")
    for label, seconds in rows:
        print(f"| {label} | {seconds * 1000:,.1f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per contender (default 3)")
    parser.add_argument("--only", choices=["words"], help="words: only the word counting tables")
    args = parser.parse_args()
    corpus = corpus_dir() if corpus_dir().is_dir() else None
    print(f"## Word counting and other hot paths ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node()}, Python {platform.python_version()})\n")
    if corpus is not None:
        word_counting(corpus, args.rounds)
    else:
        print(f"Word counting on the corpus: skipped, no corpus at {corpus_dir()}.\n")
    synthetic_sizes(args.rounds)
    if args.only != "words":
        other(corpus)


if __name__ == "__main__":
    main()
