"""What a run looks like and how a paragraph is numbered: styles, theme colours, numbering.

Run properties are resolved the way Word layers them, simplified where the difference cannot matter for
counting words or telling their colour:

    direct run properties (w:r/w:rPr)
      > character style (w:rStyle, with its w:basedOn chain)
      > paragraph style (w:pStyle, or the default paragraph style; with its w:basedOn chain)
      > document defaults (w:docDefaults/w:rPrDefault)

The first level that says something wins. Only two properties are resolved: hidden (w:vanish; an explicit
w:val="0" at a nearer level shows the text again — Word's toggle-property XOR between style levels is not
modelled) and colour (w:color). Table styles and the paragraph mark's own properties (w:pPr/w:rPr) are
ignored: the mark's properties never hide or colour the runs.

A colour is resolved to RGB: w:themeColor wins over w:val (Word keeps w:val only as a cached copy) and is
looked up in the theme part's colour scheme (text1/dark1 -> dk1, background1/light1 -> lt1, text2 -> dk2,
background2 -> lt2, accentN, hyperlink -> hlink, followedHyperlink -> folHlink; the Office default theme if
the document has none), then w:themeTint / w:themeShade lighten or darken its HLS lightness. "auto" or no
colour at all is black. `classify_rgb` then names the colour:

- black: automatic, or dark (HSV value < 0.25), or a dark grey (saturation < 0.30 and value < 0.45)
- other: mid and light greys and white (saturation < 0.30, value >= 0.45)
- otherwise by hue: red below 20 deg or from 330 deg, green 70-170 deg, blue 170-260 deg (cyan counts as
  blue), anything else (orange, yellow, purple, magenta) other.
"""
from __future__ import annotations

import colorsys
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

W_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                "http://purl.oclc.org/ooxml/wordprocessingml/main")

COLOURS = ("black", "blue", "green", "red", "other")

DEFAULT_THEME = {
    "dk1": "000000", "lt1": "FFFFFF", "dk2": "44546A", "lt2": "E7E6E6", "accent1": "4472C4",
    "accent2": "ED7D31", "accent3": "A5A5A5", "accent4": "FFC000", "accent5": "5B9BD5", "accent6": "70AD47",
    "hlink": "0563C1", "folHlink": "954F72",
}
_THEME_NAMES = {
    "dark1": "dk1", "light1": "lt1", "dark2": "dk2", "light2": "lt2", "text1": "dk1", "background1": "lt1",
    "text2": "dk2", "background2": "lt2", "hyperlink": "hlink", "followedHyperlink": "folHlink",
}
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")

# (w:val, w:themeColor, w:themeTint, w:themeShade)
ColourSpec = tuple[str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class RunLook:
    """What one layer says about a run: None means "nothing here, ask the next layer"."""

    hidden: bool | None = None
    colour: ColourSpec | None = None

    def over(self, fallback: RunLook) -> RunLook:
        return RunLook(self.hidden if self.hidden is not None else fallback.hidden,
                       self.colour if self.colour is not None else fallback.colour)


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _wval(element: etree._Element, name: str = "val") -> str | None:
    for ns in W_NAMESPACES:
        value = element.get(f"{{{ns}}}{name}")
        if value is not None:
            return value
    return None


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    """The first child with this local name, in any namespace (lxml searches in C)."""
    if element is None:
        return None
    return element.find(f"{{*}}{name}")


def on_off(value: str | None) -> bool:
    """A WordprocessingML on/off value: absent w:val means on."""
    return value is None or value.lower() not in ("0", "false", "off", "none")


def look_from_rpr(values: dict[str, str | None]) -> RunLook:
    """A RunLook from the parsed children of one w:rPr: {"vanish": val, "color": val, "themeColor": ...}."""
    hidden = on_off(values["vanish"]) if "vanish" in values else None
    colour = None
    if "color" in values or "themeColor" in values:
        colour = (values.get("color"), values.get("themeColor"), values.get("themeTint"), values.get("themeShade"))
    return RunLook(hidden, colour)


def _look_of(rpr: etree._Element | None) -> RunLook:
    values: dict[str, str | None] = {}
    for child in rpr if rpr is not None else ():
        name = _local(child)
        if name in ("vanish", "specVanish"):
            values["vanish"] = _wval(child)
        elif name == "color":
            values["color"] = _wval(child)
            for attribute in ("themeColor", "themeTint", "themeShade"):
                if (value := _wval(child, attribute)) is not None:
                    values[attribute] = value
    return look_from_rpr(values)


_LOOK_KEYS = ("vanish", "color", "themeColor", "themeTint", "themeShade")


def _look_from_slots(slots, absent: object) -> RunLook:
    return look_from_rpr({key: value for key, value in zip(_LOOK_KEYS, slots, strict=True) if value is not absent})


@dataclass
class _Style:
    kind: str
    based_on: str | None
    look: RunLook
    num_id: str | None = None
    ilvl: str | None = None


@dataclass
class StyleSheet:
    """styles.xml, resolved on demand (each style once). Built by `parse` (lxml; the reference) or, for the
    compiled word counter, by `from_scan`."""

    styles: dict[str, _Style] = field(default_factory=dict)
    defaults: RunLook = field(default_factory=RunLook)
    default_paragraph: str | None = None
    _resolved: dict[str | None, RunLook] = field(default_factory=dict)
    _paragraph_looks: dict[str | None, RunLook] = field(default_factory=dict)
    _records: dict[str, tuple] | None = None  # from_scan: styles not yet asked for
    _absent: object = None

    @classmethod
    def parse(cls, elements: Iterable[etree._Element]) -> StyleSheet:
        """From the children of w:styles (an element or an iterator of them)."""
        sheet = cls()
        for element in elements:
            name = _local(element)
            if name == "docDefaults":
                sheet.defaults = _look_of(_child(_child(element, "rPrDefault"), "rPr"))
            elif name == "style":
                style_id = _wval(element, "styleId") or ""
                kind = _wval(element, "type") or "paragraph"
                based = _child(element, "basedOn")
                num_pr = _child(_child(element, "pPr"), "numPr")
                style = _Style(kind, _wval(based) if based is not None else None, _look_of(_child(element, "rPr")))
                if num_pr is not None:
                    num_id, ilvl = _child(num_pr, "numId"), _child(num_pr, "ilvl")
                    style.num_id = _wval(num_id) if num_id is not None else None
                    style.ilvl = _wval(ilvl) if ilvl is not None else None
                sheet.styles[style_id] = style
                if kind == "paragraph" and _wval(element, "default") in ("1", "true", "on"):
                    sheet.default_paragraph = style_id
        return sheet

    @classmethod
    def from_scan(cls, scanned: tuple[tuple | None, dict[str, tuple], str | None], absent: object) -> StyleSheet:
        """From what the compiled StyleScanner read of styles.xml (portal/documents/_fastcount.c): the same facts
        `parse` keeps, as plain tuples; each style becomes a _Style only when a document asks for it.

        `scanned` is (the docDefaults look slots or None, {styleId: (type, basedOn, numId, ilvl, *look slots)},
        the default paragraph style or None); look slots are (vanish, color, themeColor, themeTint, themeShade),
        `absent` where the w:rPr said nothing."""
        defaults, records, default_paragraph = scanned
        sheet = cls(default_paragraph=default_paragraph)
        if defaults is not None:
            sheet.defaults = _look_from_slots(defaults, absent)
        sheet._records, sheet._absent = records, absent
        return sheet

    def _style(self, style_id: str) -> _Style | None:
        style = self.styles.get(style_id)
        if style is None and self._records is not None and style_id in self._records:
            kind, based_on, num_id, ilvl, *slots = self._records[style_id]
            style = self.styles[style_id] = _Style(kind, based_on, _look_from_slots(slots, self._absent), num_id, ilvl)
        return style

    def _chain(self, style_id: str | None) -> list[_Style]:
        chain, seen = [], set()
        while style_id and (style := self._style(style_id)) is not None and style_id not in seen and len(chain) < 32:
            seen.add(style_id)
            chain.append(style)
            style_id = style.based_on
        return chain

    def style_look(self, style_id: str | None) -> RunLook:
        """What a style (with its basedOn chain) says about runs; nothing for an unknown id."""
        if style_id not in self._resolved:
            look = RunLook()
            for style in self._chain(style_id):
                look = look.over(style.look)
            self._resolved[style_id] = look
        return self._resolved[style_id]

    def paragraph_look(self, pstyle: str | None) -> RunLook:
        """What runs of a paragraph inherit before their own character style and direct properties."""
        try:
            return self._paragraph_looks[pstyle]
        except KeyError:
            look = self._paragraph_looks[pstyle] = self.style_look(pstyle or self.default_paragraph).over(self.defaults)
            return look

    def paragraph_numbering(self, pstyle: str | None) -> tuple[str | None, str | None]:
        """(numId, ilvl) that a paragraph style (with its basedOn chain) gives; None where it says nothing."""
        num_id = ilvl = None
        for style in self._chain(pstyle or self.default_paragraph):
            num_id = num_id if num_id is not None else style.num_id
            ilvl = ilvl if ilvl is not None else style.ilvl
        return num_id, ilvl

    def numbering_style_num_id(self, style_id: str) -> str | None:
        style = self._style(style_id)
        return style.num_id if style else None


# --- colours ------------------------------------------------------------------------------------------

def parse_theme(root: etree._Element | None) -> dict[str, str]:
    """The theme's colour scheme as {dk1: "000000", ...}, over the Office default."""
    scheme = dict(DEFAULT_THEME)
    if root is None:
        return scheme
    for element in root.iter():
        if _local(element) != "clrScheme":
            continue
        for slot in element:
            for colour in slot:
                value = colour.get("lastClr") if _local(colour) == "sysClr" else colour.get("val")
                if value and _HEX.match(value):
                    scheme[_local(slot)] = value.upper()
        break
    return scheme


def _adjust(rgb: str, tint: str | None, shade: str | None) -> str:
    r, g, b = (int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))
    h, lightness, s = colorsys.rgb_to_hls(r, g, b)
    for value, lighten in ((tint, True), (shade, False)):
        if value and re.fullmatch(r"[0-9A-Fa-f]{1,2}", value):
            factor = int(value, 16) / 255
            lightness = lightness * factor + (1 - factor) if lighten else lightness * factor
    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return "".join(f"{round(c * 255):02X}" for c in (r, g, b))


def resolve_rgb(spec: ColourSpec | None, theme: dict[str, str]) -> str | None:
    """RGB hex of a colour spec; None for automatic."""
    if spec is None:
        return None
    val, theme_colour, tint, shade = spec
    if theme_colour:
        base = theme.get(_THEME_NAMES.get(theme_colour, theme_colour))
        if base:
            return _adjust(base, tint, shade)
    if val and _HEX.match(val):
        return val.upper()
    return None


def classify_rgb(rgb: str | None) -> str:
    """black, blue, green, red or other (see the module docstring for the thresholds)."""
    if rgb is None:
        return "black"
    r, g, b = (int(rgb[i:i + 2], 16) / 255 for i in (0, 2, 4))
    hue, saturation, value = colorsys.rgb_to_hsv(r, g, b)
    if value < 0.25:
        return "black"
    if saturation < 0.30:
        return "black" if value < 0.45 else "other"
    degrees = hue * 360
    if degrees < 20 or degrees >= 330:
        return "red"
    if 70 <= degrees < 170:
        return "green"
    if 170 <= degrees < 260:
        return "blue"
    return "other"


class Palette:
    """Colour class of a ColourSpec under one document's theme, cached."""

    def __init__(self, theme: dict[str, str]) -> None:
        self.theme = theme
        self._cache: dict[ColourSpec | None, str] = {}

    def classify(self, spec: ColourSpec | None) -> str:
        if spec not in self._cache:
            self._cache[spec] = classify_rgb(resolve_rgb(spec, self.theme))
        return self._cache[spec]


# --- numbering ----------------------------------------------------------------------------------------

@dataclass
class _Level:
    num_fmt: str
    text: str | None
    pstyle: str | None


class Numbering:
    """numbering.xml: the label text of each (numId, ilvl), with %N placeholders filled with "1"."""

    def __init__(self, elements: Iterable[etree._Element], styles: StyleSheet) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.abstract_link: dict[str, str] = {}  # abstractNumId -> numStyleLink
        self.nums: dict[str, tuple[str, dict[int, _Level]]] = {}
        self.styles = styles
        self._labels: dict[tuple[str, int], str] = {}
        for element in elements:
            name = _local(element)
            if name == "abstractNum":
                abstract_id = _wval(element, "abstractNumId") or ""
                self.abstract[abstract_id] = self._levels(element)
                link = _child(element, "numStyleLink")
                if link is not None and _wval(link):
                    self.abstract_link[abstract_id] = _wval(link) or ""
            elif name == "num":
                ref = _child(element, "abstractNumId")
                overrides: dict[int, _Level] = {}
                for override in element:
                    if _local(override) == "lvlOverride":
                        overrides.update(self._levels(override))
                self.nums[_wval(element, "numId") or ""] = (_wval(ref) if ref is not None else "") or "", overrides

    @staticmethod
    def _levels(parent: etree._Element) -> dict[int, _Level]:
        levels = {}
        for lvl in parent:
            if _local(lvl) != "lvl":
                continue
            fmt, text, pstyle = _child(lvl, "numFmt"), _child(lvl, "lvlText"), _child(lvl, "pStyle")
            try:
                ilvl = int(_wval(lvl, "ilvl") or 0)
            except ValueError:
                continue
            levels[ilvl] = _Level((_wval(fmt) if fmt is not None else None) or "decimal",
                                  _wval(text) if text is not None else None,
                                  _wval(pstyle) if pstyle is not None else None)
        return levels

    def _level_table(self, num_id: str, depth: int = 0) -> dict[int, _Level]:
        abstract_id, overrides = self.nums.get(num_id, ("", {}))
        levels = self.abstract.get(abstract_id, {})
        link = self.abstract_link.get(abstract_id)
        if link and depth < 4:
            linked = self.styles.numbering_style_num_id(link)
            if linked and linked != num_id:
                levels = {**self._level_table(linked, depth + 1), **levels}
        return {**levels, **overrides} if overrides else levels

    def level_for_style(self, num_id: str, pstyle: str | None) -> int:
        for ilvl, level in self._level_table(num_id).items():
            if pstyle and level.pstyle == pstyle:
                return ilvl
        return 0

    def label(self, num_id: str, ilvl: int) -> str:
        """The label a paragraph shows, as text (numbers written as 1); "" when there is none."""
        key = (num_id, ilvl)
        if key not in self._labels:
            levels = self._level_table(num_id)
            level = levels.get(ilvl)
            text = ""
            if level is not None and level.text is not None:
                def fill(match: re.Match) -> str:
                    referenced = levels.get(int(match.group(1)) - 1)
                    return "" if referenced is not None and referenced.num_fmt == "none" else "1"
                text = re.sub(r"%([1-9])", fill, level.text)
            self._labels[key] = text
        return self._labels[key]
