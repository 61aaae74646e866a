"""What the generated Content-Security-Policy will block, found at build time so the author hears of it from
the build (file:line) rather than from a browser console: inline ``on*=`` handlers, ``javascript:`` URLs,
``data:`` media and ``data:`` fonts. Pure functions over a parsed page, a stylesheet's text and the policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import tinycss2
from lxml import etree

Policy = Mapping[str, Iterable[str]]
MEDIA = {"audio", "video", "source", "track", "embed", "object"}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data")


def _allows(policy: Policy, directive: str, source: str) -> bool:
    sources = policy.get(directive)
    if sources is None:
        sources = policy.get("default-src", ())
    return source in set(sources)


def html_switches(policy: Policy) -> list[bool]:
    """All :func:`html_findings` reads of the policy: whether it allows inline scripts and ``data:`` media (a
    page whose findings were found under the same switches has the same findings)."""
    return [_allows(policy, "script-src", "'unsafe-inline'"), _allows(policy, "media-src", "data:")]


def html_findings(tree: etree._ElementTree, policy: Policy) -> list[tuple[int, str]]:
    """(line, message) for each element of a page the policy will block."""
    found: list[tuple[int, str]] = []
    inline_scripts, media_data = html_switches(policy)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        line = element.sourceline or 0
        tag = element.tag.lower()
        for name, value in element.attrib.items():
            lowered = name.lower()
            if lowered.startswith("on") and not inline_scripts:
                found.append((line, f"inline handler {lowered}= on <{tag}> is blocked by the Content-Security-Policy "
                                    "(script-src allows no inline code): attach it with addEventListener in a "
                                    "script file"))
            elif lowered in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:") and not inline_scripts:
                found.append((line, f"javascript: URL in <{tag} {lowered}=> is blocked by the "
                                    "Content-Security-Policy: use a button and a listener in a script file"))
            elif (tag in MEDIA and lowered in ("src", "data") and value.strip().lower().startswith("data:")
                  and not media_data):
                found.append((line, f"data: URL in <{tag} {lowered}=> is blocked by the Content-Security-Policy "
                                    "(media-src 'self'): serve the file from the web folder, or add data: to "
                                    "csp.directives.media-src"))
    return found


def css_findings(text: str, policy: Policy) -> list[tuple[int, str]]:
    """(line, message) for each ``data:`` font of a stylesheet's ``@font-face`` rules the policy will block."""
    if _allows(policy, "font-src", "data:"):
        return []
    found: list[tuple[int, str]] = []

    def urls(tokens: Iterable[object]) -> Iterable[tuple[int, str]]:
        for token in tokens:
            if isinstance(token, tinycss2.ast.URLToken):
                yield token.source_line, token.value
            elif isinstance(token, tinycss2.ast.FunctionBlock):
                if token.lower_name == "url":
                    strings = [a for a in token.arguments if isinstance(a, tinycss2.ast.StringToken)]
                    if strings:
                        yield strings[0].source_line, strings[0].value
                yield from urls(token.arguments)

    def visit(rules: Iterable[object]) -> None:
        for rule in rules:
            if isinstance(rule, tinycss2.ast.AtRule) and rule.content is not None:
                if rule.lower_at_keyword == "font-face":
                    for line, value in urls(rule.content):
                        if value.strip().lower().startswith("data:"):
                            found.append((line, "data: font in @font-face is blocked by the "
                                                "Content-Security-Policy (font-src 'self'): ship the font as a "
                                                "file, or add data: to csp.directives.font-src"))
                elif rule.lower_at_keyword in ("media", "supports", "layer", "container"):
                    visit(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))

    visit(tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True))
    return found
