"""``@import`` of the app's own stylesheets, bundled into the importer: the imported rules take the place of
the ``@import`` rule (inside ``@media``, ``@supports`` or ``@layer`` when the import has those conditions),
so they arrive in the importer's bytes and are covered by its Subresource Integrity. An ``@import`` is not
a fetch an ``integrity`` attribute can protect; a tampered imported file would otherwise be applied.

Pure text functions: finding the top-level ``@import`` rules with their conditions, and splicing.
"""

from __future__ import annotations

from dataclasses import dataclass

import tinycss2

from pipeline.assets.rewrite import splice


@dataclass(frozen=True)
class ImportRule:
    start: int  # the rule's span in the text, "@import" to its ";"
    end: int
    url: str
    layer: str | None  # None: no layer(); "": an anonymous layer
    supports: str | None
    media: str


def _offsets(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, c in enumerate(text) if c == "\n")
    return starts


def _rule_end(text: str, start: int) -> int:
    """The index just past the ``;`` ending the at-rule that starts at ``start`` (strings and parentheses
    skipped)."""
    depth, quote, i = 0, "", start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif c == ";" and depth == 0:
            return i + 1
        i += 1
    return len(text)


def import_rules(text: str) -> list[ImportRule]:
    """Every top-level ``@import`` rule, in order, with its URL and conditions."""
    lines = _offsets(text)
    found = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if not isinstance(rule, tinycss2.ast.AtRule) or rule.lower_at_keyword != "import" or rule.content is not None:
            continue
        prelude = [t for t in rule.prelude if not isinstance(t, tinycss2.ast.Comment)]
        meaningful = [i for i, t in enumerate(prelude) if not isinstance(t, tinycss2.ast.WhitespaceToken)]
        if not meaningful:
            continue
        first = prelude[meaningful[0]]
        if isinstance(first, (tinycss2.ast.URLToken, tinycss2.ast.StringToken)):
            url = first.value
        elif isinstance(first, tinycss2.ast.FunctionBlock) and first.lower_name == "url":
            strings = [a for a in first.arguments if isinstance(a, tinycss2.ast.StringToken)]
            if not strings:
                continue
            url = strings[0].value
        else:
            continue
        layer = supports = None
        rest = meaningful[1:]
        head = prelude[rest[0]] if rest else None
        if isinstance(head, tinycss2.ast.IdentToken) and head.lower_value == "layer":
            layer, rest = "", rest[1:]
        elif isinstance(head, tinycss2.ast.FunctionBlock) and head.lower_name == "layer":
            layer, rest = tinycss2.serialize(head.arguments).strip(), rest[1:]
        head = prelude[rest[0]] if rest else None
        if isinstance(head, tinycss2.ast.FunctionBlock) and head.lower_name == "supports":
            supports, rest = tinycss2.serialize(head.arguments).strip(), rest[1:]
        media = tinycss2.serialize(prelude[rest[0]:]).strip() if rest else ""
        start = lines[rule.source_line - 1] + rule.source_column - 1
        found.append(ImportRule(start, _rule_end(text, start), url, layer, supports, media))
    return found


def wrapped(rule: ImportRule, body: str) -> str:
    """``body`` under the import's conditions, innermost last: ``@layer`` in ``@supports`` in ``@media``."""
    text = body.strip("\n")
    if rule.layer is not None:
        text = f"@layer {rule.layer} {{\n{text}\n}}" if rule.layer else f"@layer {{\n{text}\n}}"
    if rule.supports is not None:
        text = f"@supports ({rule.supports}) {{\n{text}\n}}"
    if rule.media and rule.media.lower() != "all":
        text = f"@media {rule.media} {{\n{text}\n}}"
    return text


def without_charset(text: str) -> str:
    """An inlined stylesheet's own ``@charset`` may only start a file: it goes."""
    stripped = text.lstrip("\ufeff")
    if stripped.startswith("@charset"):
        end = stripped.find(";")
        return stripped[end + 1:].lstrip("\n") if end >= 0 else stripped
    return stripped


def inline(text: str, replacements: dict[int, str]) -> str:
    """``text`` with the ``@import`` rules starting at the given offsets replaced (by their bundled text)."""
    edits = [(r.start, r.end, replacements[r.start]) for r in import_rules(text) if r.start in replacements]
    return splice(text, edits)
