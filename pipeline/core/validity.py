"""Remembered schema verdicts: JSON Schema validation is a pure function of the document and the schema,
so a document that passed once passes again, and a run that meets it again need not import jsonschema (a
fifth of a no-op build's time) to find that out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def validated(memo: Path | None, data: Any, schema: Mapping[str, Any], problems: Callable[[], list[str]]) -> list[str]:
    """``problems()`` (the schema's violations, computed only when needed), remembered as a file in ``memo``
    (a folder) for a document and schema that passed; None for ``memo`` remembers nothing."""
    marker = None
    if memo is not None:
        key = hashlib.sha256(json.dumps([data, schema], sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        marker = memo / f"{key}.valid"
        if marker.is_file():
            return []
    found = problems()
    if not found and marker is not None:
        from pipeline.core.fs import write_atomic

        write_atomic(marker, b"")
    return found
