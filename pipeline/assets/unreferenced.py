"""Large files that nothing references: published, but probably by mistake (a video left in the public
folder, a backup archive). A pure function over the release's files and the text of its pages, stylesheets,
scripts and manifests; the manifest step warns about each, with its size."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

LARGE = 1024 * 1024
TEXT_SUFFIXES = (".html", ".htm", ".css", ".js", ".mjs", ".json", ".webmanifest", ".txt", ".xml", ".svg")


def unreferenced(files: Mapping[str, Any], read: Callable[[str], str], threshold: int = LARGE) -> list[Any]:
    """The records (``logical``, ``path``, ``size``) of ``files`` above ``threshold`` bytes whose served path,
    logical path or file name appears in none of the release's text files (read by served path)."""
    large = [r for r in files.values() if r.size > threshold and not r.path.endswith(TEXT_SUFFIXES)]
    if not large:
        return []
    needles = {r.logical: (r.path, r.logical, PurePosixPath(r.logical).name) for r in large}
    # Until every large file is found, latest steps first: pages and loaders, which link the rest, come
    # after the stylesheets and modules in the steps' order.
    for record in reversed(list(files.values())):
        if not needles:
            break
        if record.path.endswith(TEXT_SUFFIXES):
            text = read(record.path)
            needles = {name: found for name, found in needles.items() if not any(n in text for n in found)}
    return sorted((r for r in large if r.logical in needles), key=lambda r: r.logical)


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KiB"
