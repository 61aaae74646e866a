"""Integrity attributes on the elements that fetch scripts and styles, and hashes of inline code.

Same-origin files of the app get the digest of their final bytes. Cross-origin ones must already carry
an ``integrity`` the author wrote (with ``crossorigin``, or the fetch fails) or be allow-listed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from lxml import etree

from pipeline.assets.sri import ALGORITHMS, format_integrity
from pipeline.core import urls

PROTECTED_RELS = frozenset({"stylesheet", "modulepreload", "preload"})
CORS_PRELOADS = frozenset({"font", "fetch"})  # always CORS requests: the preload needs crossorigin to be reused
JS_TYPES = frozenset({"", "module", "importmap", "text/javascript", "application/javascript", "application/ecmascript",
                      "text/ecmascript"})
_TOKEN = re.compile(r"^(sha256|sha384|sha512)-[A-Za-z0-9+/=_-]+(\?.*)?$")


class SriError(ValueError):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Fetching:
    element: etree._Element
    attribute: str


def fetching_elements(tree: etree._ElementTree) -> Iterator[Fetching]:
    """``<script src>`` and ``<link rel=stylesheet|modulepreload|preload href>``, in document order."""
    for element in tree.iter("script", "link"):
        if element.tag == "script" and element.get("src") is not None:
            yield Fetching(element, "src")
        elif (element.tag == "link" and element.get("href") is not None
              and set((element.get("rel") or "").lower().split()) & PROTECTED_RELS):
            yield Fetching(element, "href")


def has_valid_token(value: str) -> bool:
    """Browsers ignore unknown algorithms and then skip the check: such a value protects nothing."""
    return any(_TOKEN.match(token) for token in value.split())


def add_integrity(tree: etree._ElementTree, integrity_for: Callable[[str], str | None], allow: Sequence[str]) -> int:
    """Set ``integrity`` (and ``crossorigin`` where needed) on every fetching element; returns how many.

    ``integrity_for(url)`` gives the value for the app's own files and None for URLs it does not serve.
    """
    count = 0
    for item in fetching_elements(tree):
        element, url = item.element, item.element.get(item.attribute).strip()
        line = element.sourceline
        if url.startswith(("data:", "blob:")):
            continue
        value = integrity_for(url) if urls.is_local(url) else None
        if value is not None:
            element.set("integrity", value)
        elif element.get("integrity") is not None:
            if not has_valid_token(element.get("integrity")):
                raise SriError(f"integrity={element.get('integrity')!r} of {url!r} has no sha256/384/512 value: "
                               "browsers would not check it", line)
        elif any(url.startswith(prefix) for prefix in allow):
            continue
        else:
            raise SriError(f"{url!r} is not served by this app and has no integrity attribute: add one or list it "
                           "in sri.allow", line)
        cross_origin = not urls.is_local(url)
        cors_preload = element.tag == "link" and (element.get("as") or "").lower() in CORS_PRELOADS
        if (cross_origin or cors_preload) and element.get("crossorigin") is None:
            element.set("crossorigin", "anonymous")
        count += 1
    return count


def _digest(text: str, algorithm: str) -> str:
    return format_integrity(algorithm, hashlib.new(algorithm, text.encode("utf-8")).digest())


def inline_script_hashes(tree: etree._ElementTree, algorithm: str = "sha384") -> list[str]:
    """CSP hash sources for inline scripts (classic, module, import map) as the browser sees their text."""
    if algorithm not in ALGORITHMS:
        raise ValueError(algorithm)
    found = []
    for element in tree.iter("script"):
        kind = (element.get("type") or "").strip().lower()
        if element.get("src") is None and kind in JS_TYPES and element.text:
            found.append(_digest(element.text, algorithm))
    return found


def inline_style_hashes(tree: etree._ElementTree, algorithm: str = "sha384") -> list[str]:
    return [_digest(e.text, algorithm) for e in tree.iter("style") if e.text]


def has_style_attributes(tree: etree._ElementTree) -> bool:
    return any(e.get("style") is not None for e in tree.iter() if isinstance(e.tag, str))


def add_importmap_integrity(tree: etree._ElementTree, entries: dict[str, str]) -> None:
    """Give modules loaded by ``import`` (no attribute to carry a hash) their integrity via the import map.

    An author's import map is kept and extended (its own entries win); otherwise one is inserted before
    the first script, where import maps must be.
    """
    if not entries:
        return
    existing = next((e for e in tree.iter("script") if (e.get("type") or "").strip().lower() == "importmap"), None)
    if existing is not None:
        try:
            data = json.loads(existing.text or "{}")
        except ValueError as exc:
            raise SriError(f"the import map is not valid JSON: {exc}", existing.sourceline) from None
        if not isinstance(data, dict):
            raise SriError("the import map must be a JSON object", existing.sourceline)
        data["integrity"] = {**entries, **(data.get("integrity") or {})}
        existing.text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return
    element = etree.Element("script")
    element.set("type", "importmap")
    element.text = json.dumps({"integrity": dict(sorted(entries.items()))}, separators=(",", ":"))
    first_script = next(tree.iter("script"), None)
    if first_script is not None:
        element.tail = first_script.tail
        first_script.addprevious(element)
        return
    head = tree.getroot().find("head")
    if head is None:
        head = etree.SubElement(tree.getroot(), "head")
    head.append(element)


# Stylesheet services whose fonts come from another host than the stylesheet.
FONT_SERVICES = {
    "fonts.googleapis.com": ("https://fonts.gstatic.com",),
    "use.typekit.net": ("https://use.typekit.net", "https://p.typekit.net"),
    "fonts.bunny.net": ("https://fonts.bunny.net",),
}


def cross_origin_sources(tree: etree._ElementTree) -> dict[str, list[str]]:
    """The CSP sources a page's cross-origin scripts, stylesheets and preloads need (everything the build
    accepted: listed in ``sri.allow`` or carrying their own integrity): their origins in ``script-src``,
    ``style-src`` or ``font-src``, fonts of known font services in ``font-src``, and every such origin in
    ``connect-src`` (the page guard fetches a failed file again to explain the failure)."""
    from urllib.parse import urlsplit

    found: dict[str, list[str]] = {}

    def add(directive: str, source: str) -> None:
        listed = found.setdefault(directive, [])
        if source not in listed:
            listed.append(source)

    for item in fetching_elements(tree):
        url = item.element.get(item.attribute).strip()
        if urls.is_local(url) or url.startswith(("data:", "blob:")):
            continue
        parts = urlsplit(url)
        if not parts.netloc:
            continue
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme else parts.netloc
        element = item.element
        rels = set((element.get("rel") or "").lower().split())
        kind = (element.get("as") or "").lower()
        if element.tag == "script" or "modulepreload" in rels or kind == "script":
            add("script-src", origin)
        elif "stylesheet" in rels or kind == "style":
            add("style-src", origin)
            for source in FONT_SERVICES.get(parts.hostname or "", ()):
                add("font-src", source)
        elif kind == "font":
            add("font-src", origin)
        else:
            continue
        add("connect-src", origin)
    return found
