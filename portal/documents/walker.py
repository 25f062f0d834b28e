"""Streaming one WordprocessingML part: an lxml parser target that applies the counting rules.

No tree is built: lxml calls `start`, `end` and `data` as it parses the chunks `Package.feed` gives it, so
memory stays flat however long the document is. The walker keeps only a stack of element names and the
state the rules need (open tables, text boxes, deletions, fields, the current paragraph and run), and
hands the text it decides is shown — with its part, colour, and whether it is deleted — to a sink
(`Tally` counts words, `TextSink` keeps text). The rules themselves are listed in wordcount.py.

This walker is the reference. `_fastcount.c` applies the same rules, handler by handler, in a compiled
scanner that `count_words` uses when it is built; a change to a rule here must be made there too
(tests/documents/test_compiled_matches_reference.py fails until both agree; docs/wordcount-fast-path.md).
"""
from __future__ import annotations

import re

from portal.documents.ooxml import Package, RefusedDocument, too_large
from portal.documents.styles import COLOURS, Numbering, Palette, RunLook, StyleSheet, look_from_rpr

W_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                "http://purl.oclc.org/ooxml/wordprocessingml/main")
R_NAMESPACES = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                "http://purl.oclc.org/ooxml/officeDocument/relationships")
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MATH = ("http://schemas.openxmlformats.org/officeDocument/2006/math", "http://purl.oclc.org/ooxml/officeDocument/math")

# Characters that are each a word: CJK punctuation, kana, Hangul, Han (BMP and supplementary), full-width.
CJK = ("\u1100-\u11ff\u2e80-\u2fff\u3001-\u303f\u3040-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
       "\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff01-\uffdc\U00020000-\U0003134f")
# Invisible characters: neither part of a word nor a separator. Soft hyphen, zero-width characters, and the
# bidirectional marks and embeddings of right-to-left text.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                   "\u2060\u2066\u2067\u2068\u2069\ufeff"))

TOKEN = re.compile(f"[{CJK}]|[^\\s{CJK}]+")  # a word: one CJK character, or a run of other non-space ones
JOINS = re.compile(f"[^\\s{CJK}]")  # a character that joins the word before or after it

# mc:Choice blocks whose Requires prefixes are all here are read; others fall back.
UNDERSTOOD = frozenset({"w", "w10", "w14", "w15", "wp14", "wps", "wpg", "wpc", "wpi", "a14", "v", "o", "m", "wne"})
# Subtrees with nothing to count: earlier formatting, content-control settings, equations, ruby guides,
# field codes.
SKIPPED = frozenset({"rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
                     "tblGridChange", "numberingChange", "sdtPr", "sdtEndPr", "rt", "instrText", "delInstrText",
                     "m:oMath", "m:oMathPara"})
_NO_LOOK = RunLook()  # immutable: one shared instance
NOTE_SEPARATORS = frozenset({"separator", "continuationSeparator", "continuationNotice"})
LABEL_CATEGORY = {None: "list_labels", "footnotes": "list_labels", "endnotes": "list_labels",
                   "headers_footers": "headers_footers", "comments": None}


def _code_of(tag: str) -> str | None:
    if not tag.startswith("{"):
        return None
    namespace, local = tag[1:].split("}", 1)
    if namespace in W_NAMESPACES:
        return local
    if namespace == MC:
        return "mc:" + local
    if namespace in MATH:
        return "m:" + local
    return None


def paragraph_label(styles: StyleSheet, numbering: Numbering, pstyle: str | None, num_id: str | None,
                    ilvl: str | None) -> str:
    """The list label a paragraph shows (numbering from w:numPr, else from its style); "" for none."""
    from_style = num_id is None
    if num_id is None or ilvl is None:
        style_num_id, style_ilvl = styles.paragraph_numbering(pstyle)
        num_id = num_id if num_id is not None else style_num_id
        ilvl = ilvl if ilvl is not None else (style_ilvl if from_style else None)
    if not num_id or num_id == "0":
        return ""
    try:
        level = int(ilvl) if ilvl is not None else (numbering.level_for_style(num_id, pstyle) if from_style else 0)
    except ValueError:
        level = 0
    return numbering.label(num_id, level)


def run_look(styles: StyleSheet, palette: Palette, paragraph_look: RunLook, props: dict[str, str | None]
             ) -> tuple[bool, str]:
    """(hidden, colour name) of a run: its direct properties over its character style over its paragraph's look."""
    look = look_from_rpr(props).over(styles.style_look(props.get("rStyle"))).over(paragraph_look)
    return bool(look.hidden), palette.classify(look.colour)


def sym_char(value: str) -> str:
    """The character a w:sym shows (w:char in hex); U+FFFD for a broken or white-space one (still a character)."""
    try:
        char = chr(int(value, 16))
    except (ValueError, OverflowError):
        char = "\ufffd"
    return char if not char.isspace() else "\ufffd"


def word_tokens(text: str) -> int:
    """How many words a piece of text has on its own (rules 1, 2 and 4)."""
    return len(TOKEN.findall(text.translate(INVISIBLE)))


COLOUR_INDEX = {name: index for index, name in enumerate(COLOURS)}
CATEGORY_INDEX = {name: index for index, name in enumerate(
    ("body", "tables", "footnotes", "endnotes", "textboxes", "headers_footers", "comments", "list_labels", "deleted"))}
_RUN_PROPS = ("rStyle", "vanish", "color", "themeColor", "themeTint", "themeShade")


class CompiledRules:
    """What the compiled scanner (_fastcount.c, the fast path of PartWalker) asks of Python, each distinct
    question once per part (it caches the answers): a paragraph style's look, a paragraph's list label, a
    run's look, a w:sym's character. The answers come from the same functions PartWalker uses; colours
    travel as indexes into COLOURS."""

    def __init__(self, styles: StyleSheet, palette: Palette, numbering: Numbering, absent: object,
                 no_look: object) -> None:
        self.styles, self.palette, self.numbering = styles, palette, numbering
        self.absent, self.no_look = absent, no_look

    def paragraph(self, pstyle: str | None) -> tuple[bool, int]:
        look = self.styles.paragraph_look(pstyle)
        return bool(look.hidden), COLOUR_INDEX[self.palette.classify(look.colour)]

    def label(self, pstyle: str | None, num_id: str | None, ilvl: str | None) -> int:
        return word_tokens(paragraph_label(self.styles, self.numbering, pstyle, num_id, ilvl))

    def run(self, look_of: str | None | object, key: tuple) -> tuple[bool, int]:
        """key: (pstyle, rStyle, vanish, color, themeColor, themeTint, themeShade), `absent` where the run's
        properties say nothing; look_of: the paragraph style whose look the paragraph had, or `no_look`."""
        props = {name: value for name, value in zip(_RUN_PROPS, key[1:], strict=True) if value is not self.absent}
        paragraph_look = _NO_LOOK if look_of is self.no_look else self.styles.paragraph_look(look_of)
        hidden, colour = run_look(self.styles, self.palette, paragraph_look, props)
        return hidden, COLOUR_INDEX[colour]

    def sym(self, value: str) -> int:
        return ord(sym_char(value))


class PartWalker:
    """lxml target for one part. `category` is None for document.xml (body/tables/textboxes by position),
    else the part every word of this part belongs to."""

    def __init__(self, sink, styles: StyleSheet, palette: Palette, numbering: Numbering, category: str | None,
                 package: Package) -> None:
        self.sink, self.styles, self.palette, self.numbering = sink, styles, palette, numbering
        self.package = package
        self.max_depth = package.limits.max_xml_depth
        self.fixed = category
        self.label_category = LABEL_CATEGORY.get(category)
        self.on_start: dict[str, tuple[str | None, object]] = {}  # tag -> (code, start handler)
        self.on_end: dict[str, object] = {}  # tag -> end handler
        self.stack: list[str | None] = []
        self.skip = 0
        self.in_table = self.in_textbox = self.in_deleted = 0
        self.fields: list[bool] = []  # one per open field: True while in its code, False in its result
        self.in_code = 0
        self.alternate: list[bool] = []  # one per open mc:AlternateContent: has a branch been read?
        self.collect: bool | None = None  # collecting a w:t (True) or w:delText (False)
        self.buffer: list[str] = []
        self.saved: list[tuple] = []
        self._new_paragraph()
        self.run_props: dict[str, str | None] | None = None
        self.run_hidden, self.run_colour = False, "black"
        self._run_cache: dict[tuple, tuple[bool, str]] = {}
        self.note_refs: dict[str, str] = {}
        self.note_kind: str | None = None
        self.note_deleted = False
        self.sections: list[dict[str, str]] = []
        self.section: dict[str, str] | None = None
        self._use_namespace(W_NAMESPACES[0])
        self.starts = {
            "p": self._start_p, "pStyle": self._start_pstyle, "ilvl": self._start_numpr_child,
            "numId": self._start_numpr_child, "r": self._start_r, "rPr": self._start_rpr,
            "rStyle": self._start_rpr_child, "vanish": self._start_rpr_child, "specVanish": self._start_rpr_child,
            "color": self._start_rpr_child, "t": self._start_t, "delText": self._start_deltext,
            "tab": self._start_separator, "ptab": self._start_separator, "br": self._start_separator,
            "cr": self._start_separator, "noBreakHyphen": self._start_nbhyphen, "sym": self._start_sym,
            "fldChar": self._start_fldchar, "footnoteReference": self._start_noteref,
            "endnoteReference": self._start_noteref, "tbl": self._start_tbl, "txbxContent": self._start_textbox,
            "del": self._start_del, "moveFrom": self._start_del, "mc:AlternateContent": self._start_alternate,
            "mc:Choice": self._start_choice, "mc:Fallback": self._start_fallback, "sectPr": self._start_sectpr,
            "headerReference": self._start_hfref, "footerReference": self._start_hfref,
            "footnote": self._start_note, "endnote": self._start_note,
        }
        self.starts.update(dict.fromkeys(SKIPPED, self._skip_this))
        self.ends = {
            "p": self._end_p, "pPr": self._end_ppr, "rPr": self._end_rpr, "t": self._end_text,
            "delText": self._end_text, "tbl": self._end_tbl, "txbxContent": self._end_textbox,
            "del": self._end_del, "moveFrom": self._end_del, "mc:AlternateContent": self._end_alternate,
            "sectPr": self._end_sectpr, "footnote": self._end_note, "endnote": self._end_note,
        }

    def _use_namespace(self, namespace: str) -> None:
        r_namespace = R_NAMESPACES[W_NAMESPACES.index(namespace)]
        self.VAL, self.TYPE, self.ID = f"{{{namespace}}}val", f"{{{namespace}}}type", f"{{{namespace}}}id"
        self.FLDCHARTYPE, self.CHAR = f"{{{namespace}}}fldCharType", f"{{{namespace}}}char"
        self.THEME = {name: f"{{{namespace}}}{name}" for name in ("themeColor", "themeTint", "themeShade")}
        self.RID = f"{{{r_namespace}}}id"

    # --- lxml target interface

    # These two run for every element of the part (hundreds of thousands in a long document), so each is a
    # couple of dictionary lookups: a tag's code and handlers are worked out the first time it is seen.
    # Elements are counted against the budget by Package.feed, from the bytes of each chunk.

    def start(self, tag: str, attrib) -> None:
        if self.skip:
            self.skip += 1
            if self.skip > self.max_depth:
                raise too_large("XML nested too deeply")
            return
        stack = self.stack
        if len(stack) > self.max_depth:
            raise too_large("XML nested too deeply")
        try:
            code, handler = self.on_start[tag]
        except KeyError:
            code, handler = self._learn(tag)
        stack.append(code)
        if handler is not None:
            handler(attrib)

    def end(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        self.stack.pop()
        try:
            handler = self.on_end[tag]  # well-formed XML: the end tag names the element popped
        except KeyError:  # only after the cache was cleared (see _learn)
            code = _code_of(tag)
            handler = self.ends.get(code) if code is not None else None
        if handler is not None:
            handler()

    def _learn(self, tag: str) -> tuple[str | None, object]:
        code = _code_of(tag)
        if not self.stack and code is not None and (namespace := tag[1:].split("}", 1)[0]) in W_NAMESPACES:
            self._use_namespace(namespace)
        if len(self.on_start) > 10_000:  # a hostile part with endless distinct names: keep the cache bounded
            self.on_start.clear()
            self.on_end.clear()
        entry = self.on_start[tag] = (code, self.starts.get(code) if code is not None else None)
        self.on_end[tag] = self.ends.get(code) if code is not None else None
        return entry

    def data(self, text: str) -> None:
        if self.collect is not None:
            self.buffer.append(text)

    def doctype(self, *args: object) -> None:
        raise RefusedDocument("The file contains a document type declaration, which Word never writes.", "damaged")

    def close(self) -> None:
        return None

    # --- helpers

    def _parent(self, depth: int = 2) -> str | None:
        return self.stack[-depth] if len(self.stack) >= depth else None

    def _in_run(self) -> bool:
        """Is the current element a run's child? (mc:AlternateContent inside a run is seen through.)"""
        depth = 2
        while depth <= len(self.stack) and (self.stack[-depth] or "").startswith("mc:"):
            depth += 1
        return depth <= len(self.stack) and self.stack[-depth] == "r"

    def _skip_this(self, attrib=None) -> None:
        self.stack.pop()
        self.skip = 1

    def _category(self) -> str:
        if self.fixed:
            return self.fixed
        return "textboxes" if self.in_textbox else "tables" if self.in_table else "body"

    def _emit(self, text: str, live: bool) -> None:
        if not self.in_code and not self.run_hidden:
            self.sink.text(text, self._category(), self.run_colour, live)

    # --- paragraphs, numbering and sections

    def _new_paragraph(self) -> None:
        self.pstyle: str | None = None
        self.num_id: str | None = None
        self.ilvl: str | None = None
        self.paragraph_ready = False
        self.paragraph_look = _NO_LOOK
        self.paragraph_hidden, self.paragraph_colour = False, "black"

    def _start_p(self, attrib) -> None:
        self._new_paragraph()

    def _start_pstyle(self, attrib) -> None:
        if self._parent() == "pPr":
            self.pstyle = attrib.get(self.VAL)

    def _start_numpr_child(self, attrib) -> None:
        if self._parent() == "numPr" and self._parent(3) == "pPr":
            setattr(self, "num_id" if self.stack[-1] == "numId" else "ilvl", attrib.get(self.VAL))

    def _end_ppr(self) -> None:
        if self.stack and self.stack[-1] == "p":
            self._paragraph_ready()

    def _paragraph_ready(self) -> None:
        self.paragraph_ready = True
        self.paragraph_look = self.styles.paragraph_look(self.pstyle)
        self.paragraph_hidden = bool(self.paragraph_look.hidden)
        self.paragraph_colour = self.palette.classify(self.paragraph_look.colour)
        if self.label_category and not self.in_deleted:
            label = self._label()
            if label:
                self.sink.label(label, self.label_category)

    def _label(self) -> str:
        return paragraph_label(self.styles, self.numbering, self.pstyle, self.num_id, self.ilvl)

    def _end_p(self) -> None:
        if not self.paragraph_ready:
            self._paragraph_ready()
        self.sink.paragraph_end()
        self._new_paragraph()

    def _start_sectpr(self, attrib) -> None:
        if self._parent() in ("pPr", "body"):
            self.section = {}
            self.sections.append(self.section)

    def _end_sectpr(self) -> None:
        self.section = None

    def _start_hfref(self, attrib) -> None:
        if self.section is not None and self._parent() == "sectPr":
            self.section[f"{self.stack[-1]}:{attrib.get(self.TYPE, 'default')}"] = attrib.get(self.RID, "")

    # --- runs and their text

    def _start_r(self, attrib) -> None:
        if not self.paragraph_ready:
            self._paragraph_ready()
        self.run_props = None
        self.run_hidden, self.run_colour = self.paragraph_hidden, self.paragraph_colour

    def _start_rpr(self, attrib) -> None:
        if self._parent() == "r":
            self.run_props = {}

    def _start_rpr_child(self, attrib) -> None:
        if self.run_props is None or self._parent() != "rPr" or self._parent(3) != "r":
            return
        name = self.stack[-1]
        if name == "rStyle":
            self.run_props["rStyle"] = attrib.get(self.VAL)
        elif name in ("vanish", "specVanish"):
            self.run_props["vanish"] = attrib.get(self.VAL)
        else:
            self.run_props["color"] = attrib.get(self.VAL)
            for key, qualified in self.THEME.items():
                if qualified in attrib:
                    self.run_props[key] = attrib[qualified]

    def _end_rpr(self) -> None:
        if self.run_props is None or not self.stack or self.stack[-1] != "r":
            return
        key = (self.pstyle, *sorted(self.run_props.items()))
        if key not in self._run_cache:
            self._run_cache[key] = run_look(self.styles, self.palette, self.paragraph_look, self.run_props)
        self.run_hidden, self.run_colour = self._run_cache[key]
        self.run_props = None

    def _start_t(self, attrib) -> None:
        if self._in_run():
            self.collect = not self.in_deleted
            self.buffer = []

    def _start_deltext(self, attrib) -> None:
        if self._in_run():
            self.collect = False
            self.buffer = []

    def _end_text(self) -> None:
        if self.collect is not None:
            live, self.collect = self.collect, None
            self._emit("".join(self.buffer), live)
            self.buffer = []

    def _start_separator(self, attrib) -> None:
        if self._in_run() and not self.in_code and not self.run_hidden:
            self.sink.boundary(not self.in_deleted)

    def _start_nbhyphen(self, attrib) -> None:
        if self._in_run():
            self._emit("\u2011", not self.in_deleted)

    def _start_sym(self, attrib) -> None:
        if self._in_run():
            self._emit(sym_char(attrib.get(self.CHAR, "")), not self.in_deleted)

    # --- fields, notes, tracked changes

    def _start_fldchar(self, attrib) -> None:
        kind = attrib.get(self.FLDCHARTYPE)
        if kind == "begin":
            self.fields.append(True)
            self.in_code += 1
        elif kind == "separate":
            if self.fields and self.fields[-1]:
                self.fields[-1] = False
                self.in_code -= 1
        elif kind == "end" and self.fields and self.fields.pop():
            self.in_code -= 1

    def _start_noteref(self, attrib) -> None:
        key = f"{self.stack[-1].removesuffix('Reference')}:{attrib.get(self.ID)}"
        if self.note_refs.get(key) != "live":
            self.note_refs[key] = "deleted" if self.in_deleted else "live"

    def _start_note(self, attrib) -> None:
        if self.note_kind != self.stack[-1]:
            return
        state = self.note_refs.get(f"{self.note_kind}:{attrib.get(self.ID)}")
        if attrib.get(self.TYPE) in NOTE_SEPARATORS or state is None:
            self._skip_this()
        elif state == "deleted":
            self.in_deleted += 1
            self.note_deleted = True

    def _end_note(self) -> None:
        if self.note_deleted:
            self.in_deleted -= 1
            self.note_deleted = False

    def _start_del(self, attrib) -> None:
        self.in_deleted += 1

    def _end_del(self) -> None:
        self.in_deleted -= 1

    # --- tables, text boxes, alternate content

    def _start_tbl(self, attrib) -> None:
        self.in_table += 1

    def _end_tbl(self) -> None:
        self.in_table -= 1

    def _start_textbox(self, attrib) -> None:
        """A text box is a story of its own inside the paragraph that anchors it: save that paragraph."""
        self.saved.append((self.fields, self.in_code, self.pstyle, self.num_id, self.ilvl, self.paragraph_ready,
                           self.paragraph_look, self.paragraph_hidden, self.paragraph_colour, self.run_hidden,
                           self.run_colour))
        self.fields, self.in_code = [], 0
        self._new_paragraph()
        self.in_textbox += 1
        self.sink.push()

    def _end_textbox(self) -> None:
        self.in_textbox -= 1
        self.sink.pop()
        if self.saved:
            (self.fields, self.in_code, self.pstyle, self.num_id, self.ilvl, self.paragraph_ready,
             self.paragraph_look, self.paragraph_hidden, self.paragraph_colour, self.run_hidden,
             self.run_colour) = self.saved.pop()

    def _start_alternate(self, attrib) -> None:
        self.alternate.append(False)

    def _end_alternate(self) -> None:
        if self.alternate:
            self.alternate.pop()

    def _start_choice(self, attrib) -> None:
        requires = set(attrib.get("Requires", "").split())
        if not self.alternate or self.alternate[-1] or not requires <= UNDERSTOOD:
            self._skip_this()
        else:
            self.alternate[-1] = True

    def _start_fallback(self, attrib) -> None:
        if not self.alternate or self.alternate[-1]:
            self._skip_this()
        else:
            self.alternate[-1] = True
