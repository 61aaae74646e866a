"""Globs over logical asset names (``app.wasm``, ``css/app.css``), case-sensitive and anchored.

- ``*`` any run of characters except ``/``; ``?`` one character except ``/``;
- ``[abc]``, ``[a-z]``, ``[!abc]`` one character of (not of) a set, never ``/``;
- ``**`` any run of characters including ``/``; ``**/`` zero or more whole folders, so ``**/*.js``
  matches ``app.js`` as well as ``js/vendor/lib.js`` (as in gitignore and most bundler globs).
"""

from __future__ import annotations

import re
from functools import cache


class PatternError(ValueError):
    pass


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    """A regular expression that matches exactly the logical names ``pattern`` selects."""
    if not pattern:
        raise PatternError("empty pattern")
    if pattern.startswith("/"):
        raise PatternError("patterns are relative to dist/ (no leading /)")
    if "\\" in pattern:
        raise PatternError("use / to separate folders")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = _class_end(pattern, i)
            if end < 0:
                raise PatternError("unclosed [ in pattern")
            body = pattern[i + 1:end]
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            body = "".join(ch if ch == "-" else re.escape(ch) for ch in body)
            out.append(f"(?![/])[{'^' if negate else ''}{body}]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out))


def _class_end(pattern: str, start: int) -> int:
    """Index of the ``]`` closing the set opened at ``start`` (a ``]`` right after ``[`` or ``[!`` is literal)."""
    j = start + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    return pattern.find("]", j)


def matches(pattern: str, name: str) -> bool:
    return compile_glob(pattern).fullmatch(name) is not None
