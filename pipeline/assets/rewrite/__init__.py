"""Pure reference rewriters for HTML, CSS and JS: text in, references found and text out.

Every rewriter finds :class:`Reference` spans in the *original* text and splices replacements into
it, so everything it does not rewrite stays byte-for-byte as the author wrote it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    url: str  # as the author wrote it (escapes decoded)
    start: int  # span in the text that a replacement overwrites
    end: int
    line: int
    kind: str = "url"  # e.g. "import", "url", "src", "href"


ASSET = "asset"  # an HTML reference that must resolve to a file
LINK = "link"  # an HTML navigation link: rewritten when it resolves, kept otherwise
NewUrl = Callable[[Reference], str | None]  # the URL to write instead, or None to keep the reference


def splice(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """Apply non-overlapping ``(start, end, replacement)`` edits to ``text``."""
    out, pos = [], 0
    for start, end, replacement in sorted(edits):
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)
