"""Hand-written Go wasm loaders, the shapes existing apps use: a ``<script src=…wasm_exec.js>`` plus code
calling ``new Go()`` and ``WebAssembly.instantiate(Streaming)``/``go.run``, inline or in a script file.
The build adds its own loader (at ``<link data-vango rel="go">``), so such code would fetch a ``main.wasm``
that does not exist, or start the program twice. Pure functions over a parsed page; ``vango init`` removes
what they find, and the build refuses a page that still has it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from lxml import etree

MARKER = '<link data-vango rel="go">'
_NEW_GO = re.compile(r"\bnew\s+(?:globalThis\.|window\.|self\.)?Go\s*\(")
_STARTS = re.compile(r"WebAssembly\s*\.\s*instantiate(?:Streaming)?\s*\(|\.run\s*\(")
RUNTIME_NAME = "wasm_exec.js"


@dataclass(frozen=True)
class Loader:
    element: etree._Element
    line: int
    kind: str  # "runtime" (a wasm_exec.js script), "inline" (loader code), "file" (a script file of loader code)
    src: str | None = None

    def describe(self) -> str:
        if self.kind == "runtime":
            return f"<script src=\"{self.src}\">, a copy of Go's wasm_exec.js"
        if self.kind == "file":
            return f"<script src=\"{self.src}\">, whose code starts the Go program (new Go(), instantiate, run)"
        return "an inline <script> that starts the Go program (new Go(), instantiate, run)"


def is_loader_code(text: str) -> bool:
    return bool(_NEW_GO.search(text) and _STARTS.search(text))


def find_loaders(tree: etree._ElementTree, read: Callable[[str], str | None]) -> list[Loader]:
    """Every loader element of a page, in document order. ``read(src)`` gives a local script's text (None for
    one that is not the app's)."""
    found = []
    for element in tree.iter("script"):
        src = (element.get("src") or "").strip()
        line = element.sourceline or 0
        if src:
            if PurePosixPath(src.split("?")[0].split("#")[0]).name == RUNTIME_NAME:
                found.append(Loader(element, line, "runtime", src))
            else:
                text = read(src)
                if text is not None and is_loader_code(text):
                    found.append(Loader(element, line, "file", src))
        elif is_loader_code(element.text or ""):
            found.append(Loader(element, line, "inline"))
    return found


def has_marker(tree: etree._ElementTree) -> bool:
    return any(e.get("data-vango") is not None and (e.get("rel") or "").lower() == "go" for e in tree.iter("link"))


def remove_loaders(tree: etree._ElementTree, loaders: list[Loader]) -> None:
    """Drop the loader elements and put the marker where the first one was (unless the page has one)."""
    if not loaders:
        return
    marked = has_marker(tree)
    for index, loader in enumerate(loaders):
        element = loader.element
        parent = element.getparent()
        if parent is None:
            continue
        if index == 0 and not marked:
            marker = etree.Element("link", {"data-vango": "", "rel": "go"})
            marker.tail = element.tail
            parent.replace(element, marker)
        else:
            _drop(element)


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text that followed it."""
    parent = element.getparent()
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
