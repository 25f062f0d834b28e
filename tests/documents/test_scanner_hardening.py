"""The compiled scanner (portal/documents/_fastcount.c) used wrongly or fed hostile bytes must raise, never
corrupt memory: cases found by reading the C code and by scripts/fuzz_wordcount.py (docs/wordcount-fast-path.md,
"Fuzzing"). Each test here failed (or wrote out of bounds) before the fix it guards."""
from __future__ import annotations

import pytest

from portal.documents import wordcount
from portal.documents.styles import Numbering, Palette, StyleSheet, parse_theme
from portal.documents.walker import CompiledRules
from tests.documents.builders import DECL, XMLNS

BOTH_AT_ONCE = True  # the scanner itself, not count_words: once is enough
fast = wordcount._fastcount
DOCUMENT = (f'{DECL}<w:document {XMLNS}><w:body><w:p><w:r><w:t>two words</w:t></w:r></w:p></w:body>'
            "</w:document>").encode()


def rules():
    styles = StyleSheet.parse(())
    return CompiledRules(styles, Palette(parse_theme(None)), Numbering((), styles), fast.ABSENT, fast.NO_LOOK)


def scanner(resolver=None, *, fixed=-1, label_category=-1, note_kind=0, tally=None):
    return fast.Scanner(tally or fast.Tally(), resolver or rules(), fixed, label_category, note_kind, {}, [], 200)


def test_a_plain_part_is_counted():
    tally = fast.Tally()
    counting = scanner(tally=tally)
    counting.feed(DOCUMENT)
    counting.close()
    assert tally.counts()[0] == 2


@pytest.mark.parametrize("arguments", [dict(fixed=9), dict(fixed=-2), dict(fixed=1 << 30), dict(label_category=9),
                                       dict(label_category=-5), dict(note_kind=3), dict(note_kind=-1)])
def test_categories_outside_the_tally_are_refused(arguments):
    """They index Tally's counts: fixed=9 used to count every word into memory past the end of the array."""
    with pytest.raises(ValueError, match="out of range"):
        scanner(**arguments)


def test_an_uninitialised_scanner_refuses_to_scan():
    bare = fast.Scanner.__new__(fast.Scanner)
    with pytest.raises(RuntimeError, match="not initialised"):
        bare.feed(DOCUMENT)
    with pytest.raises(RuntimeError, match="not initialised"):
        bare.close()


def test_a_scanner_that_stopped_stays_stopped():
    """After Unsupported the scan stopped inside a token (element stack, bindings and saved states half
    updated): feeding it again must not go on from that state."""
    broken = scanner()
    with pytest.raises(fast.Unsupported):
        broken.feed(DOCUMENT.replace(b"<w:p>", b"<w:p>" + b"<w:txbxContent>" * 3 + b"<x:y/>"))
    for more in (b"</w:txbxContent>" * 3, DOCUMENT):
        with pytest.raises(fast.Unsupported, match="already stopped"):
            broken.feed(more)
    with pytest.raises(fast.Unsupported, match="already stopped"):
        broken.close()


def test_a_resolver_calling_back_into_the_scanner_is_refused():
    """A callback feeding the scanner would move the buffer the running scan reads from (use after free)."""

    class Reentrant(CompiledRules):
        def paragraph(self, pstyle):
            the_scanner.feed(b"<w:p>" * 10_000)  # large enough to make the buffer move
            return super().paragraph(pstyle)

    base = rules()
    the_scanner = scanner(Reentrant(base.styles, base.palette, base.numbering, fast.ABSENT, fast.NO_LOOK))
    with pytest.raises(RuntimeError, match="re-entered"):
        the_scanner.feed(DOCUMENT)


def test_a_resolver_error_propagates_and_stops_the_scanner():
    class Failing(CompiledRules):
        def run(self, look_of, key):
            raise KeyError("boom")

    base = rules()
    failing = scanner(Failing(base.styles, base.palette, base.numbering, fast.ABSENT, fast.NO_LOOK))
    with pytest.raises(KeyError):
        failing.feed(DOCUMENT.replace(b"<w:r>", b'<w:r><w:rPr><w:color w:val="FF0000"/></w:rPr>'))
    with pytest.raises(fast.Unsupported, match="already stopped"):
        failing.close()


def test_a_long_namespace_name_is_handed_back():
    """Each distinct namespace name is kept for the whole part: at most 256 of at most 4 KiB (not of 1 MiB)."""
    long_uri = b"urn:" + b"x" * 5000
    with pytest.raises(fast.Unsupported, match="namespace name"):
        scanner().feed(DOCUMENT.replace(b"<w:p>", b'<w:p xmlns:q="' + long_uri + b'">'))


def test_namespace_lookups_past_the_budget_are_handed_back():
    """1000 prefixes declared up the tree, then tags whose 120 attributes use the first-declared ones: every
    lookup walks all the bindings (~1000 steps a byte, 10x lxml's time on the same part). Past the scanner's
    budget (16 steps a byte fed, plus 2**20) the part goes to the reference."""
    wrappers = "".join("<w:sdt" + "".join(f' xmlns:p{level * 125 + k:04d}="urn:p{k}"' for k in range(125))
                       + "><w:sdtContent>" for level in range(8))
    attributes = "".join(f' p{k:04d}:a="1"' for k in range(120))
    body = wrappers + f"<w:p{attributes}/>" * 50 + "</w:sdtContent></w:sdt>" * 8
    part = DOCUMENT.replace(b"<w:body>", b"<w:body>" + body.encode())
    with pytest.raises(fast.Unsupported, match="budget"):
        scanner().feed(part)
    fewer = DOCUMENT.replace(b"<w:body>", ("<w:body>" + wrappers + f"<w:p{attributes}/>" * 2
                                            + "</w:sdtContent></w:sdt>" * 8).encode())
    reading = scanner()
    reading.feed(fewer)  # a few such tags are read
    reading.close()
