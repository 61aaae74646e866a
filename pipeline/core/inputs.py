"""Reading the user's files (configs, sources, reports): any problem is a one-line error naming the file,
of the caller's error class (a bad config exits 2, a bad source fails its task)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.core.errors import PipelineError


def read_text(path: Path | str, *, error: type[PipelineError] = PipelineError, missing: str = "not found") -> str:
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(missing, path=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 (byte {exc.start}); save it as UTF-8", path=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", path=path) from None


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def read_json(path: Path | str, *, error: type[PipelineError] = PipelineError, missing: str = "not found",
              what: str = "", unique_keys: bool = False) -> Any:
    """``what`` names the document in syntax errors (``invalid JSON in size report: …``); ``unique_keys``
    refuses a key given twice in one object (JSON allows it, and the last one would silently win)."""
    text = read_text(path, error=error, missing=missing)
    where = f" in {what}" if what else ""
    try:
        return json.loads(text, object_pairs_hook=_unique if unique_keys else None)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON{where}: {exc.msg}", path=path, location=f"{exc.lineno}:{exc.colno}") from None
    except DuplicateKey as exc:
        raise error(f"duplicate key {exc.key!r}{where}: each key may appear once per object", path=path,
                    location=_second_occurrence(text, exc.key)) from None
    except RecursionError:
        raise error(f"invalid JSON{where}: nested too deeply to read", path=path) from None


def _second_occurrence(text: str, key: str) -> str | None:
    """``line:column`` of the second ``"key":`` in the text (good enough to point at the duplicate)."""
    import re

    matches = list(re.finditer(re.escape(json.dumps(key)) + r"\s*:", text))
    if len(matches) < 2:
        return None
    start = matches[1].start()
    line = text.count("\n", 0, start) + 1
    return f"{line}:{start - (text.rfind(chr(10), 0, start) + 1) + 1}"
