"""Content types of served files, with the web types Python's table lacks or gets wrong."""

from __future__ import annotations

import mimetypes
from functools import cache

_WEB_TYPES = {
    ".wasm": "application/wasm",  # instantiateStreaming refuses anything else
    ".webmanifest": "application/manifest+json",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".ico": "image/x-icon",
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".txt": "text/plain",
}


# A file that *is* compressed (data.tar.gz) is served as the archive, not as what it decompresses to.
_ENCODED_TYPES = {"gzip": "application/gzip", "br": "application/x-brotli", "bzip2": "application/x-bzip2",
                  "xz": "application/x-xz", "compress": "application/x-compress"}


def content_type(path: str) -> str:
    name = path[path.rfind("/") + 1:]
    _, dot, last = name.lstrip(".").rpartition(".")
    if dot and not name.endswith(".") and f".{last}".lower() not in _ENCODING_SUFFIXES:
        return _by_suffixes(f".{last}")  # the type of nearly every file: its last suffix's (a hashed name's too)
    suffixes = _suffixes(path)[-2:]  # what the type depends on: data.tar.gz needs two
    if len(suffixes) > 1 and suffixes[-1].lower() in _ENCODING_SUFFIXES:
        return _by_suffixes("".join(suffixes))
    return _by_suffixes(suffixes[-1] if suffixes else "")


def _suffixes(path: str) -> list[str]:
    """``PurePosixPath(path).suffixes`` with string operations (this runs for every file of a release)."""
    name = path.rsplit("/", 1)[-1]
    if name.endswith("."):
        return []
    parts = name.lstrip(".").split(".")
    return ["." + part for part in parts[1:]]


_ENCODING_SUFFIXES = frozenset({".gz", ".br", ".bz2", ".xz", ".z", ".tgz"})


@cache
def _by_suffixes(suffixes: str) -> str:
    """Once per suffix: a release of 10,000 files has a handful of them."""
    suffix = suffixes[suffixes.rfind("."):].lower() if "." in suffixes else ""
    if suffix in _WEB_TYPES:
        return _WEB_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type("file" + suffixes, strict=False)
    if encoding:
        return _ENCODED_TYPES.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"
