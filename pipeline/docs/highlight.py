"""Code blocks highlighted with Pygments (classes, not inline styles, so the CSP needs no 'unsafe-inline'),
and the stylesheet for a light and a dark palette."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ALIASES = {"proto": "protobuf", "sh": "bash", "shell": "bash", "js": "javascript", "py": "python",
           "golang": "go", "yml": "yaml", "jsonc": "json"}


@lru_cache(maxsize=64)
def _lexer(language: str) -> Any:
    try:
        return get_lexer_by_name(ALIASES.get(language, language), stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter:
    return HtmlFormatter(nowrap=True)


def block(code: str, language: str, title: str = "") -> str:
    """A ``<pre>`` of highlighted code (plain, escaped, for an unknown language), with a file-name caption."""
    lexer = _lexer(language.lower()) if language else None
    body = pygments_highlight(code, lexer, _formatter()) if lexer is not None else html.escape(code)
    css_language = html.escape(language, quote=True)
    pre = f'<pre class="highlight"><code class="language-{css_language}">{body}</code></pre>' if language else \
        f'<pre class="highlight"><code>{body}</code></pre>'
    if title:
        return f'<figure class="code"><figcaption>{html.escape(title)}</figcaption>{pre}</figure>\n'
    return pre + "\n"


def stylesheet(light: str, dark: str) -> str:
    """Token colours: ``light`` by default, ``dark`` under the dark theme (chosen or from the system)."""
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    dark_rules = HtmlFormatter(style=dark).get_style_defs(":root[data-theme=dark] .highlight")
    system_dark = HtmlFormatter(style=dark).get_style_defs(":root:not([data-theme=light]) .highlight")
    return (f"/* Pygments: {light} */\n{light_css}\n/* Pygments: {dark} (dark theme) */\n{dark_rules}\n"
            f"@media (prefers-color-scheme: dark) {{\n{system_dark}\n}}\n")
