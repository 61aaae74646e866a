"""The doit ``uptodate`` checks the registry gives the steps' tasks: for outputs doit cannot see change, and
for the files a step claimed (cheaper than a doit ``file_dep`` each).

Each check carries ``plan``: how to make it again from JSON (``[kind, *arguments]``), so a task list
remembered in ``build/plan.json`` (:mod:`pipeline.engine.plan`) keeps its checks; :func:`rebuild` makes
one from that. This module imports nothing heavy: a no-op run that takes its tasks from the plan runs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.core.fs import RACY_NS


def outputs_exist(map_file: Path, out_dir: Path) -> Callable[[], bool]:
    """A step is stale if a file its map lists went missing from build/out."""

    def check() -> bool:
        listing = _listing(map_file)
        if listing is not None:
            folders, verified = listing
            stamps = present_since(str(out_dir), folders, verified)
            if stamps is None:
                return False
            if stamps != verified:  # the folders found whole this time are not listed again while unchanged
                with contextlib.suppress(OSError):
                    _write_listing(map_file, folders, stamps)
            return True
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
    folders: dict[str, list[str]] = {}
    for path in map_outputs(body):
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder, []).append(name)
    _write_listing(map_file, folders, {})


def _write_listing(map_file: Path, folders: dict[str, list[str]], verified: dict[str, list[int]]) -> None:
    from pipeline.core.fs import write_if_changed

    listing = {"map": _map_stamp(map_file), "folders": folders, "verified": verified}
    write_if_changed(listing_path(map_file), json.dumps(listing, separators=(",", ":")).encode("utf-8"))


def read_listing(map_file: Path) -> dict[str, list[str]] | None:
    """The outputs of ``map_file`` by folder, or None unless the listing was written for this very map (a map
    rewritten, edited or restored since has another stamp: its inode and ctime change)."""
    listing = _listing(map_file)
    return listing[0] if listing is not None else None


def _listing(map_file: Path) -> tuple[dict[str, list[str]], dict[str, list[int]]] | None:
    """:func:`read_listing`, and the stamps of the folders last found holding all their names (none when
    unreadable: each folder is then listed)."""
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
    verified = listing.get("verified")
    if not isinstance(verified, dict) or not all(
            isinstance(stamp, list) and len(stamp) == 4 and all(type(n) is int for n in stamp)
            for stamp in verified.values()):
        verified = {}
    return folders, verified


def present_since(root: str, folders: dict[str, list[str]],
                  verified: dict[str, list[int]]) -> dict[str, list[int]] | None:
    """None unless each folder below ``root`` holds a file of each of its names; else the stamps (mtime, ctime,
    inode, device) of the folders to trust next time. A folder whose stamp is the one ``verified`` has for it
    had no entry added, removed or renamed since its names were all found in it (each of those changes a
    folder's mtime and ctime), so it is not listed again: a no-op stats a folder, not each of its files. As
    with git's racily clean entries, a folder changed within two seconds of being listed is not trusted (a
    change in the same clock tick would leave the stamp as it was)."""
    stamps: dict[str, list[int]] = {}
    now = time.time_ns()
    for folder, listed in folders.items():
        path = os.path.join(root, folder) if folder else root
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamp = [stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]
        if verified.get(folder) == stamp:
            stamps[folder] = stamp
            continue
        if not all_named(root, {folder: listed}):
            return None
        if max(stat.st_mtime_ns, stat.st_ctime_ns) < now - RACY_NS:
            stamps[folder] = stamp
    return stamps


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


def sources_path(maps_dir: Path, task: str) -> Path:
    """Where a step's sources were stamped before its last successful run, next to its map (``:`` of a
    subtask's name is not a character every file system allows)."""
    return maps_dir / f"{task.replace(':', '.')}.sources"


Grouped = list[tuple[str, list[str]]]  # (folder, names in it), in the sources' order


def by_folder(sources: Sequence[str]) -> Grouped:
    """The sources as runs of names in one folder, in their order (a folder whose files are not consecutive
    appears more than once): how they are stamped, and remembered in a plan."""
    groups: Grouped = []
    for source in sources:
        folder, name = os.path.split(source)
        if groups and groups[-1][0] == folder:
            groups[-1][1].append(name)
        else:
            groups.append((folder, [name]))
    return groups


def source_stamps(groups: Grouped) -> tuple[bytes, array]:
    """A hash of a step's claimed files' names, and each file's size, mtime, ctime and inode (a file that
    cannot be stat'ed gives -1s). An edit changes the mtime and ctime, a file replaced by a rename the inode,
    a tool that puts the mtime back (``tar x``, ``rsync -a``) the ctime; a file added or removed changes the
    names.

    Each folder is opened once and its files are stat'ed by name relative to it: this runs for every source
    of every step that has some, on every run."""
    import hashlib

    from pipeline.core.stamps import packed_stats

    names = hashlib.sha256()
    for folder, listed in groups:
        names.update(("\0".join((folder, *listed)) + "\n").encode("utf-8", "surrogateescape"))
    stamps = packed_stats("", groups, inode=True)
    return names.digest(), stamps


_STAMP = 4  # numbers per file in the stamps
_NAMES = _HASH = 32  # bytes of a SHA-256
_RACY = -2  # the mtime a listing keeps for a file changed just before its stamp was taken: never a match


class _Listing(NamedTuple):
    names: bytes  # the hash of the sources' names, in order
    stamps: array
    digests: bytes  # SHA-256 of each, in order
    paths: list[str]


def _listing_bytes(names: bytes, stamps: array, digests: bytes, paths: Sequence[str], taken_ns: int) -> bytes:
    """A listing: the names' hash, the count, the stamps, the digests, the paths. A stamp whose mtime is within
    :data:`RACY_NS` of ``taken_ns`` is kept with an mtime of :data:`_RACY` (as git does with "racily clean"
    index entries): a rewrite within the same clock tick would not change the stamp, so the next check
    compares that file's bytes instead, and the listing is refreshed once it is old enough."""
    kept = array("q", stamps)
    recent = taken_ns - RACY_NS
    for at in range(1, len(kept), _STAMP):
        if kept[at] >= recent:
            kept[at] = _RACY
    joined = "\0".join(paths).encode("utf-8", "surrogateescape")
    return names + array("q", [len(paths)]).tobytes() + kept.tobytes() + digests + joined


def _parsed(listing: bytes | None) -> _Listing | None:
    """The parts of a listing, or None if it is not one (missing, truncated, another format)."""
    if not listing or len(listing) < _NAMES + 8:
        return None
    count = array("q", listing[_NAMES:_NAMES + 8])[0]
    start = _NAMES + 8
    size = 8 * _STAMP * count
    end = start + size + _HASH * count
    if count < 0 or len(listing) < end:
        return None
    stamps = array("q")
    stamps.frombytes(listing[start:start + size])
    paths = listing[end:].decode("utf-8", "surrogateescape").split("\0") if count else []
    if len(paths) != count:
        return None
    return _Listing(listing[:_NAMES], stamps, listing[start + size:end], paths)


def _paths(groups: Grouped) -> list[str]:
    return [os.path.join(folder, name) for folder, names in groups for name in names]


def source_listing(groups: Grouped, previous: bytes | None = None) -> bytes:
    """What a step's run records of its sources before reading them, for :func:`sources_unchanged`: the
    names' hash, the packed stamps (in the machine's byte order: a listing from a machine of the other order
    is a change, and the step runs again), each file's SHA-256 and the paths. A file whose stamp is the one
    ``previous`` (the last listing) has for it keeps its digest, by its path: after a file is added, only
    that file is read."""
    taken = time.time_ns()
    names, stamps = source_stamps(groups)
    paths = _paths(groups)
    old = _parsed(previous)
    index_of = {path: j for j, path in enumerate(old.paths)} if old is not None else {}
    digests = []
    for i, path in enumerate(paths):
        j = index_of.get(path)
        if old is not None and j is not None and old.stamps[_STAMP * j:_STAMP * (j + 1)] == stamps[
                _STAMP * i:_STAMP * (i + 1)]:
            digests.append(old.digests[_HASH * j:_HASH * (j + 1)])
        else:
            digests.append(_file_digest(path))
    return _listing_bytes(names, stamps, b"".join(digests), paths, taken)


def _file_digest(path: str) -> bytes:
    """SHA-256 of a file; 32 zero bytes if it cannot be read (a stamp of -1s says so already)."""
    import hashlib

    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except OSError:
        return bytes(_HASH)


def sources_unchanged(listing: Path, sources: Sequence[str] | None = None, *,
                      groups: Grouped | None = None) -> Callable[..., bool]:
    """A step is stale if one of its claimed files changed, or was added or removed, since its last
    successful run recorded them (``listing``, written by the task's action before the step read them; a step
    that claims nothing now still has one, of no files). A file whose stamp changed but whose bytes did not
    (touched, checked out again) is not a change, as with doit's own check of a ``file_dep``, and the listing
    takes its new stamp, so the next run does not read it again.

    This is instead of one doit ``file_dep`` per source: doit decodes a state of every file from its database
    and checks each in Python, and at 10,000 sources that was most of a no-op's cost."""
    grouped = groups if groups is not None else by_folder(sources or ())

    def check(task: Any = None) -> bool:
        changed = _changed_sources(listing, grouped)
        stale = changed is None or bool(changed)
        if stale and task is not None:  # what the task.started event names (doit's own file_deps are there)
            new = _paths(grouped) if changed is None else changed  # None: never built from these names
            task.dep_changed = sorted({*(getattr(task, "dep_changed", None) or ()), *new})
        return not stale

    check.plan = ["sources", str(listing), [[folder, names] for folder, names in grouped]]  # type: ignore[attr-defined]
    return check


def _changed_sources(listing: Path, groups: Grouped) -> list[str] | None:
    """The sources that changed since ``listing`` (those whose stamp and bytes differ: a file whose stamp
    changed is read), or None when there is no listing or the names differ (a file added or removed)."""
    taken = time.time_ns()
    try:
        recorded = listing.read_bytes()
    except OSError:
        return None
    names, stamps = source_stamps(groups)
    old = _parsed(recorded)
    if old is None or old.names != names or len(old.stamps) != len(stamps):
        return None
    if old.stamps == stamps:
        return []
    changed = []
    index = 0
    for folder, listed in groups:
        for name in listed:
            at = _STAMP * index
            now, then = stamps[at:at + _STAMP], old.stamps[at:at + _STAMP]
            if now != then and (now[0] != then[0] or now[0] < 0 or _file_digest(os.path.join(folder, name))
                                != old.digests[_HASH * index:_HASH * (index + 1)]):
                changed.append(os.path.join(folder, name))
            index += 1
    if not changed:  # only touched: keep the new stamps, so the next run reads none of them
        from pipeline.core.fs import write_atomic

        with contextlib.suppress(OSError):
            write_atomic(listing, _listing_bytes(names, stamps, old.digests, old.paths, taken))
    return changed


def upstream_path(maps_dir: Path, task: str) -> Path:
    """Where a ``cutoff`` step's last successful run recorded what it read of the steps before it."""
    return maps_dir / f"{task.replace(':', '.')}.upstream"


def map_stamps(maps: Sequence[str]) -> dict[str, list[int]] | None:
    """Each map's mtime, ctime, inode and size (a map is replaced, never written into: a new one has another
    inode), or None if one is missing."""
    stamps = {}
    for path in maps:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        stamps[path] = [stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_size]
    return stamps


def upstream_listing(stamps: dict[str, list[int]] | None, found: dict[str, dict[str, Any] | None],
                     everything: bool) -> bytes:
    """What :func:`upstream_unchanged` compares: the upstream maps' stamps, taken before the step read them,
    and the record the step found for each name it asked for (None: no such file), or ``everything``."""
    body = {"version": 1, "maps": stamps, "everything": everything, "found": found}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def upstream_unchanged(listing: Path, maps: Sequence[str]) -> Callable[..., bool]:
    """A ``cutoff`` step is stale when a file it read by name of the steps before it changed, appeared or went
    away since its last successful run (``listing``); changes to files it did not name leave it up to date.
    While the upstream maps keep their stamps, nothing is read; when one changed, the maps are read and
    the records the step found are compared. A run that listed the upstream files (``everything``) is
    stale on any change, like a doit ``file_dep`` on each map. Instead of that ``file_dep``."""
    maps = list(maps)

    def stale(task: Any, stamps: Any, now: dict[str, list[int]] | None) -> bool:
        """False, with the maps that changed (all, when that is not known) in what the task.started event
        names, as with a doit ``file_dep`` on each."""
        if task is not None:
            moved = [p for p in maps if not isinstance(stamps, dict) or now is None or now.get(p) != stamps.get(p)]
            task.dep_changed = sorted({*(getattr(task, "dep_changed", None) or ()), *moved})
        return False

    def check(task: Any = None) -> bool:
        try:
            recorded = json.loads(listing.read_bytes())
            stamps, found = recorded["maps"], recorded["found"]
            if recorded["version"] != 1 or not isinstance(stamps, dict) or not isinstance(found, dict):
                return stale(task, None, None)
        except (OSError, ValueError, TypeError, KeyError):
            return stale(task, None, None)
        now = map_stamps(maps)
        if now is None or set(stamps) != set(maps):
            return stale(task, stamps, now)
        if now == stamps:
            return True
        if recorded.get("everything") is not False:
            return stale(task, stamps, now)
        current = _records_of(maps)
        if current is None or any(current.get(name) != record for name, record in found.items()):
            return stale(task, stamps, now)  # None: a map unreadable, or a name in two (the step says which)
        with contextlib.suppress(OSError):  # the next run compares stamps alone again
            from pipeline.core.fs import write_atomic

            write_atomic(listing, upstream_listing(now, found, False))
        return True

    check.plan = ["upstream", str(listing), maps]  # type: ignore[attr-defined]
    return check


def _records_of(maps: Sequence[str]) -> dict[str, Any] | None:
    """The records of the maps by logical name (as the maps hold them), or None if one cannot be read or a
    name is in two (the steps report that error when they run)."""
    records: dict[str, Any] = {}
    for path in maps:
        try:
            files = json.loads(Path(path).read_bytes())["files"]
            for record in files:
                if record["logical"] in records:
                    return None
                records[record["logical"]] = record
        except (OSError, ValueError, TypeError, KeyError):
            return None
    return records


def rebuild(plan: list[Any], logger: Any) -> Callable[[], bool]:
    """The check a ``plan`` describes (``logger`` takes what a check reports)."""
    kind, *args = plan
    if kind == "outputs":
        return outputs_exist(Path(args[0]), Path(args[1]))
    if kind == "sources":
        return sources_unchanged(Path(args[0]), groups=[(folder, names) for folder, names in args[1]])
    if kind == "dist":
        return dist_intact(Path(args[0]), Path(args[1]), logger)
    if kind == "upstream":
        return upstream_unchanged(Path(args[0]), args[1])
    raise ValueError(f"unknown check {kind!r}")
