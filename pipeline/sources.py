"""The app's web sources, sorted by kind: pages, stylesheets, scripts and everything else."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.fs import files_under

PAGE_SUFFIXES = frozenset({".html", ".htm"})
STYLE_SUFFIXES = frozenset({".css"})
SCRIPT_SUFFIXES = frozenset({".js", ".mjs"})
TEXT_SUFFIXES = PAGE_SUFFIXES | STYLE_SUFFIXES | SCRIPT_SUFFIXES


def by_suffix(web_dir: Path, suffixes: frozenset[str]) -> list[Path]:
    return [p for p in files_under(web_dir) if p.suffix.lower() in suffixes]


def other_files(web_dir: Path) -> list[Path]:
    """Images, fonts, media, data: copied under hashed names without rewriting."""
    return [p for p in files_under(web_dir) if p.suffix.lower() not in TEXT_SUFFIXES]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineError(f"not UTF-8 (byte {exc.start}); save it as UTF-8", path=path) from None
    except OSError as exc:
        raise PipelineError(f"cannot read: {exc.strerror}", path=path) from None
