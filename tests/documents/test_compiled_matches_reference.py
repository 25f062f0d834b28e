"""The compiled fast path (portal/documents/_fastcount.c) against the pure-Python walker, the reference.

- Generated WordprocessingML documents that mix every construct the rules know (nested fields, deletions,
  alternate content, text boxes in tables, entities and character references, CJK, invisible characters,
  runs splitting words, styles that hide or colour, notes, comments, headers, list labels...) give the same
  WordCount, every field of it, and the compiled scanner counts them itself (it hands nothing back). Each
  document is also streamed in tiny chunks, so every token boundary falls between two chunks somewhere.
- Broken, hostile or unusual XML gives the same outcome through `count_words` either way: the same count,
  or the same refusal with the same reason. The scanner must hand back whatever lxml would refuse.
- The character classes and the element budget's count agree with their Python definitions everywhere.
"""
from __future__ import annotations

import io
import re
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.documents import RefusedDocument, SafetyLimits, ooxml, wordcount
from portal.documents.walker import CJK, INVISIBLE
from tests.documents.builders import (
    DECL,
    STRICT_W,
    XMLNS,
    W,
    comments,
    docx_bytes,
    header,
    notes,
    numbering,
    styles,
    theme,
)
from tests.documents.implementations import outcome

BOTH_AT_ONCE = True  # conftest.py: these tests compare the two implementations themselves
fast = wordcount._fastcount
DIFFERENTIAL = settings(max_examples=70, deadline=None, derandomize=True, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_the_compiled_module_is_built():
    assert fast is not None, "run `make install`: it compiles portal/documents/_fastcount.c"


# --- generated documents --------------------------------------------------------------------------------

CHARACTERS = list("abcxyz019 .,-/&<>\"'") + [
    "\u2014", "\u2013", "\u2026", "\u00e9", "\u00a0", "\u3000", "\u2003", "\u202f", "\u0085", "\t", "\n", "\r",
    "\u00ad", "\u200b", "\u200d", "\u202c", "\u2067", "\u061c", "\ufeff", "\u2011",
    "\u65e5", "\u672c", "\u3002", "\u30ab", "\uac00", "\uff21", "\U00020001", "\U0001f600", "\u2e80", "\u1100",
    "\u4dc0", "\ufe30", "\uffdd", "\u180e", "\u2028",
]


@st.composite
def xml_text(draw) -> str:
    """Text escaped for XML, each character written as itself or as a character reference, some as entities."""
    text = draw(st.lists(st.sampled_from(CHARACTERS), max_size=14))
    out = []
    for char in text:
        way = draw(st.integers(0, 5))
        if char in "&<>\"'" or way == 0:
            named = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
            out.append(named[char] if char in named and way else f"&#{ord(char)};" if way < 3 else f"&#x{ord(char):X};")
        elif char == "\r":
            out.append("&#13;")
        else:
            out.append(char)
    return "".join(out)


RPR = ["", "<w:b/>", "<w:vanish/>", '<w:vanish w:val="0"/>', "<w:specVanish/>", '<w:color w:val="0070C0"/>',
       '<w:color w:val="FF0000"/>', '<w:color w:val="auto"/>', '<w:color w:val="000000" w:themeColor="accent6"/>',
       '<w:color w:val="000000" w:themeColor="accent1" w:themeShade="BF"/>', '<w:rStyle w:val="Secret"/>',
       '<w:rStyle w:val="Green"/>', '<w:rStyle w:val="Green"/><w:color w:val="00B050"/>',
       '<w:rStyle w:val="Nope"/>', '<w:rPrChange w:id="1"><w:rPr><w:vanish/></w:rPr></w:rPrChange>',
       "<w:vanish/><w:color w:val=\"0000FF\"/>", '<w:color w:val="0000FF"\n w:themeTint="99"/>']
SYMBOLS = ["F0E0", "0041", "0020", "4E00", "200B", "zz", "", "110000", "-1", " 41 ", "3000"]


@st.composite
def run(draw, deleted: bool = False) -> str:
    """A run: properties, then text, tabs, breaks, hyphens, symbols, note references or field characters."""
    rpr = draw(st.sampled_from(RPR))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 11))
        if kind <= 4:
            tag = "w:delText" if deleted and kind else "w:t"
            space = draw(st.sampled_from(['', ' xml:space="preserve"']))
            parts.append(f"<{tag}{space}>{draw(xml_text())}</{tag}>")
        elif kind == 5:
            separators = ["<w:tab/>", "<w:br/>", '<w:br w:type="page"/>', "<w:cr/>", "<w:ptab/>"]
            parts.append(draw(st.sampled_from(separators)))
        elif kind == 6:
            parts.append(draw(st.sampled_from(["<w:noBreakHyphen/>", "<w:softHyphen/>"])))
        elif kind == 7:
            parts.append(f'<w:sym w:font="Wingdings" w:char="{draw(st.sampled_from(SYMBOLS))}"/>')
        elif kind == 8:
            note = draw(st.sampled_from(["footnote", "endnote"]))
            parts.append(f'<w:{note}Reference w:id="{draw(st.integers(-1, 3))}"/>')
        elif kind == 9:
            parts.append(f'<w:fldChar w:fldCharType="{draw(st.sampled_from(["begin", "separate", "end"]))}"/>')
        elif kind == 10:
            parts.append(f"<w:instrText> PAGE {draw(xml_text())}</w:instrText>")
        else:
            parts.append('<mc:AlternateContent><mc:Choice Requires="w16se"><w16se:symEx xmlns:w16se="urn:x" '
                         'w16se:char="1F600"/></mc:Choice><mc:Fallback><w:t>\U0001F600</w:t></mc:Fallback>'
                         "</mc:AlternateContent>")
    rpr_xml = f"<w:rPr>{rpr}</w:rPr>" if rpr else ""
    return f"<w:r>{rpr_xml}{''.join(parts)}</w:r>"


def field(code: str, result: str | None, end: bool = True) -> str:
    parts = ['<w:r><w:fldChar w:fldCharType="begin"/></w:r>', code]
    if result is not None:
        parts += ['<w:r><w:fldChar w:fldCharType="separate"/></w:r>', result]
    if end:
        parts.append('<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    return "".join(parts)


def textbox(inner: str, requires: str) -> str:
    return ("<w:r><mc:AlternateContent>"
            f'<mc:Choice Requires="{requires}"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
            f"<wps:wsp><wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx></wps:wsp>"
            "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
            f"<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox>"
            "</v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>")


@st.composite
def inline(draw, blocks, depth: int) -> str:
    """What a paragraph holds: runs, fields (nested), tracked changes, hyperlinks, content controls, text boxes,
    equations, ruby, comments..."""
    kind = draw(st.integers(0, 16 if depth < 2 else 4))
    if kind <= 4:
        return draw(run())
    if kind == 5:
        return f'<w:del w:id="1" w:author="x">{draw(run(deleted=True))}{draw(run(deleted=True))}</w:del>'
    if kind == 6:
        tag = draw(st.sampled_from(["w:ins", "w:moveTo", "w:moveFrom"]))
        return f'<{tag} w:id="2" w:author="x">{draw(run(deleted=tag == "w:moveFrom"))}</{tag}>'
    if kind == 7:
        code = draw(st.sampled_from([
            "<w:r><w:instrText> DOCPROPERTY Title </w:instrText></w:r>",
            field("<w:r><w:instrText> MERGEFIELD x </w:instrText></w:r>", draw(run())),
            draw(run()),
        ]))
        result = draw(st.one_of(st.none(), run(), inline(blocks, depth + 1)))
        return field(code, result, end=draw(st.integers(0, 5)) > 0)
    if kind == 8:
        return f'<w:fldSimple w:instr=" PAGE ">{draw(run())}</w:fldSimple>'
    if kind == 9:
        return f'<w:hyperlink r:id="rId9">{draw(run())}{draw(run())}</w:hyperlink>'
    if kind == 10:
        return (f'<w:sdt><w:sdtPr><w:alias w:val="A"/><w:rPr><w:vanish/></w:rPr></w:sdtPr><w:sdtContent>'
                f"{draw(run())}</w:sdtContent></w:sdt>")
    if kind == 11:
        requires = draw(st.sampled_from(["wps", "wps w14", "w16se", "", "wpg wpc"]))
        return textbox(draw(blocks(depth + 1)), requires)
    if kind == 12:
        return f'<w:r><w:pict><v:shape><v:textbox><w:txbxContent>{draw(blocks(depth + 1))}</w:txbxContent>' \
               "</v:textbox></v:shape></w:pict></w:r>"
    if kind == 13:
        return f"<m:oMath><m:r><m:t>{draw(xml_text())}</m:t></m:r></m:oMath>"
    if kind == 14:
        return (f"<w:r><w:ruby><w:rt><w:r><w:t>{draw(xml_text())}</w:t></w:r></w:rt><w:rubyBase>{draw(run())}"
                "</w:rubyBase></w:ruby></w:r>")
    if kind == 15:
        return draw(st.sampled_from(["<!-- a comment -->", "<?pi some data?>", '<w:bookmarkStart w:id="0"/>',
                                     '<w:commentRangeStart w:id="0"/>', "\n  "]))
    return f"<w:smartTag>{draw(run())}</w:smartTag>"


PPR = ["", '<w:pPr><w:pStyle w:val="SecretPara"/></w:pPr>', '<w:pPr><w:pStyle w:val="ChildOfSecret"/></w:pPr>',
       '<w:pPr><w:pStyle w:val="BluePara"/></w:pPr>', '<w:pPr><w:pStyle w:val="ListBullet"/></w:pPr>',
       '<w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr>',
       '<w:pPr><w:numPr><w:numId w:val="2"/></w:numPr></w:pPr>', '<w:pPr><w:numPr><w:ilvl w:val="x"/>'
       '<w:numId w:val="1"/></w:numPr></w:pPr>', "<w:pPr><w:rPr><w:vanish/></w:rPr></w:pPr>",
       '<w:pPr><w:rPr><w:del w:id="5" w:author="x"/></w:rPr></w:pPr>',
       '<w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>',
       '<w:pPr><w:sectPr><w:headerReference w:type="first" r:id="rIdH1"/></w:sectPr></w:pPr>',
       '<w:pPr><w:pPrChange w:id="3"><w:pPr><w:pStyle w:val="SecretPara"/></w:pPr></w:pPrChange></w:pPr>']


def blocks_strategy(depth: int = 0):
    @st.composite
    def blocks(draw, level: int = depth) -> str:
        out = []
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.integers(0, 6 if level < 2 else 3))
            if kind <= 3:
                content = "".join(draw(inline(blocks, level)) for _ in range(draw(st.integers(0, 4))))
                ppr = draw(st.sampled_from(PPR))
                if draw(st.integers(0, 6)) == 0:  # properties after runs: the paragraph is ready twice
                    out.append(f"<w:p>{content}{ppr}</w:p>")
                else:
                    out.append(f"<w:p>{ppr}{content}</w:p>")
            elif kind <= 5:
                rows = "".join("<w:tr>" + "".join(f"<w:tc>{draw(blocks(level + 1))}</w:tc>"
                                                  for _ in range(draw(st.integers(1, 2)))) + "</w:tr>"
                               for _ in range(draw(st.integers(1, 2))))
                out.append(f"<w:tbl><w:tblPr/>{rows}</w:tbl>")
            else:
                out.append(f"<w:sdt><w:sdtContent>{draw(blocks(level + 1))}</w:sdtContent></w:sdt>")
        return "".join(out)
    return blocks


STYLES = styles(
    '<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="character" w:styleId="Green"><w:rPr><w:color w:val="00B050"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="SecretPara"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="ChildOfSecret"><w:basedOn w:val="SecretPara"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="BluePara"><w:rPr><w:color w:val="0000FF"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="ListBullet"><w:pPr><w:numPr><w:numId w:val="2"/></w:numPr></w:pPr>'
    "</w:style>", defaults='<w:color w:val="C00000"/>')
NUMBERING = numbering(
    '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1.%2) \u65e5"/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="\uf0b7"/>'
    "</w:lvl></w:abstractNum>"
    '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>')


@st.composite
def documents(draw) -> bytes:
    blocks = blocks_strategy()
    body = draw(blocks())
    note_bodies = {1: draw(blocks(1)), 2: draw(blocks(2)), 3: "<w:p/>"}
    kwargs = dict(
        footnotes=notes("footnote", note_bodies) if draw(st.booleans()) else None,
        endnotes=notes("endnote", {1: draw(blocks(2))}) if draw(st.booleans()) else None,
        comments_xml=comments({0: draw(blocks(2))}) if draw(st.booleans()) else None,
        headers={"rIdH1": header(draw(blocks(1))), "rIdF1": header(draw(blocks(2)), "ftr")},
        sect_pr=draw(st.sampled_from(['<w:headerReference w:type="default" r:id="rIdH1"/>'
                                      '<w:footerReference w:type="even" r:id="rIdF1"/>', ""])),
        styles_xml=STYLES if draw(st.integers(0, 4)) else None,
        numbering_xml=NUMBERING if draw(st.integers(0, 4)) else None,
        theme_xml=theme({"accent1": "00B050", "accent6": "FF0000"}) if draw(st.booleans()) else None,
        namespace=STRICT_W if draw(st.integers(0, 9)) == 0 else None,
    )
    if kwargs["namespace"] is None:
        del kwargs["namespace"]
    return docx_bytes(body, **kwargs)


def chunked(size: int | None):
    return mock.patch.object(ooxml, "CHUNK", size) if size else mock.patch.object(ooxml, "CHUNK", ooxml.CHUNK)


@DIFFERENTIAL
@given(documents(), st.sampled_from([None, None, None, 3, 5, 13, 200]))
def test_generated_documents_count_the_same_in_both(data, chunk):
    with chunked(chunk):
        reference = wordcount.count_docx(io.BytesIO(data), ooxml.DEFAULT_LIMITS, None)
        compiled = wordcount.count_docx(io.BytesIO(data), ooxml.DEFAULT_LIMITS, fast)  # never hands back here
    assert compiled.as_dict() == reference.as_dict()


# --- broken, hostile and unusual XML ---------------------------------------------------------------------

def handed_back(data: bytes, limits: SafetyLimits = ooxml.DEFAULT_LIMITS) -> bool:
    try:
        wordcount.count_docx(io.BytesIO(data), limits, fast)
    except fast.Unsupported:
        return True
    except RefusedDocument:
        pass
    return False


BODY = '<w:p><w:r><w:t xml:space="preserve">Some words &amp; more</w:t></w:r></w:p>'


def part(inside: str = BODY, *, before: str = DECL, root: str = f"<w:document {XMLNS}>", after: str = "") -> bytes:
    return f"{before}{root}<w:body>{inside}</w:body></w:document>{after}".encode()


HANDED_BACK = {
    "doctype after the prolog check": part(before=DECL + "<!-- c -->" * 30_000 + "<!DOCTYPE x>"),
    "cdata": part('<w:p><w:r><w:t><![CDATA[a < b]]></w:t></w:r></w:p>'),
    "latin-1 declared": part('<w:p><w:r><w:t>caf\xe9</w:t></w:r></w:p>',
                             before='<?xml version="1.0" encoding="ISO-8859-1"?>').replace(b"\xc3\xa9", b"\xe9"),
    "unknown entity": part("<w:p><w:r><w:t>&nbsp;</w:t></w:r></w:p>"),
    "entity without a semicolon": part("<w:p><w:r><w:t>&amp</w:t></w:r></w:p>"),
    "bare ampersand": part("<w:p><w:r><w:t>a & b</w:t></w:r></w:p>"),
    "character reference to a control character": part("<w:p><w:r><w:t>&#1;</w:t></w:r></w:p>"),
    "huge character reference": part("<w:p><w:r><w:t>&#x110000;</w:t></w:r></w:p>"),
    "upper-case X in a reference": part("<w:p><w:r><w:t>&#X41;</w:t></w:r></w:p>"),
    "mismatched end tag": part("<w:p><w:r><w:t>a</w:r></w:t></w:p>"),
    "unclosed": part("<w:p><w:r><w:t>a</w:t></w:r>"),
    "truncated": part()[:-5],
    "undeclared element prefix": part("<x:p/>"),
    "undeclared attribute prefix": part('<w:p x:y="1"/>'),
    "attribute twice": part('<w:p w:a="1" w:a="2"/>'),
    "attribute twice through two prefixes": part('<w:p xmlns:v2="http://schemas.openxmlformats.org/wordprocessingml/'
                                                 '2006/main" w:rsid="1" v2:rsid="2"/>'),
    "no space between attributes": part('<w:p w:a="1"w:b="2"/>'),
    "unquoted attribute": part("<w:p w:a=1/>"),
    "less-than in an attribute": part('<w:p w:a="<"/>'),
    "]]> in text": part("<w:p><w:r><w:t>a ]]> b</w:t></w:r></w:p>"),
    "control character": part("<w:p><w:r><w:t>a\x01b</w:t></w:r></w:p>"),
    "invalid UTF-8": part("<w:p><w:r><w:t>x</w:t></w:r></w:p>").replace(b">x<", b">a\xff b<"),
    "UTF-8 cut short": part("<w:p><w:r><w:t>x</w:t></w:r></w:p>").replace(b">x<", b">a\xe6\x97<"),
    "overlong UTF-8": part("<w:p><w:r><w:t>x</w:t></w:r></w:p>").replace(b">x<", b">\xc0\xaf<"),
    "UTF-8 surrogate": part("<w:p><w:r><w:t>x</w:t></w:r></w:p>").replace(b">x<", b">\xed\xa0\x80<"),
    "U+FFFE": part("<w:p><w:r><w:t>\ufffe</w:t></w:r></w:p>"),
    "two roots": part(after="<w:document/>"),
    "text after the root": part(after="words"),
    "text before the root": part(before=DECL + "words"),
    "declaration not at the start": part(before="\n" + DECL),
    "declaration twice": part(before=DECL + DECL),
    "version 1.1": part(before='<?xml version="1.1"?>'),
    "double hyphen in a comment": part("<!-- a -- b -->" + BODY),
    "non-ASCII element name": part("<w:p><w:é/></w:p>"),
    "reserved processing instruction": part("<?XML x?>" + BODY),
    "utf-16": (f'<?xml version="1.0" encoding="UTF-16"?><w:document {XMLNS}><w:body>{BODY}</w:body>'
               "</w:document>").encode("utf-16"),
    "white space only": b"  \n",
    "prefix bound to nothing": part('<w:p xmlns:q=""/>'),
    "nesting deeper than the scanner keeps": part("<w:sdt><w:sdtContent>" * 150 + BODY
                                                  + "</w:sdtContent></w:sdt>" * 150),
    "nesting deeper than libxml2 allows": part("<w:sdt><w:sdtContent>" * 300 + BODY
                                               + "</w:sdtContent></w:sdt>" * 300),
    "over the scanner's token cap": part(f'<w:p w:a="{"x" * (1 << 21)}"/>'),
    "text node over the scanner's cap": part(f"<w:p><w:r><w:t>{'x ' * (1 << 20)}</w:t></w:r></w:p>"),
    "namespace name over the scanner's cap": part(f'<w:p xmlns:q="urn:{"x" * 5000}"/>'),
}
READ = {
    "byte order mark": b"\xef\xbb\xbf" + part(),
    "no declaration": part(before=""),
    "declaration with single quotes and standalone":
        part(before="<?xml version='1.0' encoding='utf-8' standalone='no'?>"),
    "comments and processing instructions everywhere": part("<!-- x --><?pi y?>" + BODY, before=DECL + "<!--a--><?p?>",
                                                            after="<!-- end -->\n<?p z?>  \n"),
    "character references": part("<w:p><w:r><w:t>&#104;&#x65;llo&#x3000;w&#111;rld&#xFEFF;!</w:t></w:r></w:p>"),
    "line ends in attributes": part('<w:p><w:pPr><w:pStyle w:val="a\r\nb"/></w:pPr><w:r><w:t>x</w:t></w:r></w:p>'),
    "CRLF text": part("<w:p><w:r><w:t>a\r\nb\rc</w:t></w:r></w:p>"),
    "greater-than in text and attributes": part('<w:p w:x="a>b"><w:r><w:t>a > b</w:t></w:r></w:p>'),
    "default namespace": f'{DECL}<document xmlns="{XMLNS.split(chr(34))[1]}" {XMLNS}><body>{BODY}</body>'
                         "</document>".encode(),
    "a prefix redeclared inside": part('<w:p xmlns:w="urn:other"><w:r><w:t>hidden from the rules</w:t></w:r></w:p>'
                                       + BODY),
    "white space inside tags": part('<w:p ><w:r\n><w:t\txml:space = "preserve" >a b</w:t ></w:r></w:p\n>'),
    "empty root": f"{DECL}<w:document {XMLNS}/>".encode(),
    "root in mc: (the reference failed on it with a ValueError)":
        f'{DECL}<mc:AlternateContent {XMLNS}><mc:Fallback>{BODY}</mc:Fallback></mc:AlternateContent>'.encode(),
    "root in the strict namespace": part(root=f'<w:document {XMLNS.replace(W, STRICT_W)}>'),
}


@pytest.mark.parametrize("name", sorted(HANDED_BACK))
def test_xml_the_scanner_does_not_read_goes_to_the_reference_with_the_same_outcome(name):
    data = docx_bytes("", document_xml=HANDED_BACK[name])
    assert handed_back(data), "the compiled scanner counted what it must hand back"
    assert outcome(data, compiled=True) == outcome(data, compiled=False)


@pytest.mark.parametrize("name", sorted(READ))
def test_unusual_but_plain_xml_is_read_by_the_scanner_with_the_same_outcome(name):
    data = docx_bytes("", document_xml=READ[name])
    assert not handed_back(data)
    assert outcome(data, compiled=True) == outcome(data, compiled=False)


@pytest.mark.parametrize("limits", [SafetyLimits(max_xml_elements=3_000), SafetyLimits(max_decompressed_bytes=60_000),
                                    SafetyLimits(max_xml_depth=5), SafetyLimits(max_xml_depth=12)])
def test_safety_limits_refuse_the_same_in_both(limits):
    body = ("<w:tbl><w:tr><w:tc>" * 3 + BODY * 1000 + "</w:tc></w:tr></w:tbl>" * 3)
    data = docx_bytes(body)
    assert outcome(data, compiled=True, limits=limits) == outcome(data, compiled=False, limits=limits)


FRAGMENTS = [b"<", b">", b"/>", b"</w:p>", b"<w:p>", b"<w:r>", b"</w:r>", b"&", b"&amp;", b"&#", b"&#x41;", b";", b'"',
             b"'", b"=", b"]]>", b"<!--", b"-->", b"<?", b"?>", b"<![CDATA[", b"<!DOCTYPE x>", b"x:", b"xmlns:z='u'",
             b" w:val='1'", b"\x00", b"\x0b", b"\xff", b"\xc3", "\ufffe".encode(), "é".encode(), "日".encode(), b"\r\n",
             b" ", b"<w:t>", b"</w:t>", b"<w:del>", b"</w:del>", b'<w:fldChar w:fldCharType="begin"/>',
             b"<mc:Fallback>", b"</mc:AlternateContent>", b"<w:txbxContent>", b"<?xml version='1.0'?>",
             b"xmlns:w='urn:x'"]


@settings(max_examples=70, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents(), st.lists(st.tuples(st.floats(0, 1), st.sampled_from(FRAGMENTS)), min_size=1, max_size=4),
       st.sampled_from([None, None, 7]))
def test_broken_documents_give_the_same_outcome_in_both(data, insertions, chunk):
    """Fragments of markup inserted anywhere in a generated document.xml: counted the same or refused the same."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("word/document.xml")
    for where, fragment in insertions:
        at = int(where * len(xml))
        xml = xml[:at] + fragment + xml[at:]
    broken = docx_bytes("", document_xml=xml)
    with chunked(chunk):
        assert outcome(broken, compiled=True) == outcome(broken, compiled=False)


# --- the building blocks ----------------------------------------------------------------------------------

def test_character_classes_match_the_python_rules_for_every_code_point():
    cjk, space = re.compile(f"[{CJK}]"), re.compile(r"\s")
    for code in range(0x110000):
        char = chr(code)
        expected = 0 if code in INVISIBLE else 2 if cjk.match(char) else 1 if space.match(char) else 3
        assert fast.classify(code) == expected, hex(code)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from([b"<", b"/", b"?", b"!", b"a", b"<!", b"</", b"<?", b">"]), max_size=40))
def test_the_element_budget_counts_the_same(pieces):
    chunk = b"".join(pieces)
    assert fast.opening_tags(chunk) == ooxml.opening_tags(chunk)
