"""Canonical JSON: one way to write it (sorted keys, UTF-8, a final newline) and to read it back leniently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def dumps(document: Any, *, indent: int | None = 2) -> bytes:
    """Byte-stable JSON for files the pipeline writes (maps, manifests, reports)."""
    return (json.dumps(document, indent=indent, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_json_or_none(path: Path) -> Any:
    """The document, or None when the file is missing or not JSON (a first run, a foreign folder)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
