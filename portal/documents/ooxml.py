"""Opening uploaded documents safely: sniffing, the OOXML zip package and its XML parts.

Everything a hostile upload could do is bounded here, so a web or job process that counts words never
falls over and never touches a file other than the one it was given:

- The kind of file is sniffed from its first bytes, never from its name: a zip (OOXML), PDF, OLE2 (legacy
  .doc, or a password-protected .docx, which Office stores as an OLE2 container with an `EncryptedPackage`
  stream), RTF, empty, or something else. Anything but a zip or a PDF is refused with a reason a person
  can act on.
- The zip's end-of-central-directory record is read before `zipfile` parses anything, so a package with
  thousands of members is refused without building thousands of objects. Members must be stored or
  deflated (bzip2/lzma inflate without limit), unencrypted, uniquely and plainly named (no absolute
  paths, `..`, backslashes or NUL).
- Members are only ever read into memory or a parser, never extracted; parts are found through the
  package relationships and resolved inside the package.
- Every byte decompressed counts against one budget per document (`SafetyLimits.max_decompressed_bytes`);
  declared sizes are checked first and actual bytes while reading, in 64 KiB chunks.
- XML is parsed by lxml with entities, DTD loading and network off, and any `<!DOCTYPE` is refused
  before the parser sees it (OOXML parts never have one; it is how XXE and billion-laughs attacks start).
  Large parts are streamed into a SAX-style target, so memory does not grow with the document; small
  parts (styles, numbering, relationships) are parsed whole under a smaller cap.
- `[Content_Types].xml` decides what the package is: a macro-enabled document (.docm) is refused, as are
  Excel, PowerPoint and OpenDocument files saved under a .docx name.
"""
from __future__ import annotations

import io
import os
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from lxml import etree

CHUNK = 64 * 1024
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"

SAVE_AS_DOCX = "Save it as .docx in Word: File > Save As > Word Document (*.docx), then upload the new file."


@dataclass(frozen=True)
class SafetyLimits:
    """Caps applied to one document. Generous for real coursework, small enough to keep a worker alive."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_members: int = 2000
    max_decompressed_bytes: int = 64 * 1024 * 1024  # all XML read from one package, together
    max_small_part_bytes: int = 8 * 1024 * 1024  # styles, numbering, theme, settings, relationships
    max_xml_elements: int = 5_000_000  # all parts of one document, together
    max_xml_depth: int = 1000  # Word's own documents nest a few dozen deep
    max_pdf_pages: int = 2000


DEFAULT_LIMITS = SafetyLimits()


class RefusedDocument(Exception):
    """The file cannot be counted. `reason` is written for a person and says what to do next;
    `code` is for programs: empty, legacy_doc, encrypted, macro_enabled, not_word, damaged, too_large."""

    def __init__(self, reason: str, code: str = "not_word") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def damaged(detail: str) -> RefusedDocument:
    return RefusedDocument(
        f"The file is damaged or incomplete ({detail}). Open it in Word, save it again as .docx and upload the"
        " new copy.", "damaged")


def too_large(detail: str) -> RefusedDocument:
    return RefusedDocument(
        f"The file is too large or complex to check safely ({detail}). Remove embedded files or very large"
        " tables, or split the document, and upload it again.", "too_large")


# --- sniffing -----------------------------------------------------------------------------------------

def sniff(head: bytes) -> str:
    """The kind of file from its first bytes: zip, pdf, ole2, rtf, empty or unknown."""
    if not head:
        return "empty"
    if head.startswith(ZIP_SIGNATURES):
        return "zip"
    if head.startswith(OLE2_SIGNATURE):
        return "ole2"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    return "unknown"


def refuse_by_kind(kind: str, stream: BinaryIO) -> RefusedDocument:
    """The refusal for a file that is neither OOXML nor PDF."""
    if kind == "empty":
        return RefusedDocument("The file is empty. Upload the saved Word document (.docx) again.", "empty")
    if kind == "ole2":
        return _refuse_ole2(stream)
    if kind == "rtf":
        return RefusedDocument(f"This is a Rich Text (.rtf) file, not a Word document. {SAVE_AS_DOCX}", "not_word")
    return RefusedDocument(f"This is not a Word document (.docx) or a PDF. {SAVE_AS_DOCX}", "not_word")


def _refuse_ole2(stream: BinaryIO) -> RefusedDocument:
    """Legacy .doc, a password-protected .docx, or another old Office file. The stream names sit in the OLE2
    directory as UTF-16: scan for them in chunks (bounded by the file size cap)."""
    markers = {name: name.encode("utf-16-le") for name in ("EncryptedPackage", "WordDocument")}
    found: set[str] = set()
    stream.seek(0)
    tail = b""
    read = 0
    while len(found) < len(markers) and read < DEFAULT_LIMITS.max_file_bytes:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        read += len(chunk)
        window = tail + chunk
        found.update(name for name, marker in markers.items() if marker in window)
        tail = window[-40:]
    if "EncryptedPackage" in found:
        return RefusedDocument(
            "This document is password-protected (encrypted), so its words cannot be counted. In Word choose"
            " File > Info > Protect Document > Encrypt with Password, clear the password, save, and upload the"
            " file again.", "encrypted")
    if "WordDocument" in found:
        return RefusedDocument(
            f"This is an old-style Word document (.doc). {SAVE_AS_DOCX}", "legacy_doc")
    return RefusedDocument(
        f"This is an older Microsoft Office file, not a Word .docx document. {SAVE_AS_DOCX}", "not_word")


# --- the zip package ----------------------------------------------------------------------------------

def _central_directory(stream: BinaryIO, size: int) -> tuple[int, int]:
    """(member count, central directory size) from the end records, before zipfile reads anything."""
    tail_len = min(size, 22 + 65535)
    stream.seek(size - tail_len)
    tail = stream.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise damaged("the end of the zip archive is missing; the upload may have been cut short")
    _, _, _, entries, cd_size, _, _ = struct.unpack("<HHHHIIH", tail[at + 4:at + 22])
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        locator = tail[at - 20:at] if at >= 20 else b""
        if not locator.startswith(_ZIP64_LOCATOR):
            raise damaged("broken zip64 records")
        (record_offset,) = struct.unpack("<Q", locator[8:16])
        if record_offset > size - 56:
            raise damaged("broken zip64 records")
        stream.seek(record_offset)
        record = stream.read(56)
        if not record.startswith(_ZIP64_EOCD):
            raise damaged("broken zip64 records")
        entries, cd_size = struct.unpack("<QQ", record[32:48])
    return entries, cd_size


def _check_member_name(name: str) -> None:
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or "\x00" in name or ".." in parts
            or (len(name) > 1 and name[1] == ":")):
        raise RefusedDocument(
            "The file contains unsafe entry names, so it was not opened. Open it in Word, save it again as"
            " .docx and upload the new copy.", "damaged")


class Package:
    """An OOXML package opened for reading under `SafetyLimits`. Use as a context manager."""

    def __init__(self, stream: BinaryIO, limits: SafetyLimits) -> None:
        self.limits = limits
        self.budget = limits.max_decompressed_bytes
        self.elements_left = limits.max_xml_elements
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        entries, cd_size = _central_directory(stream, size)
        if entries > limits.max_members or cd_size > limits.max_members * 1024:
            raise too_large(f"{entries:,} entries in the package")
        stream.seek(0)
        try:
            self.zip = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as error:
            raise damaged(f"not a readable zip archive: {error}") from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            _check_member_name(info.filename)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise RefusedDocument(
                    "The file uses a compression method Word does not write, so it was not opened. Open it in"
                    " Word, save it again as .docx and upload the new copy.", "damaged")
            if info.flag_bits & 0x1:
                raise RefusedDocument(
                    "The file contains encrypted entries, so its words cannot be counted. Save it again in Word"
                    " without a password and upload the new copy.", "encrypted")
            key = info.filename.lower()
            if key in self.members:
                raise damaged(f"the entry {info.filename!r} appears twice")
            self.members[key] = info
        self._content_types: tuple[dict[str, str], dict[str, str]] | None = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def has(self, name: str) -> bool:
        return name.lower() in self.members

    def chunks(self, name: str, cap: int | None = None) -> Iterator[bytes]:
        """The decompressed bytes of a member, in chunks, charged to the document's budget."""
        info = self.members.get(name.lower())
        if info is None:
            raise damaged(f"the part {name} is missing")
        limit = self.budget if cap is None else min(cap, self.budget)
        if info.file_size > limit:
            raise too_large(f"{name} unpacks to {info.file_size:,} bytes")
        try:
            member = self.zip.open(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise damaged(f"{name}: {error}") from None
        with member:
            while True:
                try:
                    chunk = member.read(CHUNK)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as error:
                    raise damaged(f"{name}: {error}") from None
                if not chunk:
                    return
                self.budget -= len(chunk)
                limit -= len(chunk)
                if limit < 0 or self.budget < 0:
                    raise too_large(f"{name} unpacks to more than it declares")
                yield chunk

    def read_small(self, name: str) -> bytes:
        return b"".join(self.chunks(name, self.limits.max_small_part_bytes))

    def parse_small(self, name: str) -> etree._Element:
        """A small part parsed whole (styles, numbering, relationships...), DOCTYPE refused."""
        data = self.read_small(name)
        refuse_doctype(data, name)
        parser = _xml_parser()
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as error:
            raise damaged(f"{name}: {error}") from None
        count = sum(1 for _ in root.iter())
        self.elements_left -= count
        if self.elements_left < 0:
            raise too_large("too many XML elements")
        return root

    def iter_small(self, name: str, locals_: Iterable[str] | None = None) -> Iterator[etree._Element]:
        """The root's children of a small part one at a time, each complete, then freed: styles.xml of a real
        document can be megabytes, and a whole tree of it would cost ten times that.

        With `locals_` (local names, e.g. ("style", "docDefaults")), only children of those names are
        yielded, and lxml filters them in C: the elements are counted from the bytes (each "<" that opens
        a tag), and libxml2 refuses nesting deeper than 256 itself, so no Python runs per element."""
        if locals_ is not None:
            data = self._read_counted(name)
            yield from self._iter_children(data, name, [f"{{*}}{local}" for local in locals_])
            return
        data = self.read_small(name)
        refuse_doctype(data, name)
        events = etree.iterparse(io.BytesIO(data), events=("start", "end"), resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
                                 remove_pis=True)
        depth = 0
        try:
            for event, element in events:
                if event == "start":
                    depth += 1
                    self.elements_left -= 1
                    if self.elements_left < 0 or depth > self.limits.max_xml_depth:
                        raise too_large(f"{name} is too large or nested too deeply")
                    continue
                depth -= 1
                if depth == 1:
                    yield element
                    element.clear()
                    parent = element.getparent()
                    while parent is not None and element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as error:
            raise damaged(f"{name}: {error}") from None

    def _read_counted(self, name: str, count: Callable[[bytes], int] | None = None) -> bytes:
        """A small part read whole, its DOCTYPE refused and its elements charged to the budget from the bytes
        (by `opening_tags`, or `count`, the compiled copy of it)."""
        data = self.read_small(name)
        refuse_doctype(data, name)
        self.elements_left -= (count or opening_tags)(data)
        if self.elements_left < 0:
            raise too_large(f"{name} is too large or nested too deeply")
        return data

    def scan_small(self, name: str, scanner, count: Callable[[bytes], int] | None = None) -> None:
        """A small part into the compiled StyleScanner (feed/close), read, checked and charged exactly as
        `iter_small` with `locals_` does, so both implementations refuse the same parts with the same messages
        before either parses it; what the scanner does not read it hands back (raises its Unsupported)."""
        view = memoryview(self._read_counted(name, count))
        for at in range(0, len(view), CHUNK):
            scanner.feed(view[at:at + CHUNK])
        scanner.close()

    @staticmethod
    def _iter_children(data: bytes, name: str, tags: list[str]) -> Iterator[etree._Element]:
        events = etree.iterparse(io.BytesIO(data), events=("end",), tag=tags, resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
                                 remove_pis=True)
        try:
            for _, element in events:
                parent = element.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # the root itself, or deeper: only the root's children are yielded
                yield element
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as error:
            raise damaged(f"{name}: {error}") from None

    def feed(self, name: str, target: object) -> None:
        """Stream a part into an lxml parser target (start/end/data/close), DOCTYPE refused."""
        try:
            self.feed_scanner(name, _xml_parser(target=target))
        except etree.XMLSyntaxError as error:
            raise damaged(f"{name}: {error}") from None

    def feed_scanner(self, name: str, parser, count: Callable[[bytes], int] | None = None) -> None:
        """Stream a part, chunk by chunk, into anything with feed(bytes) and close(): an lxml parser, or the
        word counter's compiled scanner. Elements are counted against the budget here (by `opening_tags`, or
        `count`, the compiled copy of it), before the parser sees each chunk. A DOCTYPE in the prolog is
        refused before the parser sees it."""
        count = count or opening_tags
        prolog = b""
        checked = False
        for chunk in self.chunks(name):
            self.elements_left -= count(chunk)
            if self.elements_left < 0:
                raise too_large("too many XML elements")
            if not checked:
                prolog += chunk
                if not _prolog_complete(prolog) and len(prolog) < CHUNK * 4:
                    continue
                refuse_doctype(prolog, name)
                checked = True
                chunk, prolog = prolog, b""
            parser.feed(chunk)
        if not checked:
            refuse_doctype(prolog, name)
            parser.feed(prolog)
        parser.close()

    # --- content types and relationships

    def content_type(self, part: str) -> str:
        """The content type of a part name (without a leading slash)."""
        if self._content_types is None:
            if not self.has("[Content_Types].xml"):
                raise RefusedDocument(f"This is a zip file, not a Word document. {SAVE_AS_DOCX}", "not_word")
            root = self.parse_small("[Content_Types].xml")
            defaults, overrides = {}, {}
            for element in root:
                local = etree.QName(element).localname if isinstance(element.tag, str) else ""
                if local == "Default":
                    defaults[element.get("Extension", "").lower()] = element.get("ContentType", "")
                elif local == "Override":
                    overrides[element.get("PartName", "").lstrip("/").lower()] = element.get("ContentType", "")
            self._content_types = defaults, overrides
        defaults, overrides = self._content_types
        if part.lower() in overrides:
            return overrides[part.lower()]
        return defaults.get(part.rsplit(".", 1)[-1].lower(), "")

    def all_content_types(self) -> set[str]:
        self.content_type("")
        assert self._content_types is not None
        return set(self._content_types[0].values()) | set(self._content_types[1].values())

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type suffix, target part name) for each internal relationship of `part` ("" = the package)."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels") if part else "_rels/.rels"
        if not self.has(rels_name):
            return []
        result = []
        for element in self.parse_small(rels_name):
            if not isinstance(element.tag, str) or element.get("TargetMode", "Internal") == "External":
                continue
            target = element.get("Target", "")
            resolved = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                          else posixpath.join(folder, target))
            if resolved.startswith("../") or resolved == "..":
                continue  # outside the package: nothing to read there
            kind = element.get("Type", "").rstrip("/").rsplit("/", 1)[-1]
            result.append((element.get("Id", ""), kind, resolved))
        return result


def opening_tags(chunk: bytes) -> int:
    """Elements a chunk opens, for the element budget: every "<" opens a tag except "</", "<?" and "<!" (a pair
    split between two chunks counts once too often: on the safe side)."""
    return chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<?") - chunk.count(b"<!")


def open_package(stream: BinaryIO, limits: SafetyLimits) -> Package:
    return Package(stream, limits)


# --- XML safety ---------------------------------------------------------------------------------------

def _xml_parser(target: object | None = None) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True, target=target)


def _root_start(text: bytes) -> int:
    """Where the root element's start tag begins (-1 if not yet seen); NULs of UTF-16 already removed."""
    at = 0
    while (at := text.find(b"<", at)) >= 0 and at + 1 < len(text):
        if text[at + 1:at + 2] not in (b"?", b"!"):
            return at
        at += 1
    return -1


def _prolog_complete(data: bytes) -> bool:
    """True once the bytes reach the root element's start tag (a DOCTYPE can only come before it)."""
    return _root_start(data.replace(b"\x00", b"")) >= 0


def refuse_doctype(data: bytes, name: str) -> None:
    """Refuse a part whose prolog (what comes before the root element) holds a DOCTYPE or an entity
    declaration. NULs are dropped first so that UTF-16 parts are checked too."""
    text = data.replace(b"\x00", b"")
    end = _root_start(text)
    prolog = text if end < 0 else text[:end]
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise RefusedDocument(
            f"The file contains a document type declaration in {name}, which Word never writes and which can be"
            " used to attack a server, so it was not opened. Save it again in Word as .docx and upload the new"
            " copy.", "damaged")


def open_source(source: str | os.PathLike | IO[bytes]) -> tuple[BinaryIO, bool]:
    """A seekable binary stream for a path or a file object, and whether we opened it (and must close it)."""
    if isinstance(source, str | os.PathLike):
        try:
            return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
        except FileNotFoundError:
            raise RefusedDocument("The file was not found.", "not_found") from None
        except IsADirectoryError:
            raise RefusedDocument("That is a folder, not a file.", "not_found") from None
    if not (hasattr(source, "read") and hasattr(source, "seek")):
        raise TypeError("count_words needs a path or a seekable binary file object")
    return source, False  # type: ignore[return-value]
