"""Build small .docx (and other) files in tests, from WordprocessingML fragments.

`docx_bytes('<w:p><w:r><w:t>Hello world</w:t></w:r></w:p>')` is a complete, valid Word document whose
body is that fragment. Notes, comments, headers, styles, numbering and a theme are added as keyword
arguments; every fragment may use the prefixes declared in `NAMESPACES`.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT_W = "http://purl.oclc.org/ooxml/wordprocessingml/main"
NAMESPACES = {
    "w": W,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "wps": "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "w14": "http://schemas.microsoft.com/office/word/2010/wordml",
    "m": "http://schemas.openxmlformats.org/officeDocument/2006/math",
}
XMLNS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"
_OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"


def p(*runs: str, ppr: str = "") -> str:
    """A paragraph of runs (plain strings become plain text runs)."""
    return f"<w:p>{ppr}{''.join(run if run.startswith('<') else r(run) for run in runs)}</w:p>"


def r(text: str, rpr: str = "") -> str:
    """A run with one w:t (spaces preserved); `text` is plain text, escaped here."""
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def paragraphs(*texts: str) -> str:
    return "".join(p(text) for text in texts)


def textbox(inner: str) -> str:
    """A modern text box (wps) with its VML fallback copy, as Word writes it: the text is stored twice."""
    return (
        "<w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData>'
        f"<wps:wsp><wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{inner}</w:txbxContent></v:textbox>"
        "</v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


def table(*rows: list[str]) -> str:
    """A table; each row is a list of cell contents (strings of paragraph XML or plain text)."""
    def cell(content: str) -> str:
        return f"<w:tc>{content if content.startswith('<') else p(content)}</w:tc>"
    return "<w:tbl>" + "".join("<w:tr>" + "".join(cell(c) for c in row) + "</w:tr>" for row in rows) + "</w:tbl>"


def notes(kind: str, bodies: dict[int, str], *, separators: bool = True) -> str:
    """footnotes.xml / endnotes.xml (kind "footnote" or "endnote") with the usual separator notes."""
    items = []
    if separators:
        items.append(f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>')
        items.append(f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
                     f'</w:r></w:p></w:{kind}>')
    for note_id, body in bodies.items():
        items.append(f'<w:{kind} w:id="{note_id}">{body}</w:{kind}>')
    return f"{DECL}<w:{kind}s {XMLNS}>{''.join(items)}</w:{kind}s>"


def note_reference(kind: str, note_id: int) -> str:
    return f'<w:r><w:{kind}Reference w:id="{note_id}"/></w:r>'


def comments(bodies: dict[int, str]) -> str:
    items = "".join(f'<w:comment w:id="{i}" w:author="A">{body}</w:comment>' for i, body in bodies.items())
    return f"{DECL}<w:comments {XMLNS}>{items}</w:comments>"


def header(body: str, kind: str = "hdr") -> str:
    return f"{DECL}<w:{kind} {XMLNS}>{body}</w:{kind}>"


def styles(inner: str = "", *, defaults: str = "") -> str:
    doc_defaults = f"<w:docDefaults><w:rPrDefault><w:rPr>{defaults}</w:rPr></w:rPrDefault></w:docDefaults>"
    return f"{DECL}<w:styles {XMLNS}>{doc_defaults}{inner}</w:styles>"


def numbering(inner: str) -> str:
    return f"{DECL}<w:numbering {XMLNS}>{inner}</w:numbering>"


def theme(scheme: dict[str, str]) -> str:
    """A theme part whose colour scheme maps dk1/lt1/accent1/... to RGB hex."""
    colours = "".join(f'<a:{name}><a:srgbClr val="{rgb}"/></a:{name}>' for name, rgb in scheme.items())
    return (f'{DECL}<a:theme xmlns:a="{NAMESPACES["a"]}" name="T"><a:themeElements>'
            f'<a:clrScheme name="S">{colours}</a:clrScheme></a:themeElements></a:theme>')


def docx_bytes(
    body: str,
    *,
    sect_pr: str = "",
    footnotes: str | None = None,
    endnotes: str | None = None,
    comments_xml: str | None = None,
    headers: dict[str, str] | None = None,
    styles_xml: str | None = None,
    numbering_xml: str | None = None,
    theme_xml: str | None = None,
    settings_xml: str | None = None,
    main_type: str = MAIN_TYPE,
    namespace: str = W,
    extra_members: dict[str, bytes] | None = None,
    document_xml: str | bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    extra_content_types: str = "",
    extra_relationships: str = "",
) -> bytes:
    """A complete .docx whose body is `body`. `headers` maps a relationship id (e.g. "rIdH1") to a header or
    footer part (built with `header(...)`); reference them from `sect_pr` with w:headerReference."""
    ns_decl = XMLNS.replace(f'xmlns:w="{W}"', f'xmlns:w="{namespace}"')
    document = document_xml or f"{DECL}<w:document {ns_decl}><w:body>{body}<w:sectPr>{sect_pr}</w:sectPr>" \
                               f"</w:body></w:document>"
    parts: dict[str, tuple[str, str, str]] = {}  # name -> (content type, relationship type, xml)
    optional = [
        ("footnotes.xml", "footnotes", footnotes), ("endnotes.xml", "endnotes", endnotes),
        ("comments.xml", "comments", comments_xml), ("styles.xml", "styles", styles_xml),
        ("numbering.xml", "numbering", numbering_xml), ("settings.xml", "settings", settings_xml),
    ]
    for name, kind, xml in optional:
        if xml is not None:
            parts[name] = (f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml", kind, xml)
    if theme_xml is not None:
        parts["theme/theme1.xml"] = ("application/vnd.openxmlformats-officedocument.theme+xml", "theme", theme_xml)
    rels = [f'<Relationship Id="rId{i}" Type="{_OD}/{kind}" Target="{name}"/>'
            for i, (name, (_, kind, _)) in enumerate(parts.items(), start=1)]
    for rel_id, xml in (headers or {}).items():
        kind = "footer" if "<w:ftr" in xml else "header"
        name = f"{kind}_{rel_id}.xml"
        parts[name] = (f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml", kind, xml)
        rels.append(f'<Relationship Id="{rel_id}" Type="{_OD}/{kind}" Target="{name}"/>')
    overrides = "".join(f'<Override PartName="/word/{name}" ContentType="{ctype}"/>'
                        for name, (ctype, _, _) in parts.items())
    content_types = (
        f'{DECL}<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>{overrides}{extra_content_types}</Types>'
    )
    package_rels = (f'{DECL}<Relationships xmlns="{_PKG}/relationships">'
                    f'<Relationship Id="rId1" Type="{_OD}/officeDocument" Target="word/document.xml"/>'
                    "</Relationships>")
    document_rels = (f'{DECL}<Relationships xmlns="{_PKG}/relationships">{"".join(rels)}{extra_relationships}'
                     "</Relationships>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", package_rels)
        package.writestr("word/document.xml", document)
        package.writestr("word/_rels/document.xml.rels", document_rels)
        for name, (_, _, xml) in parts.items():
            package.writestr(f"word/{name}", xml)
        for name, data in (extra_members or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def write_docx(path: Path, body: str, **kwargs) -> Path:
    path.write_bytes(docx_bytes(body, **kwargs))
    return path


def pdf_bytes(*pages: str) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page (ASCII only)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids).encode()
    objects.append(b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(len(pages)).encode() + b" >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
                       f" /Contents {page_ids[i] + 1} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
