"""Each counting rule of portal.documents.wordcount, on small documents built here (each test runs with the
compiled fast path, which must count every one of them itself, and with the pure-Python walker: conftest.py)."""
from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner

from portal.documents import COLOURS, WordCount, count_words, document_text, document_text_contains
from portal.documents.cli import wordcount
from portal.documents.styles import classify_rgb
from tests.documents.builders import (
    STRICT_W,
    comments,
    docx_bytes,
    header,
    note_reference,
    notes,
    numbering,
    p,
    paragraphs,
    pdf_bytes,
    r,
    styles,
    table,
    textbox,
    theme,
    write_docx,
)

TAB, BR, CR = "<w:r><w:tab/></w:r>", "<w:r><w:br/></w:r>", "<w:r><w:cr/></w:r>"
pytestmark = pytest.mark.usefixtures("compiled_counts")


def count(body: str, **kwargs) -> WordCount:
    return count_words(io.BytesIO(docx_bytes(body, **kwargs)))


def total(body: str, **kwargs) -> int:
    return count(body, **kwargs).total


def field(code: str, result: str | None) -> str:
    """A complex field: begin, code, (separate, result,) end."""
    parts = ['<w:r><w:fldChar w:fldCharType="begin"/></w:r>', f"<w:r><w:instrText>{code}</w:instrText></w:r>"]
    if result is not None:
        parts += ['<w:r><w:fldChar w:fldCharType="separate"/></w:r>', result]
    return "".join(parts) + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'


# --- words and separators ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "words"), [
    ("Hello world", 2),
    ("  spaced   out  ", 2),
    ("well-known e.g. and/or 3.14 (a) \"quoted\"", 6),
    ("well\u2014known 1990\u20132000", 2),  # em and en dashes do not split
    ("salt & pepper \u2013 or \u2026 more", 7),  # stand-alone punctuation is a word
    ("a\u00a0b\u2003c\u3000d\u202fe", 5),  # no-break, em, ideographic and narrow spaces separate
    ("co\u00adoperate", 1),  # soft hyphen: invisible
    ("a\u200bb", 1),  # zero-width space: invisible
    ("x \u202c y", 2),  # a bidi control alone is no word
    ("", 0),
])
def test_words_are_runs_between_whitespace(text, words):
    assert total(paragraphs(text)) == words


@pytest.mark.parametrize(("text", "words"), [
    ("日本語", 3),
    ("日本語abc", 4),
    ("abc日本語def", 5),
    ("これは日本語の文です。", 11),
    ("我们是学生", 5),
    ("안녕하세요 세계", 7),
    ("ＡＢＣ abc", 4),
])
def test_each_cjk_character_is_a_word(text, words):
    assert total(paragraphs(text)) == words


def test_tabs_and_breaks_separate():
    assert total(p(r("a"), TAB, r("b"), BR, r("c"), CR, r("d"), "<w:r><w:ptab/></w:r>", r("e"))) == 5


def test_tab_stops_in_paragraph_properties_do_not_separate():
    ppr = '<w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
    assert total(p(r("hel"), r("lo"), ppr=ppr)) == 1


def test_a_word_spans_runs_and_paragraphs_separate():
    assert total(p(r("hel"), r("lo", "<w:b/>"), r(" world"))) == 2
    assert total(paragraphs("hel", "lo")) == 2


def test_hyphen_elements():
    assert total(p(r("co"), "<w:r><w:noBreakHyphen/></w:r>", r("operate"))) == 1
    assert total(p(r("a "), "<w:r><w:noBreakHyphen/></w:r>", r(" b"))) == 3
    assert total(p(r("co"), "<w:r><w:softHyphen/></w:r>", r("operate"))) == 1


def test_a_symbol_is_a_character():
    assert total(p(r("a "), '<w:r><w:sym w:font="Wingdings" w:char="F0E0"/></w:r>', r(" b"))) == 3


# --- fields --------------------------------------------------------------------------------------------

def test_field_result_counts_and_code_does_not():
    assert total(p(r("Title: "), field(" DOCPROPERTY Title \\* MERGEFORMAT ", r("three word result")))) == 4


def test_field_without_result_shows_nothing():
    assert total(p(r("Entry"), field(' XE "index entry words" ', None))) == 1


def test_nested_field_in_code_does_not_count_but_in_result_does():
    nested_in_code = field(" IF " + field(" MERGEFIELD Name ", r("Sam")) + ' = "x" ', r("shown"))
    assert total(p(nested_in_code)) == 1
    nested_in_result = field(" HYPERLINK x ", r("see ") + field(" PAGE ", r("7")))
    assert total(p(nested_in_result)) == 2


def test_field_spanning_paragraphs():
    toc = (p(r("Contents"))
           + p('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> TOC \\o "1-3" </w:instrText></w:r>'
               '<w:r><w:fldChar w:fldCharType="separate"/></w:r>', r("Introduction 1"))
           + p(r("Method 2"), '<w:r><w:fldChar w:fldCharType="end"/></w:r>'))
    assert total(toc) == 5


def test_simple_field_content_counts():
    assert total(p(r("Page "), '<w:fldSimple w:instr=" PAGE "><w:r><w:t>3</w:t></w:r></w:fldSimple>')) == 2


# --- hidden text ---------------------------------------------------------------------------------------

HIDDEN_STYLES = styles(
    '<w:style w:type="character" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="SecretPara"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="ChildOfSecret"><w:basedOn w:val="SecretPara"/></w:style>')


def test_hidden_text_does_not_count():
    assert total(p(r("visible "), r("hidden words", "<w:vanish/>"), r(" end"))) == 2


def test_hidden_text_does_not_split_a_word():
    assert total(p(r("hel"), r("XX", "<w:vanish/>"), r("lo"))) == 1


def test_hidden_through_styles():
    assert total(p(r("visible "), r("hidden words", '<w:rStyle w:val="Secret"/>')), styles_xml=HIDDEN_STYLES) == 1
    assert total(p(r("all hidden"), ppr='<w:pPr><w:pStyle w:val="SecretPara"/></w:pPr>'),
                 styles_xml=HIDDEN_STYLES) == 0
    assert total(p(r("inherited too"), ppr='<w:pPr><w:pStyle w:val="ChildOfSecret"/></w:pPr>'),
                 styles_xml=HIDDEN_STYLES) == 0
    shown_again = p(r("shown", '<w:vanish w:val="0"/>'), ppr='<w:pPr><w:pStyle w:val="SecretPara"/></w:pPr>')
    assert total(shown_again, styles_xml=HIDDEN_STYLES) == 1


def test_hidden_paragraph_mark_does_not_hide_the_runs():
    assert total(p(r("visible words"), ppr="<w:pPr><w:rPr><w:vanish/></w:rPr></w:pPr>")) == 2


# --- tracked changes -----------------------------------------------------------------------------------

def test_deleted_text_is_reported_not_counted():
    body = p(r("keep "), '<w:del w:id="1" w:author="x"><w:r><w:delText>gone words</w:delText></w:r></w:del>', r(" end"))
    result = count(body)
    assert (result.total, result.deleted) == (2, 2)


def test_deleted_text_does_not_split_a_word():
    assert total(p(r("hel"), '<w:del w:id="1" w:author="x"><w:r><w:delText>p me</w:delText></w:r></w:del>',
                   r("lo"))) == 1


def test_inserted_and_moved_text():
    body = (p(r("keep "), '<w:ins w:id="1" w:author="x"><w:r><w:t>new words</w:t></w:r></w:ins>')
            + '<w:p><w:moveFrom w:id="2" w:author="x"><w:r><w:t>moved away</w:t></w:r></w:moveFrom></w:p>'
            + '<w:p><w:moveTo w:id="3" w:author="x"><w:r><w:t>moved here</w:t></w:r></w:moveTo></w:p>')
    result = count(body)
    assert (result.total, result.deleted) == (5, 2)


def test_deleted_paragraph_mark_still_ends_the_paragraph():
    assert total(p(r("end"), ppr='<w:pPr><w:rPr><w:del w:id="5" w:author="x"/></w:rPr></w:pPr>') + p(r("start"))) == 2


# --- where text sits: tables, text boxes, notes, content controls ----------------------------------------

def test_text_box_stored_twice_counts_once():
    result = count(p(r("outside"), textbox(paragraphs("inside the box"))))
    assert (result.body, result.textboxes, result.total) == (1, 3, 4)


def test_text_box_anchor_does_not_break_the_paragraph_around_it():
    result = count(p(r("hel"), textbox(paragraphs("boxed")), r("lo")))
    assert (result.body, result.textboxes) == (1, 1)


def test_vml_only_text_box_counts():
    vml = '<w:r><w:pict><v:shape><v:textbox><w:txbxContent>' + paragraphs("old style box") + \
          "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    assert count(p(vml)).textboxes == 3


def test_alternate_content_falls_back_when_the_choice_is_not_understood():
    emoji = ('<w:r><mc:AlternateContent><mc:Choice Requires="w16se"><w16se:symEx xmlns:w16se="urn:x" '
             'w16se:char="1F600"/></mc:Choice><mc:Fallback><w:t>\U0001F600</w:t></mc:Fallback>'
             "</mc:AlternateContent></w:r>")
    assert total(p(r("smile "), emoji)) == 2


def test_tables_nested_tables_and_text_boxes_in_tables():
    inner = table(["nested cell"])
    result = count(table(["a b", "c"], [inner, p(textbox(paragraphs("boxed words")))]) + paragraphs("after"))
    assert (result.tables, result.textboxes, result.body) == (5, 2, 1)


def test_footnotes_and_endnotes_count_separators_and_unreferenced_notes_do_not():
    body = p(r("word"), note_reference("footnote", 1), r(" next"), note_reference("endnote", 1))
    result = count(body, footnotes=notes("footnote", {1: paragraphs("a footnote text"), 2: paragraphs("orphan")}),
                   endnotes=notes("endnote", {1: paragraphs("end note")}))
    assert (result.body, result.footnotes, result.endnotes, result.total) == (2, 3, 2, 7)


def test_note_referenced_only_from_deleted_text_is_deleted():
    body = p(r("word "), '<w:del w:id="1" w:author="x"><w:r><w:footnoteReference w:id="1"/></w:r></w:del>')
    result = count(body, footnotes=notes("footnote", {1: paragraphs("gone note")}))
    assert (result.footnotes, result.deleted) == (0, 2)


def test_content_control_text_counts():
    sdt = ('<w:sdt><w:sdtPr><w:alias w:val="Learner name"/></w:sdtPr><w:sdtContent>'
           + paragraphs("Sam Smith") + "</w:sdtContent></w:sdt>")
    assert total(sdt) == 2


def test_equations_do_not_count():
    assert total(p(r("x "), "<m:oMath><m:r><m:t>a+b=c</m:t></m:r></m:oMath>", r(" y"))) == 2


def test_strict_ooxml_namespace():
    assert total(paragraphs("strict document words"), namespace=STRICT_W) == 3


# --- reported, not counted -------------------------------------------------------------------------------

def test_comments_are_reported_not_counted():
    body = p('<w:commentRangeStart w:id="0"/>', r("commented text"), '<w:commentRangeEnd w:id="0"/>')
    result = count(body, comments_xml=comments({0: paragraphs("the comment words")}))
    assert (result.total, result.comments) == (2, 3)


def test_headers_and_footers_are_reported_per_section():
    hdr = {"rIdH1": header(paragraphs("header words here")), "rIdF1": header(paragraphs("page"), "ftr"),
           "rIdH9": header(paragraphs("never referenced"))}
    first_section = '<w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rIdH1"/></w:sectPr></w:pPr>'
    body = p(r("one"), ppr=first_section) + p(r("two"))
    result = count(body, headers=hdr, sect_pr='<w:footerReference w:type="default" r:id="rIdF1"/>')
    # section 1 shows the header; section 2 inherits it and adds the footer
    assert (result.total, result.headers_footers) == (2, 3 + 3 + 1)


NUMBERING = numbering(
    '<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1.%2)"/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="\uf0b7"/>'
    "</w:lvl></w:abstractNum>"
    '<w:abstractNum w:abstractNumId="2"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/>'
    '<w:lvlText w:val="Article %1 -"/></w:lvl></w:abstractNum>'
    '<w:abstractNum w:abstractNumId="3"><w:lvl w:ilvl="0"><w:numFmt w:val="none"/><w:lvlText w:val=""/></w:lvl>'
    "</w:abstractNum>"
    + "".join(f'<w:num w:numId="{i + 1}"><w:abstractNumId w:val="{i}"/></w:num>' for i in range(4)))


def numbered(num_id: int, text: str, ilvl: int = 0) -> str:
    return p(r(text), ppr=f'<w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>')


@pytest.mark.parametrize(("body", "labels"), [
    (numbered(1, "one") + numbered(1, "two") + numbered(1, "sub", 1), 3),
    (numbered(2, "bullet"), 1),
    (numbered(3, "article"), 3),
    (numbered(4, "none"), 0),
    (numbered(0, "numId zero means no numbering"), 0),
    (numbered(1, ""), 1),  # an empty numbered paragraph still shows its number
])
def test_list_labels_are_reported_not_counted(body, labels):
    result = count(body, numbering_xml=NUMBERING)
    assert result.list_labels == labels


def test_numbering_from_a_paragraph_style():
    style = styles('<w:style w:type="paragraph" w:styleId="ListBullet"><w:pPr><w:numPr><w:numId w:val="2"/>'
                   "</w:numPr></w:pPr></w:style>")
    body = p(r("item"), ppr='<w:pPr><w:pStyle w:val="ListBullet"/></w:pPr>')
    assert count(body, numbering_xml=NUMBERING, styles_xml=style).list_labels == 1


# --- colours -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rgb", "name"), [
    (None, "black"), ("000000", "black"), ("0D0D0D", "black"), ("404040", "black"), ("595959", "black"),
    ("7F7F7F", "other"), ("FFFFFF", "other"),
    ("0000FF", "blue"), ("0070C0", "blue"), ("00B0F0", "blue"), ("1F4E79", "blue"), ("000080", "blue"),
    ("00B050", "green"), ("008000", "green"), ("92D050", "green"), ("00FF00", "green"),
    ("FF0000", "red"), ("C00000", "red"), ("800000", "red"), ("FF3399", "red"),
    ("FFC000", "other"), ("FFFF00", "other"), ("7030A0", "other"), ("ED7D31", "other"),
])
def test_classify_rgb(rgb, name):
    assert classify_rgb(rgb) == name


def by_colour(body: str, **kwargs) -> dict[str, int]:
    return {name: n for name, n in count(body, **kwargs).by_colour.items() if n}


def test_words_by_direct_colour():
    body = p(r("first submission "), r("amended in blue", '<w:color w:val="0070C0"/>'),
             r(" green one", '<w:color w:val="00B050"/>'), r(" red", '<w:color w:val="FF0000"/>'),
             r(" auto", '<w:color w:val="auto"/>'))
    assert by_colour(body) == {"black": 3, "blue": 3, "green": 2, "red": 1}


def test_theme_colours_are_resolved_through_the_theme_part():
    body = p(r("accent words", '<w:color w:val="000000" w:themeColor="accent1"/>'),
             r(" darker", '<w:color w:val="000000" w:themeColor="accent2" w:themeShade="BF"/>'))
    assert by_colour(body, theme_xml=theme({"accent1": "00B050", "accent2": "FF0000"})) == {"green": 2, "red": 1}
    assert by_colour(body) == {"blue": 2, "other": 1}  # no theme part: Office default (accent1 blue, accent2 orange)


def test_colour_inheritance_run_over_character_style_over_paragraph_style_over_defaults():
    sheet = styles(
        '<w:style w:type="character" w:styleId="Green"><w:rPr><w:color w:val="00B050"/></w:rPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="BluePara"><w:rPr><w:color w:val="0000FF"/></w:rPr></w:style>',
        defaults='<w:color w:val="C00000"/>')
    body = (p(r("defaults red"))
            + p(r("para blue "), r("char green", '<w:rStyle w:val="Green"/>'),
                r(" direct", '<w:rStyle w:val="Green"/><w:color w:val="000000"/>'),
                ppr='<w:pPr><w:pStyle w:val="BluePara"/></w:pPr>'))
    assert by_colour(body, styles_xml=sheet) == {"red": 2, "blue": 2, "green": 2, "black": 1}


def test_a_word_takes_the_colour_of_its_first_character_and_colours_add_up_to_the_total():
    body = p(r("colour"), r("s", '<w:color w:val="0000FF"/>'), r(" new", '<w:color w:val="0000FF"/>'))
    result = count(body)
    assert {k: v for k, v in result.by_colour.items() if v} == {"black": 1, "blue": 1}
    assert sum(result.by_colour.values()) == result.total
    assert set(result.by_colour) == set(COLOURS)


def test_as_dict_is_the_cli_json_shape():
    result = count(paragraphs("two words"))
    assert result.as_dict() == {
        "total": 2, "body": 2, "tables": 0, "footnotes": 0, "endnotes": 0, "textboxes": 0, "headers_footers": 0,
        "comments": 0, "list_labels": 0, "deleted": 0, "approximate": False,
        "by_colour": {"black": 2, "blue": 0, "green": 0, "red": 0, "other": 0}}


# --- text: a result sheet must name the learner ------------------------------------------------------------

RESULT_SHEET = dict(
    body=table([p(r("Learner name:")), p(r("Sam "), r("Smi", "<w:b/>"), r("th"))],
               [p(r("ENR")), p(r("abc123"))])
    + p(r("Old name", "<w:vanish/>"),
        '<w:del w:id="1" w:author="x"><w:r><w:delText>Jo Bloggs</w:delText></w:r></w:del>'),
    headers={"rIdH1": header(paragraphs("Centre: North\tCollege"))},
    sect_pr='<w:headerReference w:type="default" r:id="rIdH1"/>',
)


def test_document_text_contains_ignores_case_spacing_and_runs():
    found = document_text_contains(io.BytesIO(docx_bytes(**RESULT_SHEET)),
                                   ["Sam Smith", "ABC123", "sam  SMITH", "North College", "Jo Bloggs", "Old name",
                                    "Pat Jones"])
    assert found == {"Sam Smith": True, "ABC123": True, "sam  SMITH": True, "North College": True,
                     "Jo Bloggs": False, "Old name": False, "Pat Jones": False}


def test_document_text_is_bounded():
    text = document_text(io.BytesIO(docx_bytes(**RESULT_SHEET)))
    assert "Sam Smith" in text and "Jo Bloggs" not in text
    assert document_text(io.BytesIO(docx_bytes(paragraphs("x" * 5000))), max_chars=100) == "x" * 100


def test_document_text_contains_refuses_a_pdf():
    from portal.documents import RefusedDocument

    with pytest.raises(RefusedDocument):
        document_text_contains(io.BytesIO(pdf_bytes("Sam Smith")), ["Sam Smith"])


# --- PDF -----------------------------------------------------------------------------------------------

def test_pdf_is_counted_approximately():
    result = count_words(io.BytesIO(pdf_bytes("Hello world from a PDF", "Second page here")))
    assert result.approximate is True
    assert result.total == result.body == 8


# --- the command -----------------------------------------------------------------------------------------

def test_cli_prints_words_and_file_like_wc(tmp_path):
    one = write_docx(tmp_path / "one.docx", paragraphs("three little words"))
    two = write_docx(tmp_path / "two.docx", table(["a b"]))
    result = CliRunner().invoke(wordcount, [str(one), str(two)])
    assert result.exit_code == 0
    assert result.output == f"3\t{one}\n2\t{two}\n"


def test_cli_json_one_object_per_line(tmp_path):
    one = write_docx(tmp_path / "one.docx", paragraphs("three little words"))
    pdf = tmp_path / "essay.pdf"
    pdf.write_bytes(pdf_bytes("four words in pdf"))
    result = CliRunner().invoke(wordcount, ["--json", str(one), str(pdf)])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0]["file"] == str(one) and lines[0]["total"] == 3 and lines[0]["approximate"] is False
    assert lines[1]["total"] == 4 and lines[1]["approximate"] is True


def test_cli_refused_file_prints_error_and_exits_non_zero(tmp_path):
    good = write_docx(tmp_path / "good.docx", paragraphs("fine"))
    bad = tmp_path / "old.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + bytes(500))
    result = CliRunner().invoke(wordcount, [str(good), str(bad), str(tmp_path / "missing.docx")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"1\t{good}"
    assert lines[1].startswith(f"error\t{bad}\tThis is an old-style Word document (.doc).")
    assert lines[2].startswith(f"error\t{tmp_path / 'missing.docx'}\t")
    json_result = CliRunner().invoke(wordcount, ["--json", str(bad)])
    assert json_result.exit_code == 1
    assert json.loads(json_result.output)["code"] == "legacy_doc"


def test_cli_is_registered_on_the_app(app, tmp_path):
    path = write_docx(tmp_path / "essay.docx", paragraphs("registered on the app"))
    result = app.test_cli_runner().invoke(args=["wordcount", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"4\t{path}\n"


def test_the_flask_command_runs_without_a_secret_key_as_the_readme_shows_it(tmp_path):
    """`flask --app wsgi wordcount FILE` signs nothing: it runs in production mode with no SECRET_KEY (the app,
    which refuses to start without one, is never loaded for it)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    path = write_docx(tmp_path / "essay.docx", paragraphs("counted without a key"))
    env = {key: value for key, value in os.environ.items()
           if key not in {"SECRET_KEY", "PORTAL_ENV", "DATABASE_URL", "FLASK_APP"}}
    flask = Path(sys.executable).parent / "flask"
    result = subprocess.run([str(flask), "--app", "wsgi", "wordcount", str(path)], cwd=root, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"4\t{path}\n"


def test_expected_colour_of_a_resubmission_is_reported():
    from portal.documents import SUBMISSION_COLOURS

    body = p(r("original text "), r("amended at first resubmission", '<w:color w:val="0070C0"/>'))
    result = count(body)
    assert result.by_colour[SUBMISSION_COLOURS[2]] == 4
    assert result.by_colour[SUBMISSION_COLOURS[3]] == 0  # the portal warns: no green text in a 2nd resubmission
