"""Memory stays flat as a document grows, and small parts (styles, numbering) are read by lxml's own filter
under the same limits."""
from __future__ import annotations

import io
import tracemalloc

import pytest

from portal.documents import RefusedDocument, SafetyLimits, count_words
from portal.documents.ooxml import DEFAULT_LIMITS, Package
from tests.documents.builders import XMLNS, W, docx_bytes, p, paragraphs, r, styles

MIB = 1024 * 1024


def synthetic(words: int) -> bytes:
    sentence = "The learner reflects on leadership styles and their effect on team performance today."
    return docx_bytes(paragraphs(*[sentence] * (words // len(sentence.split()))))


def peak_mib(data: bytes) -> float:
    tracemalloc.start()
    try:
        count_words(io.BytesIO(data))
        return tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def test_peak_memory_stays_flat_as_the_document_grows():
    small_peak, large_peak = peak_mib(synthetic(2_000)), peak_mib(synthetic(40_000))
    assert large_peak < 1.0, f"{large_peak:.2f} MiB for 40,000 words"
    assert large_peak < small_peak + 0.25, f"{small_peak:.2f} -> {large_peak:.2f} MiB"


STYLE_PART = styles(
    '<w:latentStyles><w:lsdException w:name="Normal"/></w:latentStyles>'
    '<w:style w:type="character" w:styleId="Hide"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:other><w:style w:type="character" w:styleId="Nested"><w:rPr><w:vanish/></w:rPr></w:style></w:other>')


def package(data: bytes, limits: SafetyLimits = DEFAULT_LIMITS) -> Package:
    return Package(io.BytesIO(data), limits)


def test_only_the_roots_children_of_the_asked_names_are_yielded():
    with package(docx_bytes("", styles_xml=STYLE_PART)) as opened:
        filtered = [(element.tag.rsplit("}", 1)[-1], element.get(f"{{{W}}}styleId"))
                    for element in opened.iter_small("word/styles.xml", ("style", "docDefaults"))]
    assert filtered == [("docDefaults", None), ("style", "Hide")]


def test_styles_still_hide_text():
    body = p(r("hidden", '<w:rStyle w:val="Hide"/>'), r(" shown"))
    assert count_words(io.BytesIO(docx_bytes(body, styles_xml=STYLE_PART))).total == 1


def test_small_part_elements_count_against_the_budget():
    many = styles("".join(f'<w:style w:type="paragraph" w:styleId="S{i}"/>' for i in range(3000)))
    data = docx_bytes(paragraphs("a few words"), styles_xml=many)
    assert count_words(io.BytesIO(data)).total == 3
    with pytest.raises(RefusedDocument) as caught:
        count_words(io.BytesIO(data), limits=SafetyLimits(max_xml_elements=2_000))
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("part", [
    f'<w:styles {XMLNS}><w:style w:styleId="x"></w:styles>',
    f'<w:styles {XMLNS}>' + "<w:b>" * 300 + "</w:b>" * 300 + "</w:styles>",
])
def test_broken_or_deep_styles_are_refused(part):
    with pytest.raises(RefusedDocument) as caught:
        count_words(io.BytesIO(docx_bytes(paragraphs("words"), styles_xml=part)))
    assert caught.value.code == "damaged"
