"""Precompression: deterministic brotli and gzip bytes (no timestamps, no file names in headers).

The encoders are imported by the functions that use them: the size gate imports this module for
:func:`is_compressible`, and a gate whose sizes come from siblings compresses nothing."""

from __future__ import annotations

from collections.abc import Callable

# Formats that gain from compression. Images like PNG/JPEG/WebP and woff2 are compressed already.
COMPRESSIBLE_SUFFIXES = frozenset({
    ".html", ".htm", ".css", ".js", ".mjs", ".json", ".webmanifest", ".map", ".svg", ".txt", ".xml",
    ".wasm", ".ico", ".ttf", ".otf", ".eot", ".csv", ".md",
})
CHUNK = 256 * 1024

Progress = Callable[[int], None]


def is_compressible(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in COMPRESSIBLE_SUFFIXES  # PurePosixPath's suffix, without the object


def brotli_bytes(data: bytes, quality: int = 11, progress: Progress | None = None) -> bytes:
    """Brotli at ``quality``; ``progress`` gets the number of input bytes consumed so far."""
    import brotli

    mode = brotli.MODE_TEXT if data[:4] != b"\0asm" else brotli.MODE_GENERIC
    compressor = brotli.Compressor(quality=quality, mode=mode)
    parts = []
    for start in range(0, len(data), CHUNK):
        parts.append(compressor.process(data[start:start + CHUNK]))
        if progress:
            progress(min(start + CHUNK, len(data)))
    parts.append(compressor.finish())
    return b"".join(parts)


def gzip_bytes(data: bytes, level: int = 9) -> bytes:
    """gzip with ``mtime=0`` and no file name, so identical input always gives identical output."""
    import gzip

    return gzip.compress(data, compresslevel=level, mtime=0)
