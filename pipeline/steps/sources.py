"""The app's web sources, sorted by kind: pages, stylesheets, scripts and everything else."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.fs import files_under

PAGE_SUFFIXES = frozenset({".html", ".htm"})
STYLE_SUFFIXES = frozenset({".css"})
SCRIPT_SUFFIXES = frozenset({".js", ".mjs"})
TEXT_SUFFIXES = PAGE_SUFFIXES | STYLE_SUFFIXES | SCRIPT_SUFFIXES


def by_suffix(web_dir: Path, suffixes: frozenset[str]) -> list[Path]:
    return [p for p in files_under(web_dir) if p.suffix.lower() in suffixes]


def other_files(web_dir: Path) -> list[Path]:
    """Images, fonts, media, data: copied under hashed names without rewriting."""
    return [p for p in files_under(web_dir) if p.suffix.lower() not in TEXT_SUFFIXES]


