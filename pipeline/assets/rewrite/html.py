"""HTML references, found and rewritten through lxml's HTML parser.

Asset references (scripts, stylesheets, icons, images, media) must resolve; navigation links
(``a``, ``area``, ``iframe``, other ``link`` rels) are rewritten only when they point at an asset.
Inline ``<style>``, ``style=""`` and ``<script type="module">`` go through the CSS and JS rewriters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import lxml.html
from lxml import etree

from pipeline.assets.rewrite import ASSET, LINK, NewUrl, Reference, css, js, splice

_ASSET_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"), "video": ("src", "poster"),
    "audio": ("src",), "track": ("src",), "embed": ("src",), "object": ("data",),
    "image": ("href", "xlink:href"), "use": ("href", "xlink:href"),
}
_LINK_ATTRS: dict[str, tuple[str, ...]] = {"a": ("href",), "area": ("href",), "iframe": ("src",)}
ASSET_RELS = frozenset({
    "stylesheet", "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon",
    "preload", "modulepreload", "prefetch", "manifest",
})
MODULE_TYPES = frozenset({"module"})


class HtmlError(ValueError):
    """The file is not usable HTML (empty, not UTF-8)."""


def parse(data: bytes) -> etree._ElementTree:
    """Parse a UTF-8 HTML document the way browsers do (lenient), refusing empty or non-UTF-8 input."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HtmlError(f"not UTF-8 (byte {exc.start}); save the page as UTF-8") from None
    if not data.strip():
        raise HtmlError("the page is empty")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_blank_text=False)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise HtmlError(f"cannot parse HTML: {exc}") from None
    return root.getroottree()


def serialize(tree: etree._ElementTree) -> bytes:
    doctype = tree.docinfo.doctype or None
    return lxml.html.tostring(tree, encoding="utf-8", method="html", doctype=doctype)


def _kind(element: etree._Element, attribute: str) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "link":
        rels = set((element.get("rel") or "").lower().split())
        return ASSET if rels & ASSET_RELS else LINK
    if tag == "input":
        return ASSET if (element.get("type") or "").lower() == "image" else LINK
    return ASSET if attribute in _ASSET_ATTRS.get(tag, ()) else LINK


def _srcset(value: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, url) of each image candidate in a ``srcset`` value, as the HTML spec parses it:
    a URL is a run of non-whitespace (commas included, so ``data:`` URLs survive) minus trailing
    commas; its descriptors run to the next comma outside parentheses."""
    pos, length = 0, len(value)
    while pos < length:
        while pos < length and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < length and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        stripped = url.rstrip(",")
        if stripped:
            yield start, start + len(stripped), stripped
        if len(stripped) != len(url):
            continue  # trailing commas ended this candidate: it has no descriptors
        depth = 0
        while pos < length and (value[pos] != "," or depth):
            depth += {"(": 1, ")": -1}.get(value[pos], 0)
            pos += 1


def _is_module_script(element: etree._Element) -> bool:
    return element.tag == "script" and (element.get("type") or "").strip().lower() in MODULE_TYPES


@dataclass(frozen=True)
class _Site:
    """One place in the tree that holds references, and how to write new URLs back into it."""

    element: etree._Element
    refs: list[Reference]
    apply: Callable[[NewUrl], None]


def _attribute_site(element: etree._Element, attr: str, value: str, line: int) -> _Site:
    kind = _kind(element, attr)
    if attr == "srcset":
        refs = [Reference(url, start, end, line, kind) for start, end, url in _srcset(value)]

        def apply(new_url: NewUrl) -> None:
            edits = [(r.start, r.end, u) for r in refs if (u := new_url(r)) is not None]
            element.set(attr, splice(value, edits))
    else:
        refs = [Reference(value.strip(), 0, len(value), line, kind)]

        def apply(new_url: NewUrl) -> None:
            url = new_url(refs[0])
            if url is not None:
                element.set(attr, url)
    return _Site(element, refs, apply)


def _inline_site(element: etree._Element, code: str, line: int, *, module: bool, attr: str | None) -> _Site:
    """Inline CSS (``<style>``, ``style=""``) or an inline module script, with page line numbers."""
    rewriter = js if module else css

    def adjust(ref: Reference) -> Reference | None:
        if module and not (js.is_relative_specifier(ref.url) or ref.kind == "url"):
            return None  # bare specifiers belong to import maps
        return replace(ref, line=line if attr else line + ref.line - 1, kind=ASSET)

    refs = [r for r in map(adjust, rewriter.references(code)) if r is not None]

    def apply(new_url: NewUrl) -> None:
        def translated(ref: Reference) -> str | None:
            adjusted = adjust(ref)
            return new_url(adjusted) if adjusted is not None else None

        new_code = rewriter.rewrite(code, translated)
        if attr:
            element.set(attr, new_code)
        else:
            element.text = new_code

    return _Site(element, refs, apply)


def _importmap_site(element: etree._Element, line: int) -> _Site | None:
    """Targets of an author's import map (``imports`` and ``scopes`` values): bare specifiers resolve to
    these URLs, so they must name the hashed files. Prefix mappings (ending in ``/``) are left alone."""
    try:
        data = json.loads(element.text or "")
    except ValueError:
        return None  # reported by the SRI step, which has to extend the map
    if not isinstance(data, dict):
        return None
    maps = [data.get("imports"), *(data.get("scopes") or {}).values()]
    slots = [(m, key) for m in maps if isinstance(m, dict) for key, value in m.items()
             if isinstance(value, str) and not value.endswith("/")]
    refs = [Reference(m[key], 0, len(m[key]), line, ASSET) for m, key in slots]

    def apply(new_url: NewUrl) -> None:
        changed = False
        for (mapping, key), ref in zip(slots, refs, strict=True):
            url = new_url(ref)
            if url is not None and url != mapping[key]:
                mapping[key] = url
                changed = True
        if changed:
            element.text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    return _Site(element, refs, apply)


def _sites(tree: etree._ElementTree) -> Iterator[_Site]:
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        line = element.sourceline or 0
        if element.tag == "link":
            attrs: tuple[str, ...] = ("href",)
        elif element.tag == "input":
            attrs = ("src",)
        else:
            attrs = _ASSET_ATTRS.get(element.tag, ()) + _LINK_ATTRS.get(element.tag, ())
        for attr in attrs:
            value = element.get(attr)
            if value is not None:
                yield _attribute_site(element, attr, value, line)
        if element.get("style"):
            yield _inline_site(element, element.get("style"), line, module=False, attr="style")
        if element.tag == "style" and element.text:
            yield _inline_site(element, element.text, line, module=False, attr=None)
        if _is_module_script(element) and element.get("src") is None and element.text:
            yield _inline_site(element, element.text, line, module=True, attr=None)
        if element.tag == "script" and (element.get("type") or "").strip().lower() == "importmap":
            site = _importmap_site(element, line)
            if site is not None:
                yield site


def references(tree: etree._ElementTree) -> list[Reference]:
    """Every reference in document order: attributes, srcset candidates, inline CSS and modules."""
    return [ref for site in _sites(tree) for ref in site.refs]


def base_href(tree: etree._ElementTree) -> str | None:
    """The first ``<base href>``, which browsers use to resolve every relative URL in the page."""
    for element in tree.iter("base"):
        if element.get("href") is not None:
            return element.get("href")
    return None


def rewrite(tree: etree._ElementTree, new_url: NewUrl) -> None:
    """Rewrite every reference in place for which ``new_url`` returns a URL."""
    for site in list(_sites(tree)):
        site.apply(new_url)


def replace_marker(tree: etree._ElementTree, make: Callable[[], etree._Element]) -> bool:
    """Swap every ``<link data-vango rel="go">`` for ``make()``; True if the page had a marker."""
    found = False
    for element in list(tree.iter("link")):
        if element.get("data-vango") is not None and (element.get("rel") or "").lower() == "go":
            new = make()
            new.tail = element.tail
            element.getparent().replace(element, new)
            found = True
    return found


def append_to_head(tree: etree._ElementTree, element: etree._Element) -> None:
    root = tree.getroot()
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    if len(head):
        element.tail = head[-1].tail
        head[-1].tail = (head[-1].tail or "")
    head.append(element)


def script_element(src: str, module: bool = True) -> etree._Element:
    element = etree.Element("script")
    if module:
        element.set("type", "module")
    element.set("src", src)
    element.text = ""
    return element


def insert_before_resources(tree: etree._ElementTree, element: etree._Element) -> None:
    """Put ``element`` before the page's first script, stylesheet link or style (after the <meta>s)."""
    first = next((e for e in tree.iter("script", "link", "style")), None)
    if first is not None:
        element.tail = first.tail
        first.addprevious(element)
    else:
        append_to_head(tree, element)


def inline_script(code: str) -> etree._Element:
    element = etree.Element("script")
    element.text = code
    return element
