"""Minifiers for the release profile: text in, text out, the same output for the same input.

JS and CSS go through tdewolff's minifiers (the Go library Hugo uses, through its Python binding): comments
and whitespace go, local names and CSS values get shorter, and comments that start with ``/*!`` stay, as
esbuild and Terser keep them: that is where licences live. (rcssmin was tried and dropped: it removes the
spaces inside a quoted ``url("a b.png")``.) HTML goes through minify-html with closing tags and the
``<html>``/``<head>`` tags kept, so the page's shape is the one the author wrote.

minify-html trims the text of inline ``<script>`` and ``<style>`` elements, which would change their CSP
hashes; :func:`inline_code` therefore minifies that text in the parsed page *before* the policy hashes it,
and the minified text is then left as it is (see :func:`html`). A syntax error is a :class:`MinifyError`
with the line it is on.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml import etree

# <script type> values whose text is JavaScript (WHATWG HTML, "JavaScript MIME type essence match")
_SCRIPT_TYPES = frozenset({"", "module", "text/javascript", "application/javascript", "application/ecmascript",
                           "text/ecmascript"})
_JSON_TYPES = frozenset({"importmap", "application/json", "application/ld+json", "speculationrules"})


@cache
def versions() -> str:
    """The minifiers' versions: a task's settings name them, so an upgrade that changes their output
    re-runs the steps that minify (as the compress step's key names the encoders' versions)."""
    from importlib import metadata

    found = []
    for name in ("minify-html", "tdewolff-minify"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ", ".join(found)


def task_settings(enabled: Any) -> dict[str, Any]:
    """What a minifying step's output depends on: which kinds are on (``enabled``), and the minifiers."""
    return {"on": enabled, "minifiers": versions()}


class MinifyError(ValueError):
    """Code the minifier cannot parse: ``str(error)`` says what, ``line`` where (1-based, or None)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


_WHERE = re.compile(r" on line (\d+) and column (\d+)$")


def _minified(mediatype: str, text: str) -> str:
    import minify as tdewolff  # the binding's package is named "minify"

    if not text.strip():
        return ""
    _configure(tdewolff)
    try:
        return tdewolff.string(mediatype, text).strip()
    except tdewolff.MinifyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "cannot be parsed"
        where = _WHERE.search(first)
        if where is None:
            raise MinifyError(first, None) from None
        raise MinifyError(f"{first[:where.start()]} (column {where.group(2)})", int(where.group(1))) from None


_configured = False


def _configure(tdewolff: Any) -> None:
    """The binding's settings are global to the process: set them once, all of them, so no caller's change
    can leak into another's output."""
    global _configured
    if not _configured:
        tdewolff.config({"js-keep-var-names": False, "js-precision": 0, "css-precision": 0})
        _configured = True


def js(text: str) -> str:
    return _minified("application/javascript", text)


def css(text: str) -> str:
    """Also shortens values (``#ff0000`` to ``red``, ``0px`` to ``0``) and writes font family names in lower
    case without quotes, which CSS matches case-insensitively."""
    return _minified("text/css", text)


def html(data: bytes) -> bytes:
    """A serialized page with whitespace collapsed, comments dropped and attribute quotes left out where the
    HTML standard allows. Inline code is not touched beyond trimming (:func:`inline_code` did that)."""
    import minify_html

    text = minify_html.minify(data.decode("utf-8"), keep_closing_tags=True, keep_html_and_head_opening_tags=True,
                              minify_js=False, minify_css=False)
    return text.encode("utf-8")


def json_text(text: str) -> str:
    """JSON without its insignificant whitespace; text that is not JSON is only trimmed (the page's own
    checks report it)."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return text.strip()


def generated_script(data: bytes, enabled: bool) -> bytes:
    """A script the build generates (UTF-8 bytes), minified when ``enabled``."""
    return js(data.decode("utf-8")).encode("utf-8") if enabled else data


def js_keeping_notice(text: str) -> str:
    """:func:`js`, keeping the file's leading ``//`` comment block (a copyright notice, as in Go's
    ``wasm_exec.js``) as one ``/*! */`` comment."""
    notice = []
    for line in text.lstrip("\ufeff").splitlines():
        if not line.startswith("//"):
            break
        notice.append(line[2:].strip())
    words = " ".join(w for w in notice if w).replace("*/", "* /")
    body = js(text)
    return f"/*! {words} */\n{body}" if words else body


def inline_code(tree: etree._ElementTree, *, scripts: bool, styles: bool) -> None:
    """Minify the text of the page's inline scripts (JavaScript and JSON types) and ``<style>`` elements in
    place, or only trim it where ``scripts``/``styles`` is off (minify-html trims it anyway). Scripts of other
    types (templates, ``text/x-shader``) keep their text byte for byte, as minify-html does."""
    for element in tree.iter("script", "style"):
        text = element.text
        if not text or (element.tag == "script" and element.get("src") is not None):
            continue
        kind = (element.get("type") or "").strip().lower()
        try:
            if element.tag == "style":
                element.text = css(text) if styles else text.strip()
            elif kind in _SCRIPT_TYPES:
                element.text = js(text) if scripts else text.strip()
            elif kind in _JSON_TYPES:
                element.text = json_text(text) if scripts else text.strip()
        except MinifyError as exc:  # the line within the page, not within the element
            start = element.sourceline or 1
            raise MinifyError(str(exc), start + (exc.line or 1) - 1) from None
