"""Go ``go.sum``-style ``h1:`` hashes of installed addon folders, with a git-index-like stat cache.

An addon is trusted because its installed folder hashes to the ``tree`` recorded in ``addons.lock``. The hash is
exactly golang.org/x/mod ``dirhash.Hash1``: a sha256 over the lines ``"<sha256 hex>  <relative path>\\n"`` of every
file, sorted by path. Every run re-checks the trees, so the stat cache lets unchanged files skip re-reading: a file
whose inode, size, mtime and ctime all match the cached ones keeps its cached digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from pipeline.core.errors import ConfigError
from pipeline.core.fs import write_atomic

Line = tuple[str, str]
"""One file of a tree: ``(sha256 hex, relative POSIX path)``."""

CHUNK = 1 << 20
"""Files are hashed 1 MiB at a time, so a large wheel or data file never sits in memory whole."""

RACY_NS = 50_000_000
"""A digest is cached only when the file last changed at least this long (50 ms) before it was read.

Timestamps come from a coarse clock (a kernel tick: 4-16 ms on Linux and Windows), so a second write within the
same tick as the first leaves mtime and ctime unchanged. Like git's "racily clean" entries, a file that changed that
recently is hashed again next time instead of being trusted on its stat alone."""

CACHE_VERSION = 1

_HEX64 = re.compile(r"[0-9a-f]{64}")
_SUMMARY_LINE = re.compile(r"([0-9a-f]{64})  ([^\n]+)")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_POSIX = os.name == "posix"


class TreeError(ConfigError):
    """An installed addon folder that cannot be hashed (symlink, special file, odd name) or a malformed summary."""


# --- hashing ------------------------------------------------------------------------------------------------------


def _hash_open(path: str) -> tuple[str, os.stat_result]:
    """sha256 of a regular file and the ``fstat`` of exactly the inode that was read (never through a symlink)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise TreeError("not a regular file (addon trees hold plain files only)", path=path)
        digest = hashlib.sha256()
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
        return digest.hexdigest(), st
    finally:
        os.close(fd)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of one file (a wheel, say), read in 1 MiB chunks."""
    try:
        return _hash_open(os.fspath(path))[0]
    except OSError as exc:
        raise TreeError(f"cannot read: {exc.strerror or exc}", path=os.fspath(path)) from None


def file_lines(root: Path, cache: StatCache | None = None, *, cache_prefix: str = "") -> list[Line]:
    """Every regular file below ``root`` as ``(sha256 hex, relative POSIX path)``, sorted like Go's dirhash.

    Nothing is skipped (``__pycache__`` included: any new file, a stray ``.pth`` above all, must change the hash).
    A symlink, a FIFO or other special file, or a name with a newline or invalid UTF-8 is refused with a
    :class:`TreeError` naming it, since the hash could not describe it faithfully. With ``cache``, files are keyed
    ``f"{cache_prefix}/{relative}"`` and unchanged ones are not read again.
    """
    top = os.fspath(root)
    try:
        st_root = os.lstat(top)
    except OSError as exc:
        raise TreeError(f"cannot read addon folder: {exc.strerror or exc}", path=top) from None
    if stat.S_ISLNK(st_root.st_mode):
        raise TreeError("addon folder is a symbolic link (addon trees hold plain files only)", path=top)
    if not stat.S_ISDIR(st_root.st_mode):
        raise TreeError("addon folder is not a folder", path=top)

    prefix = cache_prefix.rstrip("/") + "/" if cache_prefix else ""
    started = time.time_ns()  # before any file is read: see RACY_NS
    lookup = cache.lookup if cache is not None else None
    lines: list[Line] = []
    pending: list[tuple[str, str]] = [(top, "")]
    while pending:
        folder, rel_folder = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            raise TreeError(f"cannot read folder: {exc.strerror or exc}", path=folder) from None
        for entry in entries:
            name = entry.name
            if "\n" in name:
                raise TreeError(f"file name contains a line break (cannot be hashed): {name!r}", path=folder)
            if not name.isascii():
                try:
                    name.encode("utf-8")
                except UnicodeEncodeError:
                    raise TreeError(f"file name is not valid UTF-8 (cannot be hashed): {name!r}",
                                    path=folder) from None
            rel = rel_folder + name
            if entry.is_file(follow_symlinks=False):  # the common case first: d_type, no system call
                digest = None
                if lookup is not None:
                    try:
                        digest = lookup(prefix + rel, entry.stat(follow_symlinks=False))
                    except OSError:
                        digest = None  # vanished or unreadable: reading it below reports the real problem
                lines.append((digest or _read(entry.path, prefix + rel, cache, started), rel))
            elif entry.is_dir(follow_symlinks=False):
                pending.append((entry.path, rel + "/"))
            elif entry.is_symlink():
                raise TreeError("symbolic link in an addon folder (addon trees hold plain files only)",
                                path=entry.path)
            else:
                raise TreeError("special file (FIFO, socket or device) in an addon folder", path=entry.path)
    lines.sort(key=itemgetter(1))
    return lines


def _read(path: str, key: str, cache: StatCache | None, started: int) -> str:
    """Hash a file that the cache could not vouch for, and remember the result."""
    try:
        digest, st = _hash_open(path)
    except OSError as exc:
        raise TreeError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if cache is not None:
        cache.store(key, st, digest, checked_ns=started)
    return digest


def summary_text(lines: Iterable[Line]) -> str:
    """The text dirhash.Hash1 hashes, one ``"<hex>  <path>\\n"`` per file sorted by path (also the ``.sum`` file)."""
    ordered = sorted(lines, key=itemgetter(1))
    for _, name in ordered:
        if "\n" in name:
            raise TreeError(f"file name contains a line break (cannot be hashed): {name!r}")
    return "".join(f"{hexdigest}  {name}\n" for hexdigest, name in ordered)


def h1(lines: Iterable[Line]) -> str:
    """``h1:`` + base64 of the sha256 of :func:`summary_text`: golang.org/x/mod ``dirhash.Hash1``, bit for bit."""
    digest = hashlib.sha256(summary_text(lines).encode("utf-8")).digest()
    return "h1:" + base64.standard_b64encode(digest).decode("ascii")


def parse_summary(text: str, *, path: str | Path | None = None) -> list[Line]:
    """The lines of a ``.sum`` file; anything :func:`summary_text` could not have written is a :class:`TreeError`.

    Strict on purpose: the summary says which files an addon may contain, so a hand-edited one must not be read
    loosely (paths must be relative, without ``.``/``..`` parts, sorted and unique)."""
    if text and not text.endswith("\n"):
        raise TreeError("summary does not end with a line break (truncated?)", path=path,
                        location=text.count("\n") + 1)
    lines: list[Line] = []
    previous = ""
    for number, raw in enumerate(text.split("\n")[:-1], start=1):  # only "\n" ends a line, as in dirhash
        match = _SUMMARY_LINE.fullmatch(raw)
        if match is None:
            raise TreeError(f"malformed summary line (want '<64 hex>  <path>'): {raw[:80]!r}", path=path,
                            location=number)
        hexdigest, name = match.groups()
        parts = name.split("/")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise TreeError(f"path in summary is not a plain relative path: {name!r}", path=path, location=number)
        if lines and name <= previous:
            raise TreeError(f"summary paths are not sorted and unique: {name!r} after {previous!r}", path=path,
                            location=number)
        lines.append((hexdigest, name))
        previous = name
    return lines


# --- comparing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diff:
    """How an installed tree differs from the recorded one (each tuple sorted by path)."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def count(self) -> int:
        """Number of differing files."""
        return len(self.changed) + len(self.added) + len(self.removed)

    def __bool__(self) -> bool:
        return self.count() > 0

    def first(self) -> str:
        """The first difference in words (``web/x.py changed``, ``evil.pth added``, ``mod.py removed``), or ``""``."""
        for paths, what in ((self.changed, "changed"), (self.added, "added"), (self.removed, "removed")):
            if paths:
                return f"{paths[0]} {what}"
        return ""


def diff(expected: Sequence[Line], actual: Sequence[Line]) -> Diff:
    """Which files changed content, appeared or disappeared between ``expected`` and ``actual``."""
    want = {name: hexdigest for hexdigest, name in expected}
    have = {name: hexdigest for hexdigest, name in actual}
    return Diff(
        changed=tuple(sorted(name for name in want.keys() & have.keys() if want[name] != have[name])),
        added=tuple(sorted(have.keys() - want.keys())),
        removed=tuple(sorted(want.keys() - have.keys())),
    )


# --- stat cache ---------------------------------------------------------------------------------------------------


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _changed_ns(st: os.stat_result) -> int:
    """When the file last changed: ctime on POSIX (any write or ``utime`` sets it); Windows' ctime is creation."""
    return st.st_ctime_ns if _POSIX else max(st.st_mtime_ns, st.st_ctime_ns)


class StatCache:
    """Digests of files keyed by a caller-chosen string, valid while (inode, size, mtime, ctime) are unchanged.

    Purely an optimisation: a missing, corrupt or unwritable cache file only makes the next check slower. Entries
    that were neither looked up nor stored in this process are dropped on :meth:`save`, so removed files and
    uninstalled addons do not accumulate.
    """

    def __init__(self, path: Path | None = None, *, racy_ns: int = RACY_NS) -> None:
        self.path = path
        self.racy_ns = racy_ns
        self.hits = 0
        self.misses = 0
        self._entries: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self._seen: set[str] = set()
        self._dirty = False

    @classmethod
    def load(cls, path: Path, *, racy_ns: int = RACY_NS) -> StatCache:
        """The cache saved at ``path``; an empty one when the file is missing, unreadable or not ours."""
        cache = cls(path, racy_ns=racy_ns)
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return cache
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return cache
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return cache
        for key, value in entries.items():
            if (isinstance(value, list) and len(value) == 5
                    and all(type(n) is int for n in value[:4])
                    and isinstance(value[4], str) and _HEX64.fullmatch(value[4])):
                cache._entries[key] = ((value[0], value[1], value[2], value[3]), value[4])
            else:
                cache._dirty = True  # rewrite without the bad entry
        return cache

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def lookup(self, key: str, st: os.stat_result) -> str | None:
        """The cached sha256 when inode, size, mtime and ctime all match ``st``; otherwise None (and forget it)."""
        self._seen.add(key)
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] == _stamp(st):
                self.hits += 1
                return entry[1]
            del self._entries[key]
            self._dirty = True
        self.misses += 1
        return None

    def store(self, key: str, st: os.stat_result, digest: str, *, checked_ns: int | None = None) -> bool:
        """Remember ``digest`` for the file whose stat is ``st``; True when cached.

        ``checked_ns`` is when reading began (``time.time_ns()``, default now). A file changed less than
        ``racy_ns`` before that is not cached: a further write in the same clock tick would go unnoticed."""
        self._seen.add(key)
        if checked_ns is None:
            checked_ns = time.time_ns()
        if _changed_ns(st) + self.racy_ns >= checked_ns:
            if self._entries.pop(key, None) is not None:
                self._dirty = True
            return False
        entry = (_stamp(st), digest)
        if self._entries.get(key) != entry:
            self._entries[key] = entry
            self._dirty = True
        return True

    def save(self) -> bool:
        """Write the cache (atomically) if anything changed; True when written. Never raises for I/O problems."""
        if not self._seen and not self._dirty:
            return False  # this process never used the cache: keep it as it is
        stale = self._entries.keys() - self._seen
        for key in stale:
            del self._entries[key]
        if not (self._dirty or stale) or self.path is None:
            return False
        payload = {"version": CACHE_VERSION,
                   "entries": {key: [*self._entries[key][0], self._entries[key][1]] for key in sorted(self._entries)}}
        try:
            write_atomic(self.path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        except OSError:
            return False
        self._dirty = False
        return True
