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


def read_json(path: Path | str, *, error: type[PipelineError] = PipelineError, missing: str = "not found",
              what: str = "") -> Any:
    """``what`` names the document in syntax errors (``invalid JSON in size report: …``)."""
    text = read_text(path, error=error, missing=missing)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f" in {what}" if what else ""
        raise error(f"invalid JSON{where}: {exc.msg}", path=path, location=f"{exc.lineno}:{exc.colno}") from None
