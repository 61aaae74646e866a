"""Content types of served files, with the web types Python's table lacks or gets wrong."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

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


def content_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    return _WEB_TYPES.get(suffix) or mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"
