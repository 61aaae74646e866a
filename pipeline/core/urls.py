"""Which references are local files, and how a reference maps to a logical path and back.

A *logical path* is a file's POSIX path relative to the web folder (``css/app.css``); outputs keep the
same folders, so rewriting a reference only swaps its last segment for the hashed file name.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, unquote

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class EscapesRoot(ValueError):
    """A reference climbs out of the web folder (``../../secret``)."""


def is_local(url: str) -> bool:
    """True for references to files of this app: not external, not data:, not a bare fragment."""
    url = url.strip()
    return bool(url) and not url.startswith(("#", "//", "?")) and not _SCHEME.match(url)


def split(url: str) -> tuple[str, str]:
    """``a/b.png?v=1#x`` -> (``a/b.png``, ``?v=1#x``)."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:cut], url[cut:]


def to_logical(url: str, importer: str, base: str = "/", base_href: str | None = None) -> str | None:
    """The logical path a local reference points at, or None when it points outside the app's ``base``.

    ``importer`` is the logical path of the referencing file; ``base_href`` is an HTML ``<base href>``.
    Raises :class:`EscapesRoot` for a relative path that climbs above the web folder.
    """
    path = unquote(split(url.strip())[0])
    if not path:
        return None
    if path.startswith("/"):
        if not path.startswith(base):
            return None
        joined = path[len(base):].lstrip("/")  # "/app//x.png": servers merge the slashes
    else:
        directory = posixpath.dirname(importer)
        if base_href is not None and is_local(base_href):
            href_path = unquote(split(base_href)[0])
            if href_path.startswith("/"):
                if not href_path.startswith(base):
                    return None
                directory = href_path[len(base):]
            else:
                directory = posixpath.join(directory, href_path)
            directory = directory if directory.endswith("/") or not directory else posixpath.dirname(directory)
        joined = posixpath.join(directory, path)
    normal = posixpath.normpath(joined) if joined else "."
    if normal == ".." or normal.startswith("../"):
        raise EscapesRoot(url)
    return "" if normal == "." else normal


def with_basename(url: str, basename: str) -> str:
    """Swap the last path segment of ``url`` for ``basename``, keeping query, fragment and escaping style."""
    path, rest = split(url.strip())
    head, _, last = path.rpartition("/")
    encoded = quote(basename, safe="!$&'()*+,;=:@~") if unquote(last) != last else basename
    return f"{head}/{encoded}{rest}" if head or path.startswith("/") else f"{encoded}{rest}"
