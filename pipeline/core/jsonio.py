"""Canonical JSON: one way to write it (sorted keys, UTF-8, a final newline) and to read it back leniently."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.core.fs import stat_stamp

# Documents this process wrote or read, by path, with the stat they had: the asset manifest (4 MB at 10,000
# assets) is written by the index step and read by the publish and the metrics of the same run.
_DOCUMENTS: dict[str, tuple[list[int], Any]] = {}


def dumps(document: Any, *, indent: int | None = 2) -> bytes:
    """Byte-stable JSON for files the pipeline writes (maps, manifests, reports)."""
    return (json.dumps(document, indent=indent, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def cache_dumps(document: Any) -> bytes:
    """Sorted, compact JSON for the pipeline's own caches, which only :func:`cache_loads` reads: orjson, ten
    times the standard encoder's speed and straight to bytes (a 500-page site's page memo is megabytes, written
    on every edit). What orjson refuses (an integer beyond 64 bits, a lone surrogate) goes through the standard
    encoder, as the caches were written before, after a space: the mark that tells :func:`cache_loads` to
    decode it with the standard decoder too (orjson would make such an integer a float)."""
    import orjson

    try:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return b" " + json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def cache_loads(data: bytes) -> Any:
    """A cache :func:`cache_dumps` wrote, decoded as exactly as it was written: by orjson (without a text copy
    of the bytes), unless it begins with a space or orjson refuses it (a cache the standard encoder wrote);
    ``ValueError`` for bytes that are not JSON."""
    import orjson

    if not data.startswith(b" "):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def read_json_or_none(path: Path) -> Any:
    """The document, or None when the file is missing or not JSON (a first run, a foreign folder)."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def remember_document(path: Path, document: Any) -> None:
    """``path`` holds ``document`` (just written, or just read): a later :func:`read_document` of it in this
    process takes it as it is while the file keeps its stat stamp (mtime, ctime, inode, device, size)."""
    try:
        _DOCUMENTS[os.fspath(path)] = (stat_stamp(path), document)
    except OSError:
        _DOCUMENTS.pop(os.fspath(path), None)


def read_document(path: Path) -> Any:
    """The JSON document at ``path`` (decoded once per version of the file in this process: treat it as
    read-only); raises ``OSError`` or ``ValueError`` as reading and decoding it would."""
    stamp = stat_stamp(path)
    known = _DOCUMENTS.get(os.fspath(path))
    if known is not None and known[0] == stamp:
        return known[1]
    document = json.loads(path.read_bytes())
    _DOCUMENTS[os.fspath(path)] = (stamp, document)
    return document
