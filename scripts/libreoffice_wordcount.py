#!/usr/bin/python3
"""Compute LibreOffice Writer's word count for .docx files: the references of tests/documents.

Never run by the test suite. Needs Debian's `libreoffice-writer` and `python3-uno` and Debian's own
interpreter (the venv's Python cannot import `uno`):

    apt-get install -y libreoffice-writer python3-uno
    /usr/bin/python3 scripts/libreoffice_wordcount.py ../shared/corpus/docx/*.docx > /tmp/lo.json
    /usr/bin/python3 scripts/libreoffice_wordcount.py --text FILE   # LibreOffice's body text, to compare
    .venv/bin/python scripts/libreoffice_wordcount.py --update-reference /tmp/lo.json ../shared/corpus/docx

It starts one headless soffice on a private pipe with a throwaway profile, opens each document hidden
from a copy in a temporary folder (LibreOffice writes `.~lock` files beside what it opens), calls
`setModified(True)` to force a recount (the stored statistics are stale), and reads the document's
`WordCount` property: the number Tools > Word Count shows. That count includes headers, footers and
list labels, and splits words at em and en dashes (see portal/documents/wordcount.py for how the
portal's Word-rule count is reconciled with it).

Output: one JSON object on stdout: {"libreoffice": version, "counts": {file name: words},
"without_headers_footers": {file name: words}}, the second count taken after switching off every page
style's header and footer (which deletes their text), i.e. LibreOffice's count of everything else.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
REFERENCE = REPOSITORY / "tests" / "documents" / "corpus_reference.json"
PIPE = f"wordcount_{os.getpid()}"


def _property(name: str, value):
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def start_office(profile: Path) -> tuple[subprocess.Popen, object]:
    """Start soffice headless and return (process, desktop)."""
    import uno  # type: ignore[import-not-found]
    from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

    process = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={PIPE};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            context = resolver.resolve(f"uno:pipe,name={PIPE};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            time.sleep(0.5)
    else:
        process.kill()
        raise SystemExit("soffice did not start")
    desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
    return process, desktop


def office_version() -> str:
    out = subprocess.run(["soffice", "--version"], capture_output=True, text=True, check=True).stdout
    return out.split("\n")[0].strip()


def _settled_count(doc) -> int:
    doc.setModified(True)
    first = doc.getPropertyValue("WordCount")
    # The statistics are updated by an idle task on big documents: read until two agree.
    for _ in range(20):
        time.sleep(0.2)
        again = doc.getPropertyValue("WordCount")
        if again == first:
            break
        first = again
    return int(first)


def word_count(desktop, path: Path, workdir: Path) -> tuple[int, int]:
    """LibreOffice's recomputed word count of one document (opened from a copy), and the same count once
    every page style's header and footer is switched off (which deletes their text)."""
    copy = workdir / path.name
    shutil.copyfile(path, copy)
    doc = desktop.loadComponentFromURL(copy.as_uri(), "_blank", 0, (_property("Hidden", True),))
    if doc is None:
        copy.unlink(missing_ok=True)
        raise ValueError(f"LibreOffice could not open {path.name}")
    try:
        words = _settled_count(doc)
        page_styles = doc.getStyleFamilies().getByName("PageStyles")
        for i in range(page_styles.getCount()):
            style = page_styles.getByIndex(i)
            style.setPropertyValue("HeaderIsOn", False)
            style.setPropertyValue("FooterIsOn", False)
        return words, _settled_count(doc)
    finally:
        doc.close(True)
        copy.unlink(missing_ok=True)


def document_text(desktop, path: Path, workdir: Path) -> str:
    """LibreOffice's text of the main body (debugging aid)."""
    copy = workdir / path.name
    shutil.copyfile(path, copy)
    doc = desktop.loadComponentFromURL(copy.as_uri(), "_blank", 0, (_property("Hidden", True),))
    try:
        return doc.getText().getString()
    finally:
        doc.close(True)
        copy.unlink(missing_ok=True)


def update_reference(libreoffice_json: Path, corpus: Path) -> None:
    """Rewrite tests/documents/corpus_reference.json from fresh LibreOffice numbers and the portal's counts.

    Run with the project's Python (it imports portal, not uno). An explanation is kept while a file's
    difference is unchanged; a new or changed difference gets a TODO that the corpus test's explanation
    check will not accept until someone writes the reason."""
    sys.path.insert(0, str(REPOSITORY))
    from portal.documents import count_words

    fresh = json.loads(libreoffice_json.read_text())
    old = json.loads(REFERENCE.read_text())["files"] if REFERENCE.exists() else {}
    files = {}
    for name in sorted(fresh["counts"]):
        count = count_words(corpus / name)
        reference = fresh["counts"][name]
        entry = {"libreoffice": reference,
                 "libreoffice_without_headers_footers": fresh["without_headers_footers"][name]}
        difference = count.total + count.headers_footers + count.list_labels - reference
        if difference:
            previous = old.get(name, {})
            entry["expected_difference"] = difference
            entry["explanation"] = (previous.get("explanation", "") if previous.get("expected_difference") == difference
                                    else f"TODO: explain (was {previous.get('expected_difference', 0)})")
            entry["percent"] = round(100 * abs(difference) / max(reference, 1), 2)
        files[name] = entry
    out = {"libreoffice": fresh["libreoffice"],
           "compares": "portal total + headers_footers + list_labels against LibreOffice Writer's WordCount"
                       " (recomputed)",
           "files": files}
    REFERENCE.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    exact = sum("expected_difference" not in entry for entry in files.values())
    print(f"{exact} of {len(files)} files match exactly; wrote {REFERENCE}", file=sys.stderr)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--text", action="store_true", help="print LibreOffice's body text instead")
    parser.add_argument("--update-reference", type=Path, metavar="LO_JSON",
                        help="with the project's Python: merge LO_JSON (this script's output) into"
                             " tests/documents/corpus_reference.json; FILES is then the corpus folder")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.update_reference:
        update_reference(args.update_reference, args.files[0])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        workdir = tmpdir / "work"
        workdir.mkdir()
        process, desktop = start_office(tmpdir / "profile")
        try:
            if args.text:
                for path in args.files:
                    sys.stdout.write(document_text(desktop, path, workdir) + "\n")
                return 0
            counts, without = {}, {}
            for path in args.files:
                counts[path.name], without[path.name] = word_count(desktop, path, workdir)
                print(f"{counts[path.name]}\t{without[path.name]}\t{path.name}", file=sys.stderr)
            json.dump({"libreoffice": office_version(), "counts": counts, "without_headers_footers": without},
                      sys.stdout, indent=1, sort_keys=True)
            sys.stdout.write("\n")
        finally:
            with contextlib.suppress(Exception):  # the office may already be gone
                desktop.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
