"""Publish a fully built staging folder as dist/ in one step, so readers never see a half-written dist/.

On Linux the two folders are exchanged atomically with ``renameat2(RENAME_EXCHANGE)``; elsewhere (or on
filesystems without it) the old dist/ is renamed aside first, leaving a window of microseconds with no
dist/ but never a partial one.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from pipeline.core.fs import stat_stamp
from pipeline.core.stamps import packed_int64, packed_stats

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the platform or filesystem cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only when a release is swapped in
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def staging_dir(dist: Path) -> Path:
    """A sibling of dist/, so the final rename stays on one filesystem."""
    return dist.parent / f".{dist.name}.staging-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_stale_staging(dist: Path) -> None:
    """Remove staging and rename-aside folders left behind by interrupted runs (not those of live builds)."""
    for leftover in [*dist.parent.glob(f".{dist.name}.staging-*"), *dist.parent.glob(f".{dist.name}.old-*")]:
        pid = leftover.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        shutil.rmtree(leftover, ignore_errors=True)


def is_publish_folder(name: str) -> bool:
    """Whether a name is one a publish makes beside dist/ (``.<dist>.staging-<pid>``, ``.<dist>.old-<pid>``,
    ``.<dist>.spare``), for listings that must not change when a publish renames them."""
    return name.startswith(".") and (".staging-" in name or ".old-" in name or name.endswith(".spare"))


def spare_dir(dist: Path) -> Path:
    """Where the release before the current one is kept after a swap (a sibling, hidden like staging): the
    next publish brings it up to date rather than linking every file into a new folder and deleting the old."""
    return dist.parent / f".{dist.name}.spare"


def take_spare(dist: Path, staging: Path) -> bool:
    """Move the spare release (if there is one) to ``staging``; True when there was."""
    spare = spare_dir(dist)
    if not spare.is_dir() or spare.is_symlink():
        return False
    try:
        os.rename(spare, staging)
    except OSError:
        return False
    return True


def swap_into_place(staging: Path, dist: Path, *, keep_spare: bool = False) -> None:
    """Make ``staging`` the new ``dist``. The previous dist/ is deleted afterwards, or with ``keep_spare`` kept
    as the spare release (:func:`spare_dir`) for the next publish to reuse."""
    if not dist.exists():
        os.rename(staging, dist)
        return
    if _exchange(staging, dist):
        _retire(staging, dist, keep_spare)  # staging now holds the previous release
        return
    old = dist.parent / f".{dist.name}.old-{os.getpid()}"
    os.rename(dist, old)
    os.rename(staging, dist)
    _retire(old, dist, keep_spare)


def _retire(previous: Path, dist: Path, keep_spare: bool) -> None:
    spare = spare_dir(dist)
    if keep_spare:
        shutil.rmtree(spare, ignore_errors=True)  # a spare this publish did not take (it could not move it)
        try:
            os.rename(previous, spare)
            return
        except OSError:
            pass
    shutil.rmtree(previous, ignore_errors=True)


PUBLISHED = "published.json"  # in the build folder: what the last publish put into dist/
_DIGEST = 96  # hex characters of a SHA-384
_LAYOUT = 3  # the record's layout: names by folder, the stats packed, the digests in one string
_STATS = 3  # size, mtime, ctime of each file, in the packed stats
_MISSING = (-1, -1, -1)  # the stats of a file that cannot be stat'ed: never those of a file


def record_published(build_dir: Path, dist: Path, files: list[str],
                     known: Mapping[str, list[object]] | None = None,
                     stats: dict[str, tuple[int, int, int]] | None = None) -> None:
    """Remember what dist/ held right after a publish (size, mtime, ctime, SHA-384 of each file), so the next
    run can tell a dist/ changed behind the pipeline's back, and knows this dist/ is its own. A file ``known``
    lists with the same size and mtime (kept from the previous publish) is not hashed again, and one in
    ``stats`` (a file the publish left as it was: its size, mtime and ctime) is not stat'ed again either.

    The record is read on every run, a no-op too, so it is laid out for :func:`drifted`: the names by folder
    (``\\0``-separated, a character no file name holds), the stats as one packed array (base64, in the
    machine's byte order, which the record names), and the digests,
    needed only for a file whose stat changed, as one string in the same order. Each decodes at once."""
    import base64
    import hashlib
    import json

    from pipeline.core.fs import write_atomic, write_parts_atomic

    names: dict[str, list[str]] = {}
    numbers: dict[str, list[int]] = {}  # by folder too: the arrays follow the folders' order
    digests: dict[str, list[str]] = {}
    root = str(dist)
    stats, known = stats or {}, known or {}
    kept = known.kept if isinstance(known, PublishedFiles) else partial(_kept, known)
    for relative in sorted(files):
        found = stats.get(relative)
        if found is None:
            stat = os.stat(os.path.join(root, relative))
            found = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        digest = kept(relative, found[0], found[1])  # the same file, linked from the previous publish
        if digest is None:
            digest = hashlib.sha384(Path(root, relative).read_bytes()).hexdigest()
        folder, _, name = relative.rpartition("/")
        names.setdefault(folder, []).append(name)
        # ctime too: an edit that restores the size and the mtime still changes it (utime cannot set it)
        numbers.setdefault(folder, []).extend(found)
        digests.setdefault(folder, []).append(digest)
    _DECODED.clear()  # the record and the check's stats of the last one are of the dist/ being replaced
    _CHECKED.clear()
    packed = packed_int64([n for folder in names for n in numbers[folder]]).tobytes()
    record = {"dist": root, "layout": _LAYOUT, "byteorder": sys.byteorder,
              "folders": [[f, "\0".join(n)] for f, n in names.items()]}
    hexes = "".join(d for folder in names for d in digests[folder])
    try:
        encoded = hexes.encode("ascii")
    except UnicodeEncodeError:
        encoded = b"\0"
    if not encoded.isalnum():  # a digest kept from a record edited by hand: JSON-escaped (bytes: an ASCII test)
        record.update(stats=base64.b64encode(packed).decode("ascii"), digests=hexes)
        write_atomic(build_dir / PUBLISHED, json.dumps(record, separators=(",", ":")).encode("utf-8"))
        return
    # The two long strings (base64 and hex: nothing JSON escapes) go in as they are, part by part: the bytes
    # json.dumps gives for the whole record, without a copy of it as text and another as bytes.
    head = json.dumps(record, separators=(",", ":"))[:-1].encode("utf-8")
    write_parts_atomic(build_dir / PUBLISHED, [head, b',"stats":"', base64.b64encode(packed), b'","digests":"',
                                               encoded, b'"}'])


def _kept(known: Mapping[str, list[object]], path: str, size: int, mtime: int) -> str | None:
    """The digest ``known`` has for ``path`` when it lists it with this size and mtime."""
    previous = known.get(path)
    return str(previous[2]) if previous and previous[0] == size and previous[1] == mtime else None


Record = tuple[list[tuple[str, list[str]]], array, str]  # names by folder, packed stats, digests

# In this process: the last record decoded, by its file and that file's stat (the check and the publish of one
# run read the same one, 2.4 MB at 10,000 assets), and the stats the check took of the files it lists, for the
# publish that follows it at once (see :func:`served_state`). Both are shared: read-only.
_DECODED: dict[tuple[Path, str], tuple[list[int], Record | None]] = {}
_CHECKED: dict[tuple[Path, str], tuple[list[int], float, array]] = {}
FRESH_S = 1.0  # how recent the check's stats must be for the publish to take them


def _record(build_dir: Path, dist: Path) -> Record | None:
    """The last publish into ``dist`` from this build folder as (names by folder, packed stats, digests), or
    None if it never published there (or the record is unreadable, edited by hand or from an older pipeline:
    then the next run publishes again and rewrites it). Decoded once per version of the file."""
    return _stamped_record(build_dir, dist)[1]


def _stamped_record(build_dir: Path, dist: Path) -> tuple[list[int] | None, Record | None]:
    """:func:`_record`, with the stat of the file it was decoded from."""
    path = build_dir / PUBLISHED
    try:
        stamp = stat_stamp(path)
    except OSError:
        return None, None
    known = _DECODED.get((path, str(dist)))
    if known is not None and known[0] == stamp:
        return stamp, known[1]
    record = _decode_record(path, dist)
    _DECODED.clear()  # one record at a time: it is the size of the release
    _DECODED[(path, str(dist))] = (stamp, record)
    return stamp, record


def _decode_record(path: Path, dist: Path) -> Record | None:
    import base64
    import binascii
    import json

    try:
        state = json.loads(path.read_bytes())
        if state.get("dist") != str(dist) or state.get("layout") != _LAYOUT:
            return None
        folders, digests = state["folders"], state["digests"]
        stats = array("q")
        stats.frombytes(base64.b64decode(state["stats"], validate=True))
        if state.get("byteorder", sys.byteorder) != sys.byteorder:  # a build folder moved between machines
            stats.byteswap()
    except (OSError, ValueError, AttributeError, KeyError, TypeError, binascii.Error):
        return None
    if not isinstance(folders, list) or not isinstance(digests, str) or not all(
            isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and isinstance(f[1], str) and f[1]
            for f in folders):
        return None
    listed = [(folder, joined.split("\0")) for folder, joined in folders]
    count = sum(len(names) for _, names in listed)
    if len(stats) != _STATS * count or len(digests) != _DIGEST * count or not all(all(n) for _, n in listed):
        return None
    return listed, stats, digests


class PublishedFiles(Mapping[str, list[object]]):
    """The files of a publish record, by relative path: size, mtime, digest, ctime, each list made when it is
    asked for from the record's packed stats and digests. Made whole, those lists were 40 MB at 50,000 files,
    held for the length of a publish; this keeps only the paths and where each is in the record."""

    __slots__ = ("_digests", "_index", "_stats")

    def __init__(self, paths: list[str], stats: array, digests: str):
        self._index = {path: index for index, path in enumerate(paths)}
        self._stats, self._digests = stats, digests

    def __getitem__(self, path: str) -> list[object]:
        found = self.get(path)
        if found is None:
            raise KeyError(path)
        return found

    def get(self, path: str, default: Any = None) -> Any:  # one lookup (the mixin's raises and catches)
        index = self._index.get(path)
        if index is None:
            return default
        stats, at = self._stats, _STATS * index
        return [stats[at], stats[at + 1], self._digests[_DIGEST * index:_DIGEST * (index + 1)], stats[at + 2]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, path: object) -> bool:
        return path in self._index

    def kept(self, path: str, size: int, mtime: int) -> str | None:
        """The digest ``path`` was published with, when it was published with this size and mtime."""
        index = self._index.get(path)
        if index is None:
            return None
        stats, at = self._stats, _STATS * index
        if stats[at] != size or stats[at + 1] != mtime:
            return None
        return self._digests[_DIGEST * index:_DIGEST * (index + 1)]

    def unchanged(self, paths: Iterable[str], hashes: Mapping[str, str]) -> dict[str, tuple[int, int, int]]:
        """Of ``paths``, those published with the digest ``hashes`` gives them, with their size, mtime and ctime
        as published: the files a publish leaves as they are (all but a few of an edit's 15,000), in one loop."""
        index, stats, digests = self._index, self._stats, self._digests
        found = {}
        for path in paths:
            at, wanted = index.get(path), hashes.get(path)
            if at is not None and wanted is not None and digests[_DIGEST * at:_DIGEST * (at + 1)] == wanted:
                found[path] = (stats[_STATS * at], stats[_STATS * at + 1], stats[_STATS * at + 2])
        return found


def _paths(record: Record) -> list[str]:
    return [f"{folder}/{name}" if folder else name for folder, names in record[0] for name in names]


def published_state(build_dir: Path, dist: Path, record: Record | None = None) -> Mapping[str, list[object]] | None:
    """The files of the last publish into ``dist`` from this build folder (relative path: size, mtime, digest,
    ctime), or None if it never published there (``record``: the record, when the caller has read it)."""
    record = record or _record(build_dir, dist)
    if record is None:
        return _older_record(build_dir, dist)
    return PublishedFiles(_paths(record), record[1], record[2])


def served_state(build_dir: Path, dist: Path) -> tuple[Mapping[str, list[object]], dict[str, int] | None] | None:
    """:func:`published_state`, and the inode of each of those files that ``dist`` still holds as published
    (the same size, mtime and ctime), by relative path; the inodes are None for a record of an older layout
    (the caller then stats each file). The files are stat'ed in one packed pass and compared at once, as
    :func:`drifted` does: the publish of a one-file edit of a 10,000-file app keeps 15,000 files as they are,
    and a ``stat`` and a comparison in Python for each took a third of it."""
    stamp, record = _stamped_record(build_dir, dist)
    if record is None:
        state = _older_record(build_dir, dist)
        return (state, None) if state is not None else None
    folders, recorded, digests = record
    current = _checked_stats(build_dir, dist, stamp) or packed_stats(str(dist), folders, inode=True)
    paths = _paths(record)  # the same strings key both mappings
    inodes = current[3::4]
    if all(current[field::4] == recorded[field::_STATS] for field in range(_STATS)):
        intact = dict(zip(paths, inodes, strict=True))
    else:  # something in dist/ changed behind the pipeline's back: those files are copied again
        intact = {path: inodes[i] for i, path in enumerate(paths)
                  if current[4 * i:4 * i + _STATS] == recorded[_STATS * i:_STATS * (i + 1)]}
    return PublishedFiles(paths, recorded, digests), intact


def _older_record(build_dir: Path, dist: Path) -> dict[str, list[object]] | None:
    """A record an older pipeline wrote, as :func:`published_state` gives it: ``files`` (relative path: size,
    mtime, digest, ctime) or ``folders`` (folder: [name, size, mtime, ctime] each) with the digests in one
    string. The first publish after an upgrade still keeps the inodes of unchanged files, and a folder
    published before is still known as this pipeline's. ``drifted`` does not read it: that run publishes
    again, in the new layout."""
    import json

    try:
        state = json.loads((build_dir / PUBLISHED).read_bytes())
        if state.get("dist") != str(dist):
            return None
        if "files" in state:
            files = state["files"]
        else:
            files, index, digests = {}, 0, state["digests"]
            for folder, entries in state["folders"].items():
                for name, size, mtime, ctime in entries:
                    files[f"{folder}/{name}" if folder else name] = [size, mtime, digests[index:index + _DIGEST], ctime]
                    index += _DIGEST
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    if not isinstance(files, dict) or not all(isinstance(e, list) and len(e) >= 3 for e in files.values()):
        return None
    return files


def drifted(build_dir: Path, dist: Path) -> list[str]:
    """Files of the last publish that are missing or changed in ``dist`` now (cheaply: size, mtime and ctime,
    the hash only when a time differs); ``[""]`` when there is no record of a publish.

    This runs for every published file on every run, a no-op too, so each folder is opened once, its files
    are stat'ed by name relative to it (no path joined, no full path resolved per file), and their stats are
    packed as the record's are and compared in one step; only when they differ is a file looked at."""
    stamp, record = _stamped_record(build_dir, dist)
    if record is None or stamp is None:
        return [""]
    folders, recorded, digests = record
    root = str(dist)
    current = packed_stats(root, folders, inode=True)  # the inodes too, for the publish that may follow
    _CHECKED.clear()
    _CHECKED[(build_dir, root)] = (stamp, time.monotonic(), current)
    if all(current[field::4] == recorded[field::_STATS] for field in range(_STATS)):
        return []
    return sorted(_changed(root, folders, recorded, current, digests))


def _checked_stats(build_dir: Path, dist: Path, stamp: list[int] | None) -> array | None:
    """The stats (with inodes) :func:`drifted` took in the last :data:`FRESH_S` seconds of the files of the
    record whose file had ``stamp``, else None: the check of the release task runs right before the publish,
    and a stat of 15,000 files is most of either (taken once, then, per publish)."""
    found = _CHECKED.pop((build_dir, str(dist)), None)
    if found is None or stamp is None or found[0] != stamp or time.monotonic() - found[1] > FRESH_S:
        return None
    return found[2]


def _changed(root: str, folders: list[tuple[str, list[str]]], recorded: array, current: array,
             digests: str) -> list[str]:
    """The files whose stats differ from the record's and whose bytes do too (a touched file is hashed);
    ``current`` has the inodes too (four numbers a file)."""
    changed = []
    index = 0
    for folder, names in folders:
        directory = os.path.join(root, folder) if folder else root
        for name in names:
            at = _STATS * index
            now, then = current[4 * index:4 * index + _STATS], recorded[at:at + _STATS]
            digest = digests[_DIGEST * index:_DIGEST * (index + 1)]
            index += 1
            if now == then:
                continue
            if tuple(now) == _MISSING or now[0] != then[0] or _digest(os.path.join(directory, name)) != digest:
                changed.append(f"{folder}/{name}" if folder else name)
    return changed


def _digest(path: str) -> str | None:
    """SHA-384 hex of a file; None if it cannot be read."""
    import hashlib

    try:
        with open(path, "rb") as handle:
            return hashlib.sha384(handle.read()).hexdigest()
    except OSError:
        return None
