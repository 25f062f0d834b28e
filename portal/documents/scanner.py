"""The fast way through a large part: a regular-expression scanner that drives the same PartWalker.

The reference way (`Package.feed` into `PartWalker`) costs lxml two Python calls per element, and three
elements in four of a real document are formatting (`<w:sz w:val="20"/>`, borders, fonts...) that no rule
reads. The scanner gives the walker exactly the events the reference would, minus those: one regular
expression finds, in C, the next tag that matters —

- every end tag and every start tag that is not self-closing (so the walker's stack of open elements, and
  with it every "is this the child of a run?" test, is exactly the reference's), and
- self-closing tags whose local name has a rule (`<w:tab/>`, `<w:vanish/>`, `<w:fldChar .../>`...)

— and skips the rest: a self-closing element with no rule of its own has no children, so its start and end
would only push and pop a name. Text between tags is decoded only while the walker collects a `w:t`.
The walker's handlers, state and rules are the reference's own; only the dispatch is new.

Safety is unchanged. Every chunk is fed to a second, callback-free lxml parser with the same settings as
the reference (entities, DTDs and network off, DOCTYPE refused), which costs no Python call per element:
it refuses malformed XML as the reference does, so the scanner may assume well-formed input. Elements are
counted per chunk against the document's budget (`<` minus `</`), depth is capped on the walker's stack,
decompressed bytes are charged by `Package.chunks` as before, and memory stays one chunk plus one tag.

What the scanner does not handle it hands back (`NeedsReference`) and the caller counts the whole document
again the reference way: another encoding than UTF-8, comments, CDATA or processing instructions after the
root tag, a namespace declaration below the root that rebinds a prefix the walker reads or binds one of its
namespaces to a new prefix, a root outside the WordprocessingML namespaces, or a single tag over 1 MiB.
Word writes none of these.
"""
from __future__ import annotations

import re

from lxml import etree

from portal.documents.ooxml import CHUNK, Package, RefusedDocument, _root_start, damaged, refuse_doctype, too_large
from portal.documents.walker import MATH, MC, R_NAMESPACES, W_NAMESPACES, PartWalker, _code_of

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
OURS = frozenset((*W_NAMESPACES, *R_NAMESPACES, MC, *MATH))
MAX_TAIL = 1024 * 1024
_CACHE_LIMIT = 4096


class NeedsReference(Exception):
    """The part uses XML the scanner leaves to the reference walker (see the module docstring)."""


def _trie(words: list[str]) -> str:
    """One regular expression for a set of words, as a trie: the engine tries a letter once, not each word."""
    tree: dict = {}
    for word in words:
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(letter) + emit(child) for letter, child in sorted(node.items()) if letter]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(tree)


def _token_pattern(ruled: list[str]) -> re.Pattern[bytes]:
    """A start tag whose local name has a rule (1: name, 2: attributes, a trailing / if self-closing), or
    any end tag or start tag that is not self-closing (3: "/" for an end tag, 4: name, 5: attributes).
    Possessive repeats: a self-closing tag without a rule fails at its "/>" without backtracking."""
    names = _trie(sorted({name.split(":")[-1] for name in ruled})).encode()
    return re.compile(rb"<(?:((?:[^\s/>:]++:)?" + names + rb")(?=[\s/>])([^>]*+)>"
                      rb"|(/?)([^\s/>]++)([^>]*+)(?<!/)>)")


_ATTRIBUTE = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SKIPPED_TAG = re.compile(rb"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")  # inside text only: self-closing tags without rules
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_STRICT_ATTRIBUTES = re.compile(rb"""(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?""")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    except (ValueError, OverflowError):
        raise damaged(f"the character reference &{name}; is not a character") from None


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise damaged("the text is not valid UTF-8") from None
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    return text


def _text(raw: bytes) -> str:
    """Character data between two tags, as the parser reports it: skipped tags removed, line ends
    normalised, references replaced."""
    if b"<" in raw:
        raw = _SKIPPED_TAG.sub(b"", raw)
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return _decode(raw)


def _attribute_value(raw: bytes) -> str:
    if b"\r" in raw or b"\n" in raw or b"\t" in raw:
        raw = raw.replace(b"\r\n", b" ").replace(b"\r", b" ").replace(b"\n", b" ").replace(b"\t", b" ")
    return _decode(raw)


class _Validator:
    """A parser target with no element callbacks: lxml checks well-formedness at C speed."""

    def doctype(self, *args: object) -> None:
        raise RefusedDocument("The file contains a document type declaration, which Word never writes.", "damaged")

    def close(self) -> None:
        return None


class Scanner:
    """Feeds one part of `package` to `walker` (see the module docstring)."""

    def __init__(self, package: Package, walker: PartWalker) -> None:
        self.package, self.walker = package, walker
        self.token = _token_pattern([*walker.starts, *walker.ends])
        self.prefixes: dict[bytes, str] = {}
        self.codes: dict[bytes, str | None] = {}
        self.attributes: dict[bytes, dict[str, str]] = {}

    # --- names

    def _declare_root(self, attrs: bytes) -> None:
        self.prefixes = {b"xml": XML_NAMESPACE}
        for match in _ATTRIBUTE.finditer(attrs):
            name, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
            if name == b"xmlns":
                self.prefixes[b""] = _attribute_value(value)
            elif name.startswith(b"xmlns:"):
                self.prefixes[name[6:]] = _attribute_value(value)

    def _check_declarations(self, attrs: bytes) -> None:
        """A declaration below the root is harmless unless it touches a prefix or namespace the walker reads."""
        for match in _ATTRIBUTE.finditer(attrs):
            name, value = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
            if name != b"xmlns" and not name.startswith(b"xmlns:"):
                continue
            prefix, uri = name[6:], _attribute_value(value)
            bound = self.prefixes.get(prefix)
            if bound != uri and (uri in OURS or bound in OURS):
                raise NeedsReference(f"namespace declaration {name!r} below the root")

    def _clark(self, qname: bytes, attribute: bool) -> str:
        prefix, _, local = qname.rpartition(b":")
        namespace = self.prefixes.get(prefix) if prefix or not attribute else None
        name = local.decode("utf-8", "replace")
        return f"{{{namespace}}}{name}" if namespace else name

    def _code(self, qname: bytes) -> str | None:
        try:
            return self.codes[qname]
        except KeyError:
            if len(self.codes) > _CACHE_LIMIT:
                self.codes.clear()
            code = self.codes[qname] = _code_of(self._clark(qname, False))
            return code

    def _attrib(self, attrs: bytes) -> dict[str, str]:
        try:
            return self.attributes[attrs]
        except KeyError:
            if len(self.attributes) > _CACHE_LIMIT:
                self.attributes.clear()
            attrib = {}
            for match in _ATTRIBUTE.finditer(attrs):
                name = match.group(1)
                if name == b"xmlns" or name.startswith(b"xmlns:"):
                    continue
                value = match.group(2) if match.group(2) is not None else match.group(3)
                attrib[self._clark(name, True)] = _attribute_value(value)
            self.attributes[attrs] = attrib
            return attrib

    # --- the part

    def feed(self, name: str) -> None:
        validator = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                                    huge_tree=False, remove_comments=True, remove_pis=True, target=_Validator())
        buffer = b""
        started = False
        try:
            for chunk in self.package.chunks(name):
                validator.feed(chunk)
                buffer += chunk
                if not started:
                    at = self._prolog(buffer, name)
                    if at < 0:
                        continue
                    buffer, started = buffer[at:], True
                buffer = self._scan(buffer)
                if len(buffer) > MAX_TAIL:
                    raise NeedsReference("a tag or text run over 1 MiB without a tag")
            if not started:
                refuse_doctype(buffer, name)
            validator.close()
        except etree.XMLSyntaxError as error:
            raise damaged(f"{name}: {error}") from None
        if started and buffer.strip():
            self._scan(buffer, final=True)

    def _prolog(self, buffer: bytes, name: str) -> int:
        """Where the root tag starts once it is complete in `buffer` (-1 until then); checks the prolog."""
        if buffer.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in buffer[:4096]:
            refuse_doctype(buffer, name)
            raise NeedsReference("not UTF-8")
        root = _root_start(buffer)
        if root < 0:
            if len(buffer) >= CHUNK * 4:
                refuse_doctype(buffer, name)
                raise NeedsReference("no root element in the first 256 KiB")
            return -1
        refuse_doctype(buffer, name)
        declared = _ENCODING.match(buffer.removeprefix(b"\xef\xbb\xbf"))
        if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            raise NeedsReference("not UTF-8")
        match = self.token.match(buffer, root)
        if match is None:
            if buffer.find(b">", root) < 0 and len(buffer) - root < MAX_TAIL:
                return -1  # the root tag is not complete yet
            raise NeedsReference("the root tag is not a plain start tag")
        ruled, attrs, closing, other, other_attrs = match.groups()
        qname, attrs = (ruled, attrs) if ruled is not None else (other, other_attrs)
        if closing or attrs.endswith(b"/") or _STRICT_ATTRIBUTES.fullmatch(attrs) is None:
            raise NeedsReference("the root tag is empty or unusual")
        self._declare_root(attrs)
        clark = self._clark(qname, False)
        code = _code_of(clark)
        if code is not None:
            namespace = clark[1:].split("}", 1)[0]
            if namespace not in W_NAMESPACES:
                raise NeedsReference("the root is not a WordprocessingML element")
            self.walker._use_namespace(namespace)
        return root

    def _scan(self, buffer: bytes, final: bool = False) -> bytes:
        """Run the walker over the complete tags of `buffer`; returns what must wait for the next chunk."""
        walker = self.walker
        stack = walker.stack
        starts, ends = walker.starts, walker.ends
        codes, code_of, attrib_of = self.codes, self._code, self._attrib
        max_depth = walker.max_depth
        if b"<!" in buffer or b"<?" in buffer:
            raise NeedsReference("comments, CDATA or processing instructions")
        position = 0
        for match in self.token.finditer(buffer):
            begin = match.start()
            if walker.collect is not None and begin > position:
                walker.buffer.append(_text(buffer[position:begin]))
            position = match.end()
            ruled, attrs, closing, other, other_attrs = match.groups()
            if closing:
                if walker.skip:
                    walker.skip -= 1
                    continue
                if not stack:
                    raise damaged("an end tag without its start tag")
                code = stack.pop()
                if code is not None and (handler := ends.get(code)) is not None:
                    handler()
                continue
            if ruled is None:
                attrs = other_attrs
            if attrs:
                if (b"'" in attrs or attrs.count(b'"') % 2) and _STRICT_ATTRIBUTES.fullmatch(attrs) is None:
                    raise NeedsReference("a '>' inside an attribute value")
                if b"xmlns" in attrs:
                    self._check_declarations(attrs)
            slash = ruled is not None and attrs.endswith(b"/")
            if walker.skip:
                walker.skip += 1
                if walker.skip > max_depth:
                    raise too_large("XML nested too deeply")
                if slash:
                    walker.skip -= 1
                continue
            if len(stack) > max_depth:
                raise too_large("XML nested too deeply")
            qname = ruled if ruled is not None else other
            code = codes[qname] if qname in codes else code_of(qname)
            stack.append(code)
            if ruled is not None and code is not None and (handler := starts.get(code)) is not None:
                handler(attrib_of(attrs))
            if slash:
                if walker.skip:
                    walker.skip -= 1
                    continue
                code = stack.pop()
                if code is not None and (handler := ends.get(code)) is not None:
                    handler()
        rest = buffer[position:]
        lt = rest.rfind(b"<")
        if final:
            keep = len(rest)
        elif lt >= 0:
            keep = lt
        else:  # text only: hand it on, but never split a character, a reference or a line end
            keep = max(0, len(rest) - 16)
            while keep and rest[keep] & 0xC0 == 0x80:
                keep -= 1
            amp = rest.rfind(b"&", 0, keep)
            if amp >= 0 and rest.find(b";", amp, keep) < 0:
                keep = amp
            if keep and rest[keep - 1] == 0x0D:
                keep -= 1
        if keep and walker.collect is not None:
            walker.buffer.append(_text(rest[:keep]))
        done = position + keep
        package = self.package
        package.elements_left -= buffer.count(b"<", 0, done) - buffer.count(b"</", 0, done)
        if package.elements_left < 0:
            raise too_large("too many XML elements")
        return buffer[done:]
