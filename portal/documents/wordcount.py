"""Word counts of uploaded submissions, as Microsoft Word counts them (SPEC §6.2).

The count a word limit applies to (`WordCount.total`) is Word's Review > Word Count with "Include
textboxes, footnotes and endnotes" ticked: body, tables, footnotes, endnotes and text boxes. The rules:

1. A word is a run of characters between separators. Separators are whitespace (space, no-break and
   other Unicode spaces, ideographic space), tabs (w:tab, w:ptab), line, page and column breaks (w:br,
   w:cr) and paragraph ends (also table cells, text-box paragraphs and notes, which are paragraphs).
2. Everything else is part of a word, punctuation included: "well-known", "well—known", "1990–2000",
   "e.g.", "and/or" are one word each, and a dash, "&" or "…" standing alone between spaces is a word.
   A non-breaking hyphen (w:noBreakHyphen) and a symbol (w:sym) are visible characters; an optional
   hyphen (w:softHyphen, U+00AD), zero-width characters (U+200B-U+200F, U+2060, U+FEFF) and the
   bidirectional embeddings and isolates of right-to-left text (U+202A-U+202E, U+2066-U+2069, U+061C)
   are invisible: they neither count nor split.
3. A word may span runs: "hel" + "lo" in two differently formatted runs is one word. Deleted or hidden
   text between them does not split it.
4. Each CJK character (Han, kana, Hangul, CJK punctuation, full-width forms) is a word of its own, and
   ends the word before it: "日本語abc" is four words.
5. Fields: the result shows and counts (w:fldSimple content; for w:fldChar begin/separate/end, what lies
   between separate and end); the field code (w:instrText and anything between begin and separate,
   including nested fields there) does not. A field with no separate shows nothing.
6. Hidden text (w:vanish, directly or through a character or paragraph style) does not count. The
   paragraph mark's own properties (w:pPr/w:rPr) do not hide the paragraph's runs.
7. Tracked changes as in the final document: inserted text (w:ins, w:moveTo) counts; deleted text
   (w:del/w:delText, w:moveFrom) does not and is reported as `deleted`.
8. mc:AlternateContent holds one object several ways: the first mc:Choice whose `Requires` prefixes are
   understood (wps, wpg, wpc, w14...) is read, otherwise the mc:Fallback; never both. A text box written
   by Word 2010+ is therefore counted once, from wps:txbx, not again from its VML v:textbox copy. Emoji
   written as w16se:symEx fall back to their w:sym/w:t copy.
9. Where text sits decides its part: text-box content (w:txbxContent) -> `textboxes`, else inside a table
   (w:tbl, nested too) -> `tables`, else `body`; footnotes.xml / endnotes.xml -> `footnotes`/`endnotes`,
   only notes referenced from the document (separator and continuation notes never; a note referenced
   only from deleted text counts as deleted). Content controls (w:sdt) count as the text they hold.
   Equations (m:oMath), ruby guides (w:rt), pictures, charts, SmartArt and embedded files do not count.
   Footnote and endnote reference marks neither count nor split.

Reported, not counted: `headers_footers` (every header and footer a section shows, per section: one
repeated in three sections counts three times; first-page and even-page headers included), `comments`,
`list_labels` (the automatic number or bullet of numbered paragraphs, e.g. "1." or "a)" or "•", counted
by the same rules with each number written as 1), and `deleted`. `by_colour` splits the total by font
colour (black, blue, green, red, other; see portal.documents.styles for how colours are resolved and
named); a word takes the colour of its first character.

LibreOffice Writer's count (the corpus references) adds header/footer text and list labels, so
`total + headers_footers + list_labels` equals it on most files. Where it does not, LibreOffice differs
from Word: it splits words at em/en dashes and skips stand-alone ones, counts bidi control characters
and symbol-font characters as words of their own, adds two words per content control (7.4 imports them
as input fields), counts legacy check boxes, recomputes some fields, ignores text hidden through a style,
ignores text boxes it imports as drawing shapes, and lays headers out per page style.
tests/documents/corpus_reference.json explains every file that differs.

PDF files get an approximate count of the text pypdf extracts, all reported as `body`.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO

from portal.documents.ooxml import (
    DEFAULT_LIMITS,
    SAVE_AS_DOCX,
    Package,
    RefusedDocument,
    SafetyLimits,
    damaged,
    open_source,
    refuse_by_kind,
    sniff,
    too_large,
)
from portal.documents.styles import COLOURS, Numbering, Palette, StyleSheet, parse_theme
from portal.documents.walker import (
    CATEGORY_INDEX,
    INVISIBLE,
    JOINS,
    LABEL_CATEGORY,
    TOKEN,
    CompiledRules,
    PartWalker,
    word_tokens,
)

try:
    from portal.documents import _fastcount
except ImportError:  # not built (no C compiler at install): the pure-Python walker counts everything
    _fastcount = None

PURE_PYTHON_SWITCH = "PORTAL_PURE_PYTHON_WORDCOUNT"
log = logging.getLogger(__name__)

COUNTED = ("body", "tables", "footnotes", "endnotes", "textboxes")
# SPEC §6.2: new text of each submission is marked in its own colour.
SUBMISSION_COLOURS = {1: "black", 2: "blue", 3: "green", 4: "red"}
REPORTED = ("headers_footers", "comments", "list_labels", "deleted")
Source = str | os.PathLike | IO[bytes]

_MAIN_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class WordCount:
    """A document's words by part. `total` is what a word limit applies to."""

    body: int = 0
    tables: int = 0
    footnotes: int = 0
    endnotes: int = 0
    textboxes: int = 0
    headers_footers: int = 0
    comments: int = 0
    list_labels: int = 0
    deleted: int = 0
    approximate: bool = False
    by_colour: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def total(self) -> int:
        return self.body + self.tables + self.footnotes + self.endnotes + self.textboxes

    def as_dict(self) -> dict:
        """JSON-ready: total, the counted parts, the reported ones, approximate, by_colour."""
        result: dict = {"total": self.total}
        result.update({name: getattr(self, name) for name in COUNTED + REPORTED})
        result["approximate"] = self.approximate
        result["by_colour"] = dict(self.by_colour)
        return result


def count_words(source: Source, *, limits: SafetyLimits = DEFAULT_LIMITS) -> WordCount:
    """Count a .docx (exactly, by the module's rules) or a PDF (approximately), sniffed by content.

    `source` is a path or a seekable binary file object (left open). Raises RefusedDocument for anything
    else, and for files that are damaged, hostile or over `limits`.

    A .docx is read by the compiled scanner when it is built (see `compiled`); whatever XML it does not
    read exactly as lxml would, it hands back, and the document is counted again from the start by the
    pure-Python walker, the reference, so the outcome is always the reference's."""
    stream, owned = open_source(source)
    try:
        kind = _sniff_and_check_size(stream, limits)
        if kind == "pdf":
            return _count_pdf(stream, limits)
        fast = compiled()
        if fast is not None:
            try:
                return count_docx(stream, limits, fast)
            except fast.Unsupported as handed_back:
                log.info("word count: the compiled scanner handed the document back (%s); the reference walker "
                         "counts it", handed_back)
        return count_docx(stream, limits, None)
    finally:
        if owned:
            stream.close()


def compiled():
    """The compiled fast path (portal/documents/_fastcount.c), or None when it is not built or
    PORTAL_PURE_PYTHON_WORDCOUNT=1 asks for the pure-Python walker (read at each call)."""
    if os.environ.get(PURE_PYTHON_SWITCH, "").strip() not in ("", "0"):
        return None
    return _fastcount


def count_docx(stream: IO[bytes], limits: SafetyLimits, fast) -> WordCount:
    """Count a zip package with one implementation: `fast` the compiled module (which raises its
    Unsupported for XML it leaves to the reference), or None for the pure-Python walker."""
    with Package(stream, limits) as package:
        document = _WordDocument(package, fast)
        tally = document.tally(colours=True)
        refs, sections = document.walk_main(tally)
        for kind_name in ("footnote", "endnote"):
            document.walk_notes(kind_name, tally, refs)
        comments = document.tally()
        if document.part("comments"):
            document.walk_part(document.part("comments"), comments, "comments")
        headers = 0
        for name, times in document.header_parts(sections).items():
            part_tally = document.tally()
            document.walk_part(name, part_tally, "headers_footers")
            headers += _counts(part_tally)["headers_footers"] * times
        counts = dict(_counts(tally), comments=_counts(comments)["comments"], headers_footers=headers)
        return WordCount(**counts, by_colour=MappingProxyType(_colours(tally)))


def _counts(tally) -> dict[str, int]:
    return tally.counts if isinstance(tally, Tally) else dict(zip(COUNTED + REPORTED, tally.counts(), strict=True))


def _colours(tally) -> dict[str, int]:
    return dict(tally.colours) if isinstance(tally, Tally) else dict(zip(COLOURS, tally.colours(), strict=True))


def document_text(source: Source, *, max_chars: int = 1_000_000, limits: SafetyLimits = DEFAULT_LIMITS) -> str:
    """The visible text of a .docx: body, tables, text boxes, headers and footers, notes (no deleted, hidden
    or field-code text), paragraphs on their own lines, cut at `max_chars`."""
    sink = TextSink(max_chars)
    _walk_visible_text(source, sink, limits)
    return "".join(sink.parts)[:max_chars]


def document_text_contains(source: Source, needles: Iterable[str], *,
                           limits: SafetyLimits = DEFAULT_LIMITS) -> dict[str, bool]:
    """Whether the visible text of a .docx contains each needle, ignoring case and differences in spacing
    (tabs, line breaks, table cells and paragraph ends count as one space). Streams: memory is bounded by
    the longest needle, not the document. E.g. a result sheet must contain ["Sam Smith", "ABC123"]."""
    search = TextSearch(list(needles))
    _walk_visible_text(source, search, limits)
    return search.result()


# --- counting and collecting text ---------------------------------------------------------------------

class Tally:
    """Counts words of the text a walker emits, by part (and colour, if asked)."""

    def __init__(self, colours: bool = False) -> None:
        self.counts = dict.fromkeys(COUNTED + REPORTED, 0)
        self.colours = dict.fromkeys(COLOURS, 0) if colours else None
        self.live_in_word = False
        self.deleted_in_word = False
        self.saved: list[tuple[bool, bool]] = []

    def text(self, text: str, category: str, colour: str, live: bool) -> None:
        text = text.translate(INVISIBLE)
        if not text:
            return
        words = len(TOKEN.findall(text))
        joins = JOINS.match(text) is not None
        ends_in_word = JOINS.match(text[-1]) is not None
        if live:
            if joins and self.live_in_word:
                words -= 1
            self.live_in_word = ends_in_word
            self.counts[category] += words
            if self.colours is not None and category in COUNTED:
                self.colours[colour] += words
        else:
            if joins and self.deleted_in_word:
                words -= 1
            self.deleted_in_word = ends_in_word
            if category in COUNTED:
                self.counts["deleted"] += words

    def label(self, text: str, category: str) -> None:
        self.counts[category] += word_tokens(text)

    def boundary(self, live: bool) -> None:
        if live:
            self.live_in_word = False
        else:
            self.deleted_in_word = False

    def paragraph_end(self) -> None:
        self.live_in_word = self.deleted_in_word = False

    def push(self) -> None:
        self.saved.append((self.live_in_word, self.deleted_in_word))
        self.live_in_word = self.deleted_in_word = False

    def pop(self) -> None:
        self.live_in_word, self.deleted_in_word = self.saved.pop() if self.saved else (False, False)


class TextSink:
    """Collects visible text, up to a number of characters."""

    def __init__(self, max_chars: int) -> None:
        self.parts: list[str] = []
        self.left = max_chars

    def _add(self, text: str) -> None:
        if self.left > 0:
            self.parts.append(text[:self.left])
            self.left -= len(text)

    def text(self, text: str, category: str, colour: str, live: bool) -> None:
        if live and category != "comments":
            self._add(text.translate(INVISIBLE))

    def label(self, text: str, category: str) -> None:
        pass

    def boundary(self, live: bool) -> None:
        if live:
            self._add(" ")

    def paragraph_end(self) -> None:
        self._add("\n")

    def push(self) -> None:
        self._add("\n")

    def pop(self) -> None:
        self._add("\n")


class TextSearch(TextSink):
    """Looks for needles in the visible text as it streams past, keeping only a short tail."""

    def __init__(self, needles: list[str]) -> None:
        super().__init__(0)
        self.needles = {needle: _SPACES.sub(" ", needle.casefold()).strip() for needle in needles}
        self.found = {needle: not key for needle, key in self.needles.items()}
        self.keep = max((len(key) for key in self.needles.values()), default=1)
        self.window = ""

    def _add(self, text: str) -> None:
        text = _SPACES.sub(" ", text.casefold())
        if text.startswith(" ") and (not self.window or self.window.endswith(" ")):
            text = text[1:]
        if not text:
            return
        self.window += text
        for needle, key in self.needles.items():
            if not self.found[needle] and key in self.window:
                self.found[needle] = True
        self.window = self.window[-self.keep:]

    def result(self) -> dict[str, bool]:
        return dict(self.found)


# --- the document ---------------------------------------------------------------------------------------

class _WordDocument:
    """The parts of one WordprocessingML package and what is needed to read them, walked by PartWalker or,
    with `fast` (the compiled module), by its Scanner."""

    def __init__(self, package: Package, fast=None) -> None:
        self.package = package
        self.fast = fast
        self.main = _main_part(package)
        self.rels = {rel_id: (kind, target) for rel_id, kind, target in package.relationships(self.main)}
        styles_part = self.part("styles")
        if fast is not None and styles_part:
            # the compiled StyleScanner reads the facts StyleSheet.parse keeps; whatever it does not read it hands
            # back (Unsupported), and count_words counts the whole document again with the reference
            scanner = fast.StyleScanner()
            package.scan_small(styles_part, scanner, fast.opening_tags)
            self.styles = StyleSheet.from_scan(scanner.sheet(), fast.ABSENT)
        else:
            self.styles = StyleSheet.parse(package.iter_small(styles_part, ("docDefaults", "style")) if styles_part
                                           else ())
        theme_part = self.part("theme")
        self.palette = Palette(parse_theme(package.parse_small(theme_part) if theme_part else None))
        numbering_part = self.part("numbering")
        self.numbering = Numbering(package.iter_small(numbering_part, ("abstractNum", "num")) if numbering_part
                                   else (), self.styles)
        self.rules = (CompiledRules(self.styles, self.palette, self.numbering, fast.ABSENT, fast.NO_LOOK)
                      if fast is not None else None)

    def tally(self, colours: bool = False):
        return self.fast.Tally() if self.fast is not None else Tally(colours=colours)

    def part(self, kind: str) -> str | None:
        for rel_kind, target in self.rels.values():
            if rel_kind == kind and self.package.has(target):
                return target
        return None

    def _walk(self, part: str, sink, category: str | None, note_kind: str | None = None,
              note_refs: dict[str, str] | None = None) -> tuple[dict[str, str], list[dict[str, str]]]:
        if self.fast is None:
            walker = PartWalker(sink, self.styles, self.palette, self.numbering, category, self.package)
            walker.note_kind = note_kind
            if note_refs is not None:
                walker.note_refs = note_refs
            self.package.feed(part, walker)
            return walker.note_refs, walker.sections
        refs = {} if note_refs is None else note_refs
        sections: list[dict[str, str]] = []
        label_category = LABEL_CATEGORY.get(category)
        scanner = self.fast.Scanner(
            sink, self.rules, CATEGORY_INDEX[category] if category else -1,
            CATEGORY_INDEX[label_category] if label_category else -1, {"footnote": 1, "endnote": 2}.get(note_kind, 0),
            refs, sections, self.package.limits.max_xml_depth)
        self.package.feed_scanner(part, scanner, self.fast.opening_tags)
        return refs, sections

    def walk_main(self, sink) -> tuple[dict[str, str], list[dict[str, str]]]:
        """Walk document.xml; returns the note references ({"footnote:3": "live"|"deleted"}) and sections."""
        return self._walk(self.main, sink, None)

    def walk_notes(self, kind: str, sink, refs) -> None:
        part = self.part(kind + "s")
        if part:
            self._walk(part, sink, kind + "s", kind, refs)

    def walk_part(self, part: str, sink, category: str) -> None:
        self._walk(part, sink, category)

    def header_parts(self, sections: list[dict[str, str]]) -> dict[str, int]:
        """Header and footer parts each section shows ({part: number of sections}), with Word's inheritance:
        a section without a reference of some type (header/footer x default/first/even) keeps the previous
        section's."""
        shown: dict[str, str] = {}
        times: dict[str, int] = {}
        for section in sections:
            shown.update(section)
            for rel_id in shown.values():
                kind, target = self.rels.get(rel_id, ("", ""))
                if kind in ("header", "footer") and self.package.has(target):
                    times[target] = times.get(target, 0) + 1
        return times


def _main_part(package: Package) -> str:
    """The main document part, after refusing packages that are not Word documents."""
    if package.has("mimetype") and not package.has("[Content_Types].xml"):
        mimetype = package.read_small("mimetype")[:100]
        if b"opendocument.text" in mimetype:
            raise RefusedDocument(f"This is an OpenDocument text file (.odt), not a Word document. {SAVE_AS_DOCX}",
                                  "not_word")
    types = package.all_content_types()
    if any("macroEnabled" in t or "vbaProject" in t for t in types):
        raise RefusedDocument(
            "This is a macro-enabled Word document (.docm); macro files are not accepted. Save it as .docx in"
            " Word: File > Save As > Word Document (*.docx), then upload the new file.", "macro_enabled")
    main = next((target for _, kind, target in package.relationships("") if kind == "officeDocument"),
                "word/document.xml")
    content_type = package.content_type(main) if package.has(main) else ""
    if content_type in _MAIN_TYPES:
        return main
    if not content_type:
        raise damaged("the main document part is missing")
    what = ("an Excel workbook" if "spreadsheetml" in content_type
            else "a PowerPoint presentation" if "presentationml" in content_type else "another kind of file")
    raise RefusedDocument(f"This file is {what}, not a Word document. {SAVE_AS_DOCX}", "not_word")


def _sniff_and_check_size(stream: IO[bytes], limits: SafetyLimits) -> str:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    kind = sniff(stream.read(1024))
    if kind not in ("zip", "pdf"):
        raise refuse_by_kind(kind, stream)
    if size > limits.max_file_bytes:
        raise too_large(f"{size:,} bytes; the limit is {limits.max_file_bytes:,}")
    return kind


def _walk_visible_text(source: Source, sink: TextSink, limits: SafetyLimits) -> None:
    stream, owned = open_source(source)
    try:
        if _sniff_and_check_size(stream, limits) != "zip":
            raise RefusedDocument(f"The file must be a Word document (.docx). {SAVE_AS_DOCX}", "not_word")
        with Package(stream, limits) as package:
            document = _WordDocument(package)
            refs, sections = document.walk_main(sink)
            for name in document.header_parts(sections):
                document.walk_part(name, sink, "headers_footers")
            for kind in ("footnote", "endnote"):
                document.walk_notes(kind, sink, refs)
    finally:
        if owned:
            stream.close()


# --- PDF ------------------------------------------------------------------------------------------------

def _count_pdf(stream: IO[bytes], limits: SafetyLimits) -> WordCount:
    """An approximate count of the text pypdf extracts from each page."""
    from pypdf import PdfReader

    tally = Tally()
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and not reader.decrypt(""):
            raise RefusedDocument(
                "The PDF is password-protected. Upload a copy without a password, or the Word document (.docx).",
                "encrypted")
        if len(reader.pages) > limits.max_pdf_pages:
            raise too_large(f"{len(reader.pages):,} pages")
        for page in reader.pages:
            tally.text(page.extract_text() or "", "body", "black", True)
            tally.paragraph_end()
    except RefusedDocument:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        raise RefusedDocument(
            f"The PDF could not be read ({type(error).__name__}). Save it again as PDF, or upload the Word"
            " document (.docx).", "damaged") from None
    return WordCount(body=tally.counts["body"], approximate=True)
