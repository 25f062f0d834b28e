"""The fast scanner (portal.documents.scanner) against the reference walker: same counts, same text, same
refusals, on odd but valid XML too; what it does not handle goes back to the reference; memory stays flat."""
from __future__ import annotations

import io
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.documents import RefusedDocument, count_words, document_text
from portal.documents.ooxml import DEFAULT_LIMITS
from portal.documents.scanner import NeedsReference
from portal.documents.wordcount import _count_docx
from tests.documents.builders import (
    DECL,
    NAMESPACES,
    XMLNS,
    W,
    comments,
    docx_bytes,
    header,
    note_reference,
    notes,
    numbering,
    p,
    paragraphs,
    r,
    styles,
    table,
    textbox,
)

MIB = 1024 * 1024


def both(data: bytes) -> tuple:
    """(count, text) by the fast path and by the reference walker, or the refusal code of each."""
    results = []
    for reference in (False, True):
        try:
            results.append((count_words(io.BytesIO(data), reference=reference).as_dict(),
                            document_text(io.BytesIO(data), reference=reference)))
        except RefusedDocument as refusal:
            results.append(refusal.code)
    return tuple(results)


def agree(data: bytes):
    fast, reference = both(data)
    assert fast == reference
    return fast


def scanned(data: bytes) -> bool:
    """Did the scanner read this document itself (rather than hand it back to the reference walker)?"""
    try:
        _count_docx(io.BytesIO(data), DEFAULT_LIMITS, fast=True)
    except NeedsReference:
        return False
    return True


def raw(body: str, root: str = f"<w:document {XMLNS}>", close: str = "</w:document>", body_tag: str = "w:body",
        decl: str = DECL) -> bytes:
    return docx_bytes("", document_xml=f"{decl}{root}<{body_tag}>{body}</{body_tag}>{close}")


FIELD = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
         '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>12</w:t></w:r>'
         '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
STYLES = styles('<w:style w:type="character" w:styleId="Hide"><w:rPr><w:vanish/></w:rPr></w:style>'
                '<w:style w:type="paragraph" w:styleId="List"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr>'
                '<w:rPr><w:color w:val="00B050"/></w:rPr></w:style>')
NUMBERING = numbering('<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/>'
                      '<w:lvlText w:val="%1."/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/>'
                      '</w:num>')

# Body fragments covering every rule, combined at random below.
FRAGMENTS = [
    paragraphs("Hello world", "well-known e.g. and/or", "日本語abc", "co\u00adoperate \u200bzero"),
    p(r("hel"), r("lo", "<w:b/><w:sz w:val=\"20\"/>"), r(" there", '<w:color w:val="0070C0"/>')),
    p(r("direct hidden", "<w:vanish/>"), r("styled hidden", '<w:rStyle w:val="Hide"/>'), r(" shown")),
    p(r("para"), ppr='<w:pPr><w:pStyle w:val="List"/><w:rPr><w:vanish/></w:rPr></w:pPr>'),
    p(r("numbered"), ppr='<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'),
    p(r("before "), FIELD, r(" after")),
    p('<w:fldSimple w:instr=" DATE "><w:r><w:t>1 January 2026</w:t></w:r></w:fldSimple>'),
    p(r("a"), '<w:del w:id="1" w:author="x"><w:r><w:delText>gone words</w:delText></w:r></w:del>', r("b")),
    p('<w:ins w:id="2" w:author="x"><w:r><w:t>inserted text</w:t></w:r></w:ins>',
      '<w:moveFrom w:id="3" w:author="x"><w:r><w:t>moved away</w:t></w:r></w:moveFrom>'),
    p(r("anchor"), textbox(paragraphs("inside the box")), r("ed")),
    table(["cell one", "cell two"], [table(["nested cell"]), p(r("x"))]),
    p("<w:r><w:t>tab</w:t><w:tab/><w:t>bed</w:t><w:br/><w:t>broken</w:t><w:noBreakHyphen/><w:t>x</w:t></w:r>",
      '<w:r><w:sym w:font="Symbol" w:char="F0E0"/></w:r>'),
    p('<w:r><w:rPr><w:rPrChange w:id="4" w:author="x"><w:rPr><w:color w:val="FF0000"/></w:rPr></w:rPrChange>'
      '</w:rPr><w:t>changed format</w:t></w:r>'),
    '<w:sdt><w:sdtPr><w:alias w:val="Name"/><w:text/></w:sdtPr><w:sdtContent>'
    + paragraphs("content control") + "</w:sdtContent></w:sdt>",
    p('<m:oMathPara><m:oMath><m:r><m:t>x=1</m:t></m:r></m:oMath></m:oMathPara>', r(" equation")),
    p('<w:r><w:ruby><w:rubyPr/><w:rt><w:r><w:t>guide</w:t></w:r></w:rt><w:rubyBase><w:r><w:t>base</w:t></w:r>'
      "</w:rubyBase></w:ruby></w:r>"),
    p(r("noted"), note_reference("footnote", 1), r(" and"), note_reference("endnote", 1)),
    p("<w:r><w:t>a</w:t><w:t>b</w:t></w:r>",
      '<w:r><w:t xml:space="preserve"> c &amp; d &lt;e&gt; &#x41;&#66;</w:t></w:r>'),
    p('<w:r><w:rPr><w:color w:val="000000" w:themeColor="accent1"/></w:rPr><w:t>themed</w:t></w:r>'),
    "<w:p/><w:p><w:r/></w:p><w:p><w:pPr/><w:r><w:rPr/><w:t/></w:r></w:p>",
    p('<w:r><w:drawing><wp:inline><a:graphic><a:graphicData><a:p><a:r><a:t>drawing text</a:t></a:r></a:p>'
      "</a:graphicData></a:graphic></wp:inline></w:drawing><w:t>after drawing</w:t></w:r>"),
    p("<w:r><w:t>bold<w:b/>inner</w:t></w:r>", "<w:r><w:b></w:b><w:t>empty element written long</w:t></w:r>"),
    p('<w:r><w:t xml:space="preserve">line\r\nends\rhere\n</w:t></w:r>'),
    p("<w:r><w:rPr><w:color w:val='FF0000'/></w:rPr><w:t>single quoted</w:t></w:r>"),
    '\n  <w:p>\n    <w:r>\n      <w:rPr>\n        <w:b/>\n      </w:rPr>\n      <w:t>pretty printed</w:t>\n    </w:r>\n'
    "  </w:p>\n",
]
EXTRAS = dict(styles_xml=STYLES, numbering_xml=NUMBERING,
              footnotes=notes("footnote", {1: paragraphs("the footnote")}),
              endnotes=notes("endnote", {1: paragraphs("the endnote")}),
              comments_xml=comments({0: paragraphs("a comment")}),
              headers={"rIdH1": header(paragraphs("Running head"))},
              sect_pr='<w:headerReference w:type="default" r:id="rIdH1"/>')


@pytest.mark.parametrize("index", range(len(FRAGMENTS)))
def test_each_rule_fragment_scans_like_the_reference(index):
    data = docx_bytes(FRAGMENTS[index], **EXTRAS)
    assert scanned(data)
    assert isinstance(agree(data)[0], dict)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8))
def test_any_mix_of_fragments_scans_like_the_reference(parts):
    agree(docx_bytes("".join(parts), **EXTRAS))


W_BODY = p(r("plain words"), r(" more", '<w:color w:val="0070C0"/>')) + table(["in a table"])


@pytest.mark.parametrize(("data", "fast"), [
    # other prefixes and a default namespace: names are resolved, not matched as text
    (raw(W_BODY.replace("w:", "ns0:").replace("r:id", "ns1:id"),
         root=f'<ns0:document xmlns:ns0="{W}" xmlns:ns1="{NAMESPACES["r"]}">', close="</ns0:document>",
         body_tag="ns0:body"), True),
    (raw(W_BODY.replace("w:", ""), root=f'<document xmlns="{W}">', close="</document>", body_tag="body"), True),
    # a harmless declaration below the root (a foreign prefix; the same binding again)
    (raw(p(r("x"), '<w:r><a:graphic xmlns:a="urn:other"><a:t>no</a:t></a:graphic><w:t>y</w:t></w:r>',
           f'<w:r xmlns:w="{W}"><w:t>z</w:t></w:r>')), True),
    # what the scanner hands back: declarations touching the walker's namespaces, comments, CDATA, PIs,
    # '>' inside attribute values, other encodings
    (raw(p(r("x"), f'<q:r xmlns:q="{W}"><q:t>counted</q:t></q:r>')), False),
    (raw(p(r("x"), '<w:r xmlns:w="urn:not-word"><w:t>not counted</w:t></w:r>')), False),
    (raw(p(r("x")) + "<!-- <w:p><w:r><w:t>commented out</w:t></w:r></w:p> -->" + p(r("y")))
     , False),
    (raw(p("<w:r><w:t><![CDATA[a <b> c]]></w:t></w:r>")), False),
    (raw(p(r("x")) + "<?mso-application progid?>" + p(r("y"))), False),
    (raw(p('<w:r><w:rPr><w:color w:val="a>b"/></w:rPr><w:t>odd attribute</w:t></w:r>')), False),
    (raw(p(r("latin1 caf\u00e9")), decl='<?xml version="1.0" encoding="ISO-8859-1"?>'), False),
])
def test_odd_but_valid_xml_counts_like_the_reference(data, fast):
    assert scanned(data) is fast
    assert isinstance(agree(data)[0], dict)


def test_utf16_part_is_handed_back_and_counted():
    xml = f'<?xml version="1.0" encoding="UTF-16"?><w:document {XMLNS}><w:body>{W_BODY}</w:body></w:document>'
    data = docx_bytes("", document_xml=xml.encode("utf-16"))
    assert not scanned(data)
    assert agree(data)[0]["total"] == 6


@pytest.mark.parametrize("body", [
    p("<w:r><w:t>unclosed</w:r>"), p(r("x")) + "</w:p>", p("<w:r><w:t>&nbsp;</w:t></w:r>"),
    p("<w:r><w:t>&#0;</w:t></w:r>"), p("<w:r><w:t>\x01</w:t></w:r>"), p('<w:r><w:t w:a="1" w:a="2">x</w:t></w:r>'),
])
def test_malformed_xml_is_refused_as_the_reference_refuses_it(body):
    assert agree(raw(body)) == "damaged"


def test_text_longer_than_a_chunk_with_references_and_multibyte_characters():
    text = ("caf\u00e9 na\u00efve &amp; \u65e5\u672c &#x1F600; " * 9000)  # ~230 KB in one w:t
    data = raw(f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>')
    assert scanned(data)
    count, _ = agree(data)
    assert count["total"] == 9000 * 6


def test_element_and_depth_limits_hold_on_the_fast_path():
    from portal.documents import SafetyLimits

    with pytest.raises(RefusedDocument) as caught:
        count_words(io.BytesIO(docx_bytes(paragraphs(*["x"] * 5000))), limits=SafetyLimits(max_xml_elements=10_000))
    assert caught.value.code == "too_large"
    deep = "<w:sdt><w:sdtContent>" * 1200 + p(r("deep")) + "</w:sdtContent></w:sdt>" * 1200
    with pytest.raises(RefusedDocument) as caught:
        _count_docx(io.BytesIO(raw(deep)), DEFAULT_LIMITS, fast=True)
    assert caught.value.code == "too_large"


def synthetic(words: int) -> bytes:
    sentence = "The learner reflects on leadership styles and their effect on team performance today."
    per = len(sentence.split())
    return docx_bytes(paragraphs(*[sentence] * (words // per)))


def peak_mib(data: bytes) -> float:
    tracemalloc.start()
    try:
        count_words(io.BytesIO(data))
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def test_peak_memory_stays_flat_as_the_document_grows():
    small, large = synthetic(2_000), synthetic(40_000)
    small_peak, large_peak = peak_mib(small), peak_mib(large)
    assert large_peak < 1.0, f"{large_peak:.2f} MiB for 40,000 words"
    assert large_peak < small_peak + 0.25, f"{small_peak:.2f} -> {large_peak:.2f} MiB"
