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
        folders = read_listing(map_file)
        if folders is not None:
            return all_named(str(out_dir), folders)
        try:
            entries = json.loads(map_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return all_present(str(out_dir), map_outputs(entries))

    check.plan = ["outputs", str(map_file), str(out_dir)]  # type: ignore[attr-defined]
    return check


def map_outputs(body: dict[str, Any]) -> list[str]:
    """The files below build/out a step's map lists: its records' and their encoded siblings'."""
    paths = [f["path"] for f in body.get("files", [])]
    for encodings in (body.get("encodings") or {}).values():
        paths.extend(e["path"] for e in encodings.values())
    return paths


def listing_path(map_file: Path) -> Path:
    return map_file.with_suffix(".outputs")


def _map_stamp(map_file: Path) -> list[int]:
    stat = os.stat(map_file)
    return [stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_size]


def write_listing(map_file: Path, body: dict[str, Any]) -> None:
    """Next to a map just written, its outputs by folder with the map's stamp: the check reads this small
    file rather than decoding the whole map (megabytes at 10,000 files) on every run."""
    from pipeline.core.fs import write_if_changed

    folders: dict[str, list[str]] = {}
    for path in map_outputs(body):
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder, []).append(name)
    listing = {"map": _map_stamp(map_file), "folders": folders}
    write_if_changed(listing_path(map_file), json.dumps(listing, separators=(",", ":")).encode("utf-8"))


def read_listing(map_file: Path) -> dict[str, list[str]] | None:
    """The outputs of ``map_file`` by folder, or None unless the listing was written for this very map (a map
    rewritten, edited or restored since has another stamp: its inode and ctime change)."""
    try:
        listing = json.loads(listing_path(map_file).read_bytes())
        if listing["map"] != _map_stamp(map_file):
            return None
        folders = listing["folders"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(folders, dict) or not all(
            isinstance(names, list) and all(isinstance(n, str) for n in names) for names in folders.values()):
        return None  # not one this pipeline wrote: the map is read instead
    return folders


def all_present(root: str, paths: Iterable[str]) -> bool:
    """Whether every relative POSIX path names a file below ``root``."""
    by_folder: dict[str, list[str]] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, []).append(name)
    return all_named(root, by_folder)


def all_named(root: str, folders: dict[str, list[str]]) -> bool:
    """Whether each folder below ``root`` holds a file of each of its names: one ``scandir`` per folder,
    whose entries carry their type, rather than a ``stat`` per file (this runs for every output of every
    step, every run)."""
    for folder, listed in folders.items():
        names = set(listed)
        try:
            with os.scandir(os.path.join(root, folder) if folder else root) as entries:
                present = sum(1 for e in entries if e.name in names and e.is_file())
        except OSError:
            return False
        if present != len(names):
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
