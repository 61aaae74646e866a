"""CSS references: ``@import``, ``url()`` (quoted or not) and ``image-set()`` strings.

Tokenising is tinycss2's (CSS Syntax Level 3), so comments and look-alike strings such as
``content: "url(x)"`` are never mistaken for references.
"""

from __future__ import annotations

import re

import tinycss2
from tinycss2 import ast

from pipeline.assets.rewrite import NewUrl, Reference, splice

_IMAGE_SET = {"image-set", "-webkit-image-set"}
_URL_SAFE = re.compile(r"[^\s\"'()\\\x00-\x1f\x7f]*")
# CSS Syntax 3 newlines (what tinycss2 counts lines by); str.splitlines would also split on U+2028 etc.
_NEWLINE = re.compile(r"\r\n|\r|\n|\f")
_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\a ", "\r": "\\d ", "\f": "\\c "}


def _offsets(text: str) -> list[int]:
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def _escape(value: str, quote: str) -> str:
    return "".join(_STRING_ESCAPES.get(ch, "\\" + ch if ch == quote else ch) for ch in value)


def _token_end(text: str, start: int, closing: str) -> int:
    """End offset (exclusive) of a string or ``url(`` token that starts at ``start``."""
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == closing:
            return i + 1
        i += 1
    return len(text)


def references(text: str) -> list[Reference]:
    """Every URL reference in a stylesheet (or a ``style`` attribute), in source order."""
    line_starts = _offsets(text)
    found: list[Reference] = []

    def start_of(token: ast.Node) -> int:
        return line_starts[token.source_line - 1] + token.source_column - 1

    def add(token: ast.Node, kind: str) -> None:
        start = start_of(token)
        closing = ")" if isinstance(token, ast.URLToken) else text[start]
        found.append(Reference(token.value, start, _token_end(text, start, closing), token.source_line, kind))

    def walk(tokens: list[ast.Node]) -> None:
        after_import = False
        for token in tokens:
            if isinstance(token, (ast.WhitespaceToken, ast.Comment)):
                continue
            if isinstance(token, ast.URLToken):
                add(token, "import" if after_import else "url")
            elif isinstance(token, ast.StringToken) and after_import:
                add(token, "import")
            elif isinstance(token, ast.FunctionBlock):
                name = token.lower_name
                strings = [a for a in token.arguments if isinstance(a, ast.StringToken)]
                if name == "url" and strings:
                    add(strings[0], "import" if after_import else "url")
                elif name in _IMAGE_SET:
                    for s in strings:
                        add(s, "url")
                walk(token.arguments)
            elif getattr(token, "content", None) is not None and not isinstance(token.content, str):
                walk(token.content)
            after_import = isinstance(token, ast.AtKeywordToken) and token.lower_value == "import"

    walk(tinycss2.parse_component_value_list(text, skip_comments=False))
    return sorted(found, key=lambda ref: ref.start)


def _serialize(original: str, url: str) -> str:
    quote = original[0] if original[:1] in ("'", '"') else None
    if quote is None:
        return f"url({url})" if _URL_SAFE.fullmatch(url) else f'url("{_escape(url, chr(34))}")'
    return f"{quote}{_escape(url, quote)}{quote}"


def rewrite(text: str, new_url: NewUrl, refs: list[Reference] | None = None) -> str:
    """``text`` with every reference for which ``new_url`` returns a value replaced by it."""
    edits = []
    for ref in references(text) if refs is None else refs:
        url = new_url(ref)
        if url is not None and url != ref.url:
            edits.append((ref.start, ref.end, _serialize(text[ref.start:ref.end], url)))
    return splice(text, edits)
