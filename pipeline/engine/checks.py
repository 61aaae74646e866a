"""The doit ``uptodate`` checks the registry gives the steps' tasks, for outputs doit cannot see change.

Each check carries ``plan``: how to make it again from JSON (``[kind, *arguments]``), so a task list
remembered in ``build/plan.json`` (:mod:`pipeline.engine.plan`) keeps its checks; :func:`rebuild` makes
one from that. This module imports nothing heavy: a no-op run that takes its tasks from the plan runs them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def outputs_exist(map_file: Path, out_dir: Path) -> Callable[[], bool]:
    """A step is stale if a file its map lists went missing from build/out."""

    def check() -> bool:
        try:
            entries = json.loads(map_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        paths = [f["path"] for f in entries.get("files", [])]
        for encodings in (entries.get("encodings") or {}).values():
            paths.extend(e["path"] for e in encodings.values())
        return all_present(str(out_dir), paths)

    check.plan = ["outputs", str(map_file), str(out_dir)]  # type: ignore[attr-defined]
    return check


def all_present(root: str, paths: Iterable[str]) -> bool:
    """Whether every relative POSIX path names a file below ``root``: one ``scandir`` per folder, whose entries
    carry their type, rather than a ``stat`` per file (this runs for every output of every step, every run)."""
    by_folder: dict[str, set[str]] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, set()).add(name)
    for folder, names in by_folder.items():
        try:
            with os.scandir(os.path.join(root, folder) if folder else root) as entries:
                present = {e.name for e in entries if e.name in names and e.is_file()}
        except OSError:
            return False
        if len(present) != len(names):
            return False
    return True


def dist_intact(build_dir: Path, dist_dir: Path, logger: Any) -> Callable[[], bool]:
    """dist/ still holds what the last publish put there; a file deleted or edited by hand (or a deleted
    manifest) republishes it, with a warning naming the files."""

    def check() -> bool:
        from pipeline.core.dirswap import drifted

        changed = drifted(build_dir, dist_dir)
        if changed and changed != [""]:
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            logger.warning("dist/ changed since it was published (%s): publishing it again", shown,
                           extra={"event": "release.drift", "fields": {"files": changed}})
        return not changed

    check.plan = ["dist", str(build_dir), str(dist_dir)]  # type: ignore[attr-defined]
    return check


def rebuild(plan: list[Any], logger: Any) -> Callable[[], bool]:
    """The check a ``plan`` describes (``logger`` takes what a check reports)."""
    kind, *args = plan
    if kind == "outputs":
        return outputs_exist(Path(args[0]), Path(args[1]))
    if kind == "dist":
        return dist_intact(Path(args[0]), Path(args[1]), logger)
    raise ValueError(f"unknown check {kind!r}")
