"""styles.xml read by the compiled StyleScanner (portal/documents/_fastcount.c, `StyleSheet.from_scan`) against
`StyleSheet.parse` (lxml), the reference:

- generated styles parts (basedOn chains and cycles, duplicate ids, several docDefaults, default paragraph
  styles, numbering styles, vanish/specVanish/color in every order, theme attributes, values with references
  and white space, other prefixes, the default namespace, the strict namespace, elements of the same local
  name in other namespaces, nested and misplaced styles, comments and processing instructions) give the same
  sheet: the same style records, defaults and default paragraph style, and the same resolved looks and
  numbering for every id; the scanner reads every one of them itself unless it was made hostile;
- hostile or unusual parts are handed back (Unsupported) whenever lxml refuses them, and refusals made
  before either parser runs (DOCTYPE, the element budget) are the same;
- whole documents with those styles count the same through `count_words` either way.
"""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.documents import RefusedDocument, SafetyLimits, ooxml, wordcount
from portal.documents.styles import StyleSheet
from tests.documents.builders import DECL, STRICT_W, W, docx_bytes
from tests.documents.corpus import corpus_dir
from tests.documents.implementations import outcome

BOTH_AT_ONCE = True  # these tests compare the two implementations themselves
fast = wordcount._fastcount
OTHER = "urn:example:other"
IDS = ["Normal", "Heading1", "A", "B", "C", "ListStyle", "", "x&amp;y", "Ünï", " A"]
VALUES = ["1", "0", "true", "false", "on", "off", "none", "FF0000", "0000FF", "00AA00", "auto", "accent1",
          "text2", "99", "4D", "", "&amp;", "&#x41;", "a&#9;b", " x\ty ", "1\r\n"]
DIFFERENTIAL = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HANDED_BACK = "handed back"


def sheets(styles_xml: bytes | str, limits: SafetyLimits = ooxml.DEFAULT_LIMITS):
    """(reference, compiled): a StyleSheet each, a refusal (code, reason), or HANDED_BACK for the compiled one."""
    data = docx_bytes("<w:p/>", styles_xml=styles_xml)
    with ooxml.Package(io.BytesIO(data), limits) as package:
        try:
            reference = StyleSheet.parse(package.iter_small("word/styles.xml", ("docDefaults", "style")))
        except RefusedDocument as refusal:
            reference = refusal.code, refusal.reason
    with ooxml.Package(io.BytesIO(data), limits) as package:
        scanner = fast.StyleScanner()
        try:
            package.scan_small("word/styles.xml", scanner, fast.opening_tags)
            compiled = StyleSheet.from_scan(scanner.sheet(), fast.ABSENT)
        except fast.Unsupported:
            compiled = HANDED_BACK
        except RefusedDocument as refusal:
            compiled = refusal.code, refusal.reason
    return reference, compiled


def facts(sheet: StyleSheet, ids) -> dict:
    """Everything the counter can learn from a sheet, for these ids."""
    asked = sorted(set(ids) | {""}) + [None]
    return {
        "defaults": sheet.defaults,
        "default_paragraph": sheet.default_paragraph,
        "records": {i: sheet._style(i) for i in asked if i is not None},
        "looks": {i: (sheet.style_look(i), sheet.paragraph_look(i), sheet.paragraph_numbering(i)) for i in asked},
        "numbering_styles": {i: sheet.numbering_style_num_id(i) for i in asked if i is not None},
    }


def assert_same(styles_xml, *, must_read: bool = True) -> None:
    reference, compiled = sheets(styles_xml)
    if compiled == HANDED_BACK:
        assert not must_read, "the StyleScanner handed back a plain styles part"
        return
    assert not isinstance(reference, tuple) or compiled == reference, (reference, compiled)
    if isinstance(reference, tuple):
        return
    assert isinstance(compiled, StyleSheet), (reference, compiled)
    assert set(compiled._records) == set(reference.styles)
    ids = set(IDS) | set(reference.styles)
    assert facts(compiled, ids) == facts(reference, ids)


# --- generated styles parts -------------------------------------------------------------------------------

@st.composite
def styles_parts(draw) -> tuple[str, bool]:
    """(styles.xml, hostile): hostile parts may be refused by lxml or handed back by the scanner."""
    uri = draw(st.sampled_from([W, W, STRICT_W]))
    element_prefix = draw(st.sampled_from(["w", "w", "ns9", ""]))
    hostile = False

    def q(local: str, other: bool = False) -> str:
        if other:
            return f"o:{local}"
        return f"{element_prefix}:{local}" if element_prefix else local

    def attrs(names: list[str]) -> str:
        chosen: dict[str, str] = {}
        for name in names:
            if not draw(st.booleans()):
                continue
            prefix = draw(st.sampled_from(["w", "w", "a", "o", ""]))
            qname = f"{prefix}:{name}" if prefix else name
            chosen[qname] = draw(st.sampled_from(VALUES + IDS))
        return "".join(f' {k}="{v}"' for k, v in chosen.items())

    def rpr_children() -> str:
        out = []
        for _ in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["vanish", "specVanish", "color", "color", "b", "other", "comment"]))
            if kind == "comment":
                out.append("<!-- c --><?pi x?>")
            elif kind == "color":
                out.append(f"<{q('color')}{attrs(['val', 'themeColor', 'themeTint', 'themeShade'])}/>")
            elif kind == "other":
                out.append(f"<{q('vanish', other=True)}{attrs(['val'])}/>")
            else:
                out.append(f"<{q(kind)}{attrs(['val'])}/>")
        return "".join(out)

    def style() -> str:
        children = []
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(["basedOn", "basedOn", "pPr", "rPr", "rPr", "name", "nested", "misc"]))
            if kind == "basedOn":
                children.append(f'<{q("basedOn")}{attrs(["val"])}/>' if draw(st.booleans())
                                else f'<{q("basedOn")} w:val="{draw(st.sampled_from(IDS))}"/>')
            elif kind == "pPr":
                inner = []
                for _ in range(draw(st.integers(0, 3))):
                    if draw(st.booleans()):
                        levels = "".join(
                            f"<{q(draw(st.sampled_from(['numId', 'ilvl', 'numId', 'x'])))}"
                            + (f' w:val="{draw(st.sampled_from(["0", "1", "3", "7", ""]))}"/>' if draw(st.booleans())
                               else f"{attrs(['val'])}/>")
                            for _ in range(draw(st.integers(0, 3))))
                        inner.append(f"<{q('numPr')}>{levels}</{q('numPr')}>")
                    else:
                        inner.append(f'<{q("pStyle")} w:val="A"/><{q("rPr")}>{rpr_children()}</{q("rPr")}>')
                children.append(f"<{q('pPr')}>{''.join(inner)}</{q('pPr')}>")
            elif kind == "rPr":
                children.append(f"<{q('rPr')}>{rpr_children()}</{q('rPr')}>")
            elif kind == "name":
                children.append(f'<{q("name")} w:val="n"/>')
            elif kind == "nested":
                children.append(f'<{q("style")} w:styleId="{draw(st.sampled_from(IDS))}"><{q("rPr")}>'
                                f"<{q('vanish')}/></{q('rPr')}></{q('style')}>")
            else:
                children.append("<!-- x --><?y z?>")
        return "".join(children)

    root_children = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["style", "style", "style", "style", "docDefaults", "latent", "other_style",
                                     "junk"]))
        if kind in ("style", "other_style"):
            style_id = draw(st.sampled_from(IDS + [None]))
            id_attr = f' w:styleId="{style_id}"' if style_id is not None else ""
            type_ = draw(st.sampled_from(["paragraph", "character", "numbering", "table", "", None]))
            type_attr = f' w:type="{type_}"' if type_ is not None else ""
            default = draw(st.sampled_from([None, "1", "true", "on", "0", "false", "On"]))
            default_attr = f' w:default="{default}"' if default is not None else ""
            name = q("style", other=kind == "other_style")
            root_children.append(f"<{name}{id_attr}{type_attr}{default_attr}{attrs(['customStyle'])}>{style()}"
                                 f"</{name}>")
        elif kind == "docDefaults":
            layout = draw(st.sampled_from(["plain", "plain", "no rPrDefault", "two", "rPr direct"]))
            if layout == "plain":
                inner = f"<{q('rPrDefault')}><{q('rPr')}>{rpr_children()}</{q('rPr')}></{q('rPrDefault')}>"
            elif layout == "two":
                inner = "".join(f"<{q('rPrDefault')}><{q('rPr')}>{rpr_children()}</{q('rPr')}>"
                                f"<{q('rPr')}>{rpr_children()}</{q('rPr')}></{q('rPrDefault')}>" for _ in range(2))
            elif layout == "rPr direct":
                inner = f"<{q('rPr')}>{rpr_children()}</{q('rPr')}>"
            else:
                inner = f"<{q('pPrDefault')}/>"
            root_children.append(f"<{q('docDefaults')}>{inner}</{q('docDefaults')}>")
        elif kind == "latent":
            root_children.append(f"<{q('latentStyles')}>" + "".join(
                f'<{q("lsdException")} w:name="n{i}" w:uiPriority="9"/>' for i in range(draw(st.integers(0, 4))))
                + f"<{q('style')} w:styleId=\"A\"><{q('rPr')}><{q('vanish')}/></{q('rPr')}></{q('style')}>"
                + f"</{q('latentStyles')}>")
        else:
            root_children.append("<!-- top --><?top level?>\n\t")
    if draw(st.booleans()):  # the same namespace through a second prefix: duplicate attributes become possible
        hostile = True
        a_uri = uri
    else:
        a_uri = STRICT_W if uri == W else W
    element_decl = f'xmlns:{element_prefix}="{uri}"' if element_prefix else f'xmlns="{uri}"'
    declarations = f'{element_decl} xmlns:a="{a_uri}" xmlns:o="{OTHER}"'
    if element_prefix != "w":
        declarations += f' xmlns:w="{uri}"'
    root = q("styles")
    return f"{DECL}<{root} {declarations}>{''.join(root_children)}</{root}>", hostile


@DIFFERENTIAL
@given(styles_parts())
def test_generated_styles_parts_give_the_same_sheet(part):
    styles_xml, hostile = part
    assert_same(styles_xml, must_read=not hostile)


def test_the_generator_reaches_what_it_claims():
    """Guard against a strategy that never builds the interesting cases: a few fixed parts, one per case."""
    parts = {
        "chain and cycle": '<w:style w:styleId="A"><w:basedOn w:val="B"/><w:rPr><w:vanish/></w:rPr></w:style>'
                           '<w:style w:styleId="B"><w:basedOn w:val="A"/><w:rPr><w:color w:val="FF0000"/>'
                           '</w:rPr></w:style>',
        "default paragraph": '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:rPr>'
                             '<w:color w:themeColor="accent1" w:themeTint="99"/></w:rPr></w:style>',
        "numbering style": '<w:style w:type="numbering" w:styleId="ListStyle"><w:pPr><w:numPr><w:ilvl w:val="1"/>'
                           '<w:numId w:val="7"/><w:numId w:val="8"/></w:numPr></w:pPr></w:style>',
        "colour then theme": '<w:style w:styleId="C"><w:rPr><w:color w:themeColor="accent2"/><w:color w:val="00FF00"/>'
                             '<w:specVanish w:val="0"/><w:vanish/></w:rPr></w:style>',
        "defaults twice": '<w:docDefaults><w:rPrDefault><w:rPr><w:vanish/></w:rPr></w:rPrDefault></w:docDefaults>'
                          '<w:docDefaults><w:rPrDefault><w:rPr><w:color w:val="0000FF"/></w:rPr></w:rPrDefault>'
                          '</w:docDefaults>',
    }
    for case, inner in parts.items():
        xml = f'{DECL}<w:styles xmlns:w="{W}">{inner}</w:styles>'
        reference, compiled = sheets(xml)
        assert isinstance(compiled, StyleSheet), case
        assert facts(compiled, IDS) == facts(reference, IDS), case
    reference, _ = sheets(f'{DECL}<w:styles xmlns:w="{W}">{parts["chain and cycle"]}</w:styles>')
    assert reference.style_look("A").hidden is True and reference.style_look("A").colour == ("FF0000", None, None, None)
    reference, _ = sheets(f'{DECL}<w:styles xmlns:w="{W}">{parts["numbering style"]}</w:styles>')
    assert reference.numbering_style_num_id("ListStyle") == "7"


# --- hostile and unusual parts --------------------------------------------------------------------------

PLAIN = f'<w:styles xmlns:w="{W}"><w:style w:styleId="A"><w:rPr><w:vanish/></w:rPr></w:style></w:styles>'
HOSTILE = {
    "doctype": f'{DECL}<!DOCTYPE w:styles [<!ENTITY e "x">]>{PLAIN}',
    "cdata": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="A"><![CDATA[x]]></w:style></w:styles>',
    "unknown entity": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="&e;"/></w:styles>',
    "undeclared prefix": f'{DECL}<w:styles xmlns:w="{W}"><x:style w:styleId="A"/></w:styles>',
    "undeclared attribute prefix": f'{DECL}<w:styles xmlns:w="{W}"><w:style x:styleId="A"/></w:styles>',
    "mismatched end tag": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="A"></w:styl></w:styles>',
    "attribute twice": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="A" w:styleId="B"/></w:styles>',
    "attribute twice through two prefixes":
        f'{DECL}<w:styles xmlns:w="{W}" xmlns:v="{W}"><w:style w:styleId="A" v:styleId="B"/></w:styles>',
    "cut short": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="A">',
    "two roots": f"{DECL}{PLAIN}{PLAIN}",
    "text outside the root": f"{DECL}x{PLAIN}",
    "utf-16": (DECL.replace("UTF-8", "UTF-16") + PLAIN).encode("utf-16"),
    "latin-1": f'<?xml version="1.0" encoding="ISO-8859-1"?><w:styles xmlns:w="{W}">'
               f'<w:style w:styleId="\xe9"/></w:styles>'.encode("latin-1"),
    "invalid utf-8": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="'.encode() + b'\xff"/></w:styles>',
    "control character": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="\x01"/></w:styles>',
    "'<' in a value": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="a<b"/></w:styles>',
    "deep nesting (lxml's limit)": f'{DECL}<w:styles xmlns:w="{W}">' + "<w:x>" * 300 + "</w:x>" * 300
                                   + "</w:styles>",
    "deeper than the scanner keeps": f'{DECL}<w:styles xmlns:w="{W}"><w:style w:styleId="A">' + "<w:x>" * 210
                                     + "</w:x>" * 210 + "<w:rPr><w:vanish/></w:rPr></w:style></w:styles>",
    "long name": f'{DECL}<w:styles xmlns:w="{W}"><w:{"n" * 2000}/></w:styles>',
    "non-ASCII element name": f'{DECL}<w:styles xmlns:w="{W}"><w:stylé/></w:styles>',
    "unusual namespace name": f'{DECL}<w:styles xmlns:w="{W}" xmlns:z="a b"><w:style/></w:styles>',
    "many namespaces": f'{DECL}<w:styles xmlns:w="{W}">' + "".join(
        f'<w:style xmlns:p{i}="urn:n{i}" w:styleId="S{i}"/>' for i in range(300)) + "</w:styles>",
    # found by scripts/fuzz_wordcount.py: lxml's iterparse (the reference's reader of styles.xml) refuses namespace
    # names that are not URI references, which the parser-target interface used for document.xml accepts
    "namespace name ':'": f'{DECL}<w:styles xmlns:w=":"><w:style w:styleId="A"/></w:styles>',
    "default namespace '>'": f'{DECL}<w:styles xmlns:w="n" xmlns=">"><w:style w:styleId="A"/></w:styles>',
    "namespace name '%zz'": f'{DECL}<w:styles xmlns:w="{W}" xmlns:z="%zz"><w:style w:styleId="A"/></w:styles>',
    "namespace name 'http://[x'": f'{DECL}<w:styles xmlns:w="http://[x"><w:style/></w:styles>',
    "namespace name 'a|b'": f'{DECL}<w:styles xmlns:w="{W}"><w:style xmlns:q="a|b" w:styleId="A"/></w:styles>',
    "xml declaration later": f'{DECL}<w:styles xmlns:w="{W}"><?xml version="1.0"?></w:styles>',
    "empty": "",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_styles_parts_are_handed_back_or_read_the_same(case):
    reference, compiled = sheets(HOSTILE[case])
    if isinstance(reference, tuple):  # refused by the reference: the same refusal, or handed back to it
        assert compiled in (reference, HANDED_BACK), (case, reference, compiled)
    else:
        assert compiled == HANDED_BACK or facts(compiled, IDS) == facts(reference, IDS), case


def test_what_lxml_refuses_the_scanner_hands_back():
    for case in ("unknown entity", "undeclared prefix", "mismatched end tag", "attribute twice",
                 "attribute twice through two prefixes", "cut short", "two roots", "text outside the root",
                 "invalid utf-8", "control character", "'<' in a value", "deep nesting (lxml's limit)", "empty",
                 "namespace name ':'", "default namespace '>'", "namespace name '%zz'", "namespace name 'http://[x'",
                 "namespace name 'a|b'"):
        reference, compiled = sheets(HOSTILE[case])
        assert isinstance(reference, tuple) and reference[0] == "damaged", (case, reference)
        assert compiled == HANDED_BACK, case
    reference, compiled = sheets(HOSTILE["doctype"])
    assert compiled == reference and "document type declaration" in reference[1]


NAME_PIECES = ["http", "urn", "a", "Z9", "+", "-", ".", ":", "//", "/", "@", "!", "$", "'", "(", ")", "*", ",", ";",
               "=", "~", "_", "%", "%41", "%zz", "?", "#", "[", "]", "|", "{", "}", "^", "`", "\\", '"', ">", "1", "80",
               "schemas.openxmlformats.org", "é"]


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(NAME_PIECES), min_size=0, max_size=8), st.booleans())
def test_namespace_names_the_scanner_reads_are_ones_lxml_accepts(pieces, default):
    """iterparse refuses namespace names that are not URI references: the StyleScanner must hand those back."""
    name = "".join(pieces).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    declaration = f'xmlns="{name}"' if default else f'xmlns:q="{name}"'
    reference, compiled = sheets(f'{DECL}<w:styles xmlns:w="{W}" {declaration}><w:style w:styleId="A"/></w:styles>')
    if compiled != HANDED_BACK:
        assert isinstance(reference, StyleSheet), (name, reference)


def test_the_namespace_names_word_writes_are_read():
    for name in (W, STRICT_W, "http://schemas.microsoft.com/office/word/2010/wordml", "urn:schemas-microsoft-com:vml",
                 "urn:schemas-microsoft-com:office:office", "http://www.w3.org/XML/1998/namespace/x",
                 "http://localhost:8080/a/b", ""):
        declaration = f'xmlns="{name}"' if not name else f'xmlns:q="{name}"'
        _, compiled = sheets(f'{DECL}<w:styles xmlns:w="{W}" {declaration}><w:style w:styleId="A"/></w:styles>')
        assert isinstance(compiled, StyleSheet), name


def test_the_element_budget_refuses_the_same_way():
    xml = f'{DECL}<w:styles xmlns:w="{W}">' + '<w:style w:styleId="A"/>' * 50 + "</w:styles>"
    reference, compiled = sheets(xml, SafetyLimits(max_xml_elements=40))
    assert isinstance(reference, tuple) and reference[0] == "too_large"
    assert compiled == reference


def test_a_style_scanner_is_used_once_and_only_when_complete():
    scanner = fast.StyleScanner()
    with pytest.raises(fast.Unsupported, match="not read to its end"):
        scanner.sheet()
    scanner.feed(f"{DECL}{PLAIN}".encode()[:40])
    with pytest.raises(fast.Unsupported, match="not read to its end"):
        scanner.sheet()
    with pytest.raises(RuntimeError, match="initialised once"):
        scanner.__init__()
    broken = fast.StyleScanner()
    with pytest.raises(fast.Unsupported):
        broken.feed(HOSTILE["cdata"].encode())
    with pytest.raises(fast.Unsupported):
        broken.close()
    with pytest.raises(fast.Unsupported, match="not read to its end"):
        broken.sheet()
    bare = fast.StyleScanner.__new__(fast.StyleScanner)
    with pytest.raises(RuntimeError, match="not initialised"):
        bare.feed(b"<a/>")
    with pytest.raises(RuntimeError, match="not initialised"):
        bare.sheet()


@pytest.mark.parametrize("size", [1, 3, 7, 64])
def test_styles_fed_in_small_chunks_read_the_same(size):
    xml = (f'{DECL}<w:styles xmlns:w="{W}"><w:docDefaults><w:rPrDefault><w:rPr><w:color w:val="0000FF"/>'
           '</w:rPr></w:rPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="N&amp;1">'
           '<w:basedOn w:val="B"/><w:rPr><w:vanish w:val="0"/></w:rPr></w:style><w:style w:styleId="B">'
           '<w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style></w:styles>').encode()
    whole = fast.StyleScanner()
    whole.feed(xml)
    whole.close()
    pieces = fast.StyleScanner()
    for at in range(0, len(xml), size):
        pieces.feed(xml[at:at + size])
    pieces.close()
    assert pieces.sheet() == whole.sheet()
    defaults, records, default_paragraph = whole.sheet()
    assert default_paragraph == "N&1" and set(records) == {"N&1", "B"}
    assert records["B"][:4] == ("paragraph", None, "3", None)


# --- whole documents ------------------------------------------------------------------------------------

def body_using_styles(ids: list[str]) -> str:
    paragraphs = []
    for i, style_id in enumerate(ids):
        paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr><w:r><w:rPr>'
                          f'<w:rStyle w:val="{ids[(i + 1) % len(ids)]}"/></w:rPr><w:t>one two</w:t></w:r>'
                          f"<w:r><w:t>three</w:t></w:r></w:p><w:p><w:r><w:t>four</w:t></w:r></w:p>")
    return "".join(paragraphs)


NUMBERING = (f'{DECL}<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="0"><w:numStyleLink w:val="ListStyle"/>'
             '</w:abstractNum><w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/>'
             '<w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:lvlText w:val="(%2) x"/></w:lvl></w:abstractNum>'
             '<w:num w:numId="7"><w:abstractNumId w:val="1"/></w:num><w:num w:numId="1"><w:abstractNumId w:val="0"/>'
             "</w:num><w:num w:numId=\"3\"><w:abstractNumId w:val=\"1\"/></w:num></w:numbering>")


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(styles_parts(), st.lists(st.sampled_from([i for i in IDS if "&" not in i]), min_size=1, max_size=6))
def test_documents_with_generated_styles_count_the_same(part, ids):
    styles_xml, _ = part
    data = docx_bytes(body_using_styles(ids), styles_xml=styles_xml, numbering_xml=NUMBERING)
    assert outcome(data, compiled=True) == outcome(data, compiled=False)


def test_the_corpus_style_parts_are_read_by_the_scanner():
    """Every corpus file's styles.xml: the scanner reads it itself and gives the reference's sheet."""
    read = 0
    for path in sorted(corpus_dir().glob("*.docx")):
        with zipfile.ZipFile(path) as package:
            names = {name.lower(): name for name in package.namelist()}
            if "word/styles.xml" not in names:
                continue
            xml = package.read(names["word/styles.xml"])
        reference, compiled = sheets(xml)
        if isinstance(reference, tuple):
            continue
        assert compiled != HANDED_BACK, path.name
        ids = set(reference.styles)
        assert facts(compiled, ids) == facts(reference, ids), path.name
        read += 1
    assert read > 100
