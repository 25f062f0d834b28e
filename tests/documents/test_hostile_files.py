"""Hostile and wrong files, built here: each is refused quickly, with bounded memory and a reason a person
can act on, and nothing outside the upload is ever read."""
from __future__ import annotations

import io
import struct
import time
import tracemalloc
import warnings
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.documents import RefusedDocument, SafetyLimits, count_words, document_text_contains
from tests.documents.builders import DECL, MACRO_MAIN_TYPE, XMLNS, docx_bytes, paragraphs, pdf_bytes

MIB = 1024 * 1024
BODY = paragraphs("a perfectly ordinary essay")


def refused(data: bytes, *, limits: SafetyLimits | None = None, seconds: float = 2.0, peak_mib: float = 20):
    """Count `data`, expect a refusal, and check it came quickly and without much memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(RefusedDocument) as caught:
            count_words(io.BytesIO(data), **({"limits": limits} if limits else {}))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f}s"
    assert peak < peak_mib * MIB, f"peak {peak / MIB:.1f} MiB"
    assert caught.value.reason and caught.value.reason.endswith(".")
    return caught.value


def document(xml: str | bytes) -> bytes:
    return docx_bytes("", document_xml=xml)


def streamed_zip(name: str, chunk: bytes, times: int) -> bytes:
    """A zip whose one big member is written in chunks (never held whole in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", docx_bytes_member("[Content_Types].xml"))
        package.writestr("_rels/.rels", docx_bytes_member("_rels/.rels"))
        with package.open(name, "w", force_zip64=True) as member:
            member.write(f"{DECL}<w:document {XMLNS}><w:body>".encode())
            for _ in range(times):
                member.write(chunk)
    return buffer.getvalue()


def docx_bytes_member(name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx_bytes(BODY))) as package:
        return package.read(name)


# --- zip bombs and oversized packages ------------------------------------------------------------------

def test_zip_bomb_is_refused_from_its_declared_size():
    bomb = streamed_zip("word/document.xml", b"<w:p/>" * (MIB // 6), 200)  # ~200 MiB of XML
    assert len(bomb) < 2 * MIB
    refusal = refused(bomb)
    assert refusal.code == "too_large"


def test_zip_bomb_lying_about_its_size_never_inflates_past_the_declared_size():
    honest = streamed_zip("word/document.xml", b"<w:p/>" * (MIB // 6), 100)
    data = bytearray(honest)
    # Make both headers of document.xml claim 1 KiB: the reader must stop there (and then find it broken).
    with zipfile.ZipFile(io.BytesIO(honest)) as package:
        info = package.getinfo("word/document.xml")
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    name_len, extra_len = struct.unpack("<HH", data[local + 26:local + 30])
    extra_at = local + 30 + name_len
    if extra_len:  # zip64 extra field: the sizes live there
        data[extra_at + 4:extra_at + 12] = struct.pack("<Q", 1024)
    central = bytes(data).rfind(b"PK\x01\x02")
    cname, cextra = struct.unpack("<HH", data[central + 28:central + 32])
    cextra_at = central + 46 + cname
    if cextra:
        data[cextra_at + 4:cextra_at + 12] = struct.pack("<Q", 1024)
    else:
        data[central + 24:central + 28] = struct.pack("<I", 1024)
    refusal = refused(bytes(data))
    assert refusal.code == "damaged"


def test_decompressed_bytes_are_capped_while_reading():
    data = docx_bytes(paragraphs(*["some words in a long essay"] * 20000))
    refusal = refused(data, limits=SafetyLimits(max_decompressed_bytes=256 * 1024))
    assert refusal.code == "too_large"


def test_too_many_xml_elements_is_refused():
    data = docx_bytes(paragraphs(*["x"] * 5000))
    assert refused(data, limits=SafetyLimits(max_xml_elements=10_000)).code == "too_large"


def test_thousands_of_members_are_refused_before_the_zip_is_parsed():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        with zipfile.ZipFile(io.BytesIO(docx_bytes(BODY))) as real:
            for name in real.namelist():
                package.writestr(name, real.read(name))
        for i in range(20_000):
            package.writestr(f"word/media/junk{i}.bin", b"")
    refusal = refused(buffer.getvalue(), seconds=1.0)
    assert refusal.code == "too_large" and "20,004 entries" in refusal.reason


def test_file_over_the_size_cap_is_refused():
    assert refused(docx_bytes(BODY), limits=SafetyLimits(max_file_bytes=100)).code == "too_large"


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_other_than_stored_or_deflate_is_refused(method):
    assert refused(docx_bytes(BODY, compression=method)).code == "damaged"


def test_encrypted_zip_members_are_refused():
    data = bytearray(docx_bytes(BODY, compression=zipfile.ZIP_STORED))
    at = bytes(data).find(b"PK\x01\x02")
    while at >= 0:  # set the "encrypted" flag on every central directory entry
        data[at + 8] |= 0x1
        at = bytes(data).find(b"PK\x01\x02", at + 4)
    assert refused(bytes(data)).code == "encrypted"


# --- XML attacks ---------------------------------------------------------------------------------------

XXE = (f'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       f"<w:document {XMLNS}><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>")
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + f"]>\n<w:document {XMLNS}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")


def test_xxe_is_refused_and_never_reads_the_server_file():
    refusal = refused(document(XXE))
    assert "document type declaration" in refusal.reason
    assert "root:" not in refusal.reason


def test_billion_laughs_is_refused():
    assert "document type declaration" in refused(document(LAUGHS)).reason


def test_doctype_in_a_small_part_is_refused():
    styles = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><w:styles {XMLNS}/>'
    assert "document type declaration" in refused(docx_bytes(BODY, styles_xml=styles)).reason


def test_utf16_doctype_is_refused():
    utf16 = XXE.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    assert "document type declaration" in refused(docx_bytes("", document_xml=utf16)).reason


def test_deeply_nested_xml_is_refused():
    opening, closing = "<w:sdt><w:sdtContent>" * 50_000, "</w:sdtContent></w:sdt>" * 50_000
    deep = f"<w:document {XMLNS}><w:body>{opening}{closing}</w:body></w:document>"
    assert refused(document(deep)).code == "too_large"


def test_malformed_xml_is_refused():
    assert refused(document(f"<w:document {XMLNS}><w:body><w:p>")).code == "damaged"


# --- not a .docx ---------------------------------------------------------------------------------------

def test_macro_enabled_document_is_refused_even_when_named_docx():
    refusal = refused(docx_bytes(BODY, main_type=MACRO_MAIN_TYPE))
    assert refusal.code == "macro_enabled" and ".docm" in refusal.reason and "File > Save As" in refusal.reason


def test_vba_project_part_is_refused():
    vba_type = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    data = docx_bytes(BODY, extra_members={"word/vbaProject.bin": b"\x00" * 10}, extra_content_types=vba_type)
    assert refused(data).code == "macro_enabled"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def test_legacy_doc_is_refused():
    refusal = refused(OLE2 + bytes(2048) + "WordDocument".encode("utf-16-le") + bytes(1000))
    assert refusal.code == "legacy_doc" and "File > Save As > Word Document" in refusal.reason


def test_encrypted_docx_is_refused_with_its_own_reason():
    refusal = refused(OLE2 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"))
    assert refusal.code == "encrypted" and "password" in refusal.reason


def test_other_ole2_file_is_refused():
    assert refused(OLE2 + "Workbook".encode("utf-16-le")).code == "not_word"


def test_pdf_named_docx_is_sniffed_by_content():
    result = count_words(io.BytesIO(pdf_bytes("counted as a pdf")))
    assert result.approximate and result.total == 4
    with pytest.raises(RefusedDocument):
        document_text_contains(io.BytesIO(pdf_bytes("x")), ["x"])


def test_broken_pdf_is_refused():
    assert refused(b"%PDF-1.7\n" + bytes(range(256)) * 40).code == "damaged"
    assert refused(pdf_bytes("x")[:60]).code == "damaged"


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"{\\rtf1\\ansi Hello}", "not_word"),
    (b"<html><body>Hello</body></html>", "not_word"),
    (bytes(range(256)) * 10, "not_word"),
    (b"PK\x03\x04" + bytes(100), "damaged"),
])
def test_not_a_document(data, code):
    assert refused(data).code == code


def test_truncated_docx_is_refused():
    data = docx_bytes(BODY)
    for cut in (len(data) // 3, len(data) // 2, len(data) - 10):
        assert refused(data[:cut]).code == "damaged"


def test_zip_without_word_parts_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("photo.jpg", b"\xff\xd8")
    assert refused(buffer.getvalue()).code == "not_word"


def test_excel_workbook_named_docx_is_refused():
    data = docx_bytes(BODY, main_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    assert "Excel" in refused(data).reason


def test_opendocument_text_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        package.writestr("content.xml", "<x/>")
    assert ".odt" in refused(buffer.getvalue()).reason


# --- names and paths -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "word/../../evil.xml", "C:\\evil.xml",
                                  "word\\..\\evil.xml"])
def test_path_traversal_member_names_are_refused(name):
    assert refused(docx_bytes(BODY, extra_members={name: b"x"})).code == "damaged"


def test_duplicate_member_names_are_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is told to write
        data = docx_bytes(BODY, extra_members={"word/document.xml": document(XXE)})
    assert refused(data).code == "damaged"


def test_relationship_targets_outside_the_package_are_never_read(tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text(f"<w:footnotes {XMLNS}><w:footnote w:id='1'><w:p><w:r><w:t>secret</w:t></w:r></w:p>"
                      "</w:footnote></w:footnotes>")
    rel = ('<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"'
           f' Target="../../../../../../..{secret}"/>')
    body = BODY + paragraphs('<w:r><w:footnoteReference w:id="1"/></w:r>')
    result = count_words(io.BytesIO(docx_bytes(body, extra_relationships=rel)))
    assert (result.total, result.footnotes) == (4, 0)


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(RefusedDocument) as caught:
        count_words(tmp_path / "nope.docx")
    assert caught.value.code == "not_found"


# --- fuzzing: anything else is either counted or refused with a reason, never an unexpected exception ------
# Hypothesis drives the reader with a bounded budget (no deadline: a shared CI machine drifts); each input is
# checked for an outcome: a refusal that says what to do, or a count whose parts add up.

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True, database=None)
ORIGINAL = docx_bytes(BODY + paragraphs("with a second paragraph"), compression=zipfile.ZIP_STORED)


def counted_or_refused(data: bytes) -> None:
    """The one acceptable outcome for any input: a sane count, or a refusal a person can act on."""
    try:
        count = count_words(io.BytesIO(data))
    except RefusedDocument as refusal:
        assert refusal.reason.endswith("."), refusal.reason
        assert refusal.code in {"empty", "legacy_doc", "encrypted", "macro_enabled", "not_word", "damaged",
                                "too_large"}, refusal.code
    else:
        parts = count.as_dict()
        assert all(parts[name] >= 0 for name in parts if isinstance(parts[name], int) and name != "approximate")
        assert count.total == count.body + count.tables + count.footnotes + count.endnotes + count.textboxes


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(ORIGINAL) - 1), st.integers(0, 255)), min_size=1, max_size=12))
def test_corrupted_bytes_are_counted_or_refused(changes):
    data = bytearray(ORIGINAL)
    for position, value in changes:
        data[position] = value
    counted_or_refused(bytes(data))


@FUZZ
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_are_counted_or_refused(data):
    counted_or_refused(data)


@FUZZ
@given(st.binary(max_size=400), st.integers(0, 2_000))
def test_garbage_inside_the_document_part_is_counted_or_refused(garbage, position):
    xml = f"{DECL}<w:document {XMLNS}><w:body>{BODY}</w:body></w:document>".encode()
    position = min(position, len(xml))
    counted_or_refused(document(xml[:position] + garbage + xml[position:]))


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_any_text_in_a_run_is_counted(text):
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    xml = f'{DECL}<w:document {XMLNS}><w:body><w:p><w:r><w:t xml:space="preserve">{escaped}</w:t></w:r></w:p>'
    xml += "</w:body></w:document>"
    try:
        count = count_words(io.BytesIO(document(xml)))
    except RefusedDocument as refusal:  # XML 1.0 forbids most control characters: refused as damaged
        assert refusal.code == "damaged" and any(ord(c) < 32 and c not in "\t\n\r" for c in text), refusal.reason
    else:
        assert count.total == count.body
        # a CJK character is a word of its own and may split the word around it in two
        assert count.body <= len(text.split()) + 2 * sum(not c.isascii() for c in text)


def test_utf16_part_without_doctype_is_read():
    xml = f'<?xml version="1.0" encoding="UTF-16"?><w:document {XMLNS}><w:body>{BODY}</w:body></w:document>'
    assert count_words(io.BytesIO(docx_bytes("", document_xml=xml.encode("utf-16")))).total == 4
