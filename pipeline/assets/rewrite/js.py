"""JavaScript module references: static ``import``/``export … from``, ``import("literal")`` and
``new URL("literal", import.meta.url)``.

Parsing is tree-sitter's JavaScript grammar, so specifiers inside comments, strings and template
literals are never touched. Only string literals without escapes are rewritten.
"""

from __future__ import annotations

from functools import cache

import tree_sitter_javascript
from tree_sitter import Language, Parser, Query, QueryCursor

from pipeline.assets.rewrite import NewUrl, Reference, splice

_QUERY = """
(import_statement source: (string) @import)
(export_statement source: (string) @import)
(call_expression function: (import) arguments: (arguments . (string) @import .))
(new_expression
  constructor: (identifier) @ctor
  arguments: (arguments . (string) @url .
    (member_expression object: (meta_property) property: (property_identifier) @prop))
  (#eq? @ctor "URL") (#eq? @prop "url"))
"""


@cache
def _language() -> Language:
    return Language(tree_sitter_javascript.language())


@cache
def _query() -> Query:
    return Query(_language(), _QUERY)


def references(text: str) -> list[Reference]:
    """Module specifiers and asset URLs in a JS module, with character offsets into ``text``."""
    data = text.encode("utf-8")
    tree = Parser(_language()).parse(data)
    found: list[Reference] = []
    for _, captures in QueryCursor(_query()).matches(tree.root_node):
        for kind in ("import", "url"):
            for node in captures.get(kind, []):
                if any(child.type == "escape_sequence" for child in node.children):
                    continue
                inner_start, inner_end = node.start_byte + 1, node.end_byte - 1
                url = data[inner_start:inner_end].decode("utf-8")
                start = len(data[:inner_start].decode("utf-8"))
                found.append(Reference(url, start, start + len(url), node.start_point[0] + 1, kind))
    found.sort(key=lambda r: r.start)
    return found


def is_relative_specifier(url: str) -> bool:
    """Bare specifiers (``lit``, ``@scope/pkg``) belong to import maps and are left alone."""
    return url.startswith(("./", "../", "/"))


def rewrite(text: str, new_url: NewUrl, refs: list[Reference] | None = None) -> str:
    edits = []
    for ref in references(text) if refs is None else refs:
        url = new_url(ref)
        if url is not None and url != ref.url:
            quote = text[ref.start - 1]
            edits.append((ref.start, ref.end, url.replace("\\", "\\\\").replace(quote, "\\" + quote)))
    return splice(text, edits)


_CALLS = "(call_expression function: (import) arguments: (arguments) @arguments)"


@cache
def _calls() -> Query:
    return Query(_language(), _CALLS)


def imports_unknown(text: str, refs: list[Reference]) -> bool:
    """Whether the module may import modules its references do not name: a bare specifier (resolved by an
    import map), or an ``import(…)`` whose only argument is not a plain string literal (a template, a name, a
    second argument: not read as a reference)."""
    if any(r.kind == "import" and not is_relative_specifier(r.url) for r in refs):
        return True
    tree = Parser(_language()).parse(text.encode("utf-8"))
    for _, captures in QueryCursor(_calls()).matches(tree.root_node):
        for node in captures.get("arguments", []):
            named = node.named_children
            if len(named) != 1 or named[0].type != "string" or any(c.type == "escape_sequence"
                                                                    for c in named[0].children):
                return True
    return False
