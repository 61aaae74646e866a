"""The docs folder's files: markdown pages and the other files the site serves (images, downloads).

Hidden names, names starting with ``_`` (the theme overrides), ``docs.toml`` and ``exclude`` patterns are not
part of the site; a path that leaves the folder through a symlink is refused.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import ConfigError, PipelineError
from pipeline.core.fs import check_name, is_junk
from pipeline.docs.config import CONFIG_NAME


@dataclass(frozen=True)
class Sources:
    pages: tuple[str, ...]  # docs-relative POSIX paths of the markdown files
    files: tuple[str, ...]  # every other file the site copies


def _skipped(relative: str, exclude: tuple[str, ...]) -> bool:
    return relative == CONFIG_NAME or any(fnmatch.fnmatchcase(relative, pattern) for pattern in exclude)


def _walk(root: str, prefix: str, real_root: str, found: list[str], seen: set[str]) -> None:
    """Like :func:`pipeline.core.fs.files_under` (junk skipped, bad names refused, symlinks kept inside the
    folder), on strings and ``os.scandir``: the docs folder is walked on every build, so it must be cheap."""
    real = os.path.realpath(root)
    if real in seen:  # a link loop
        return
    seen.add(real)
    with os.scandir(root) as listing:
        items = sorted(listing, key=lambda e: e.name)
    for item in items:
        name = item.name
        if name.startswith((".", "_")) or is_junk(name):
            continue
        if not name.isprintable() or not name.isascii():
            check_name(Path(item.path))  # raises for control characters and undecodable names
        if item.is_symlink():
            target = os.path.realpath(item.path)
            if not os.path.exists(target):
                continue
            if os.path.commonpath([target, real_root]) != real_root:
                raise PipelineError(f"links outside {os.path.basename(real_root)}/ (to {target}); copy the file in "
                                    "instead", path=item.path)
        if item.is_dir():
            _walk(item.path, f"{prefix}{name}/", real_root, found, seen)
        elif item.is_file():
            found.append(prefix + name)


def discover(root: Path, exclude: tuple[str, ...] = ()) -> Sources:
    if not root.is_dir():
        raise ConfigError("the docs folder does not exist", path=root)
    found: list[str] = []
    _walk(str(root), "", os.path.realpath(root), found, set())
    pages, files = [], []
    for relative in sorted(found):
        if _skipped(relative, exclude):
            continue
        (pages if relative.lower().endswith(".md") else files).append(relative)
    return Sources(tuple(pages), tuple(files))
