"""File writes that never leave a half-written file and never touch a file whose bytes are unchanged
(so mtimes stay put and doit's checks stay cheap)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes) -> None:
    _replace_with(path, lambda handle: handle.write(data))


def write_parts_atomic(path: Path, parts: Iterable[bytes | memoryview]) -> None:
    """:func:`write_atomic` of the parts joined, without joining them (a 20 MB manifest, half of it spans of
    the last one, is written without a copy of either in memory)."""
    _replace_with(path, lambda handle: handle.writelines(parts))


def copy_atomic(source: Path | str, path: Path) -> None:
    """``source``'s bytes at ``path`` by the same route: a new file renamed over whatever is there (which is
    never opened: it may be a link, or a hard link of a file that must not change)."""
    import shutil

    def copy(handle: Any) -> None:
        with open(source, "rb") as original:
            shutil.copyfileobj(original, handle, 1 << 20)

    _replace_with(path, copy)


def _replace_with(path: Path, fill: Callable[[Any], object]) -> None:
    _check_length(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A short temporary name: a target whose name is near the limit must not fail on its temporary file.
    # mkstemp creates it (O_EXCL): never a file or link already there.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vango-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; served files must be readable by the server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def _check_length(path: Path) -> None:
    """A name the file system cannot hold is the app's to shorten: one line, not an OSError."""
    length = len(path.name.encode("utf-8"))
    if length > NAME_MAX:
        from pipeline.core.errors import PipelineError

        raise PipelineError(f"the output file name {path.name[:40]}…{path.name[-24:]} is {length} bytes long, over "
                            f"the {NAME_MAX} a file system allows (content hashes and .br/.gz add up to 20): "
                            "shorten the source file's name")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` unless ``path`` already holds exactly these bytes; True when it wrote."""
    _check_length(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


JUNK_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".git", ".hg", ".svn", ".idea", ".vscode",
                        "__pycache__", "node_modules"})


def is_junk(name: str) -> bool:
    """OS and editor droppings (``.DS_Store``, ``file~``, ``.#file``, ``.file.swp``), never app files."""
    return name in JUNK_NAMES or name.endswith(("~", ".swp", ".swx", ".tmp")) or name.startswith(".#")


def files_under(root: Path) -> list[Path]:
    """Regular files below ``root``, sorted, without junk (``.well-known/`` and other dotfiles are kept).

    Symbolic links are followed only while they stay inside ``root`` (one pointing elsewhere is an error:
    it would publish a file from outside the project); broken links, FIFOs and sockets are skipped.
    """
    return [path for _, path in walk_files(root)]


def walk_files(root: Path, skip: Iterable[Path] = ()) -> list[tuple[str, Path]]:
    """:func:`files_under` with each file's logical name (its POSIX path below ``root``), sorted by it
    folder by folder; folders in ``skip`` are not entered."""
    return [(name, Path(path)) for name, path in walk_names(root, skip)]


# A stat taken this soon after a file's or folder's last change is not trusted by a memo kept under it (git's
# "racy" rule): a further write within the same tick of a coarse clock would leave the very same stat.
RACY_NS = 2_000_000_000


def stat_stamp(path: str | os.PathLike[str]) -> list[int]:
    """What changes whenever a file's bytes or a folder's listing may have, for memos kept under the stat of
    their inputs: the mtime and size, and the ctime, inode and device (a tool that restores mtimes, ``tar x``
    or ``rsync -a``, still changes the ctime; a file or folder swapped for another, or a mount, changes the
    inode or the device)."""
    return stamp_of(os.stat(path))


def stamp_of(stat: os.stat_result) -> list[int]:
    """:func:`stat_stamp` of a stat result already at hand."""
    return [stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev, stat.st_size]


@dataclass
class WalkRecord:
    """What a walk looked at, for a caller that remembers its result: every folder listed with its
    :func:`stat_stamp` (taken before the listing, so a later change always shows), when the walk started,
    whether a symbolic link was met (a link's target can change without any listed folder changing), and
    whether a folder could not be listed (it may become readable without changing)."""

    folders: dict[str, list[int]] = field(default_factory=dict)
    links: bool = False
    complete: bool = True
    started_ns: int = field(default_factory=time.time_ns)
    left_out: list[tuple[str, str, bool]] = field(default_factory=list)  # filled by Context.published_names


def walk_names(root: Path, skip: Iterable[Path] = (), record: WalkRecord | None = None) -> list[tuple[str, str]]:
    """:func:`walk_files` with each path as a string, for callers that touch every file of a large tree.
    One ``scandir`` per folder: the entries' types come with the listing, so a plain file costs no system
    call of its own (a 10,000-file app is walked in milliseconds)."""
    if not root.is_dir():
        return []
    real_root = root.resolve()
    skipped = {os.path.realpath(p) for p in skip}
    found: list[tuple[tuple[str, ...], str, str]] = []
    seen: set[str] = set()
    stack: list[tuple[str, tuple[str, ...]]] = [(str(root), ())]
    while stack:
        folder, parts = stack.pop()
        real = os.path.realpath(folder)
        if real in seen or real in skipped:  # a link loop, or the build's own folders
            continue
        seen.add(real)
        try:
            if record is not None:
                record.folders[folder] = stat_stamp(folder)
            entries = list(os.scandir(folder))
        except OSError:
            if record is not None:
                record.complete = False
            continue
        for entry in entries:
            name = entry.name
            if is_junk(name):
                continue
            _check_entry(name, folder)
            if entry.is_symlink():
                _inside(Path(entry.path), real_root)
                if record is not None:
                    record.links = True
            if entry.is_dir():
                stack.append((entry.path, (*parts, name)))
            elif entry.is_file():
                found.append(((*parts, name), "/".join((*parts, name)), entry.path))
    found.sort(key=lambda item: item[0])
    return [(name, path) for _, name, path in found]


_CONTROL = frozenset(chr(c) for c in [*range(0x20), 0x7F])


def _check_name(path: Path) -> None:
    """A file name must be printable UTF-8: names end up as lines of ``_headers`` and ``nginx.conf``, in the
    service worker and the manifest, where a newline or another control character would inject a rule."""
    _check_entry(path.name, path.parent)


def _check_entry(name: str, folder: str | Path) -> None:
    if name.isprintable():  # the common case, without the error module
        try:
            name.encode("utf-8")
            return
        except UnicodeEncodeError:
            pass
    from pipeline.core.errors import ConfigError

    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"the file name {name!r} is not valid UTF-8; rename it", path=Path(folder)) from None
    if _CONTROL.intersection(name):
        raise ConfigError(f"the file name {name!r} contains a control character (a newline, tab, …); rename it",
                          path=Path(folder))


check_name = _check_name  # for walks of their own (the docs folder's)


def _inside(path: Path, real_root: Path) -> bool:
    if path.is_symlink() and path.exists() and not path.resolve().is_relative_to(real_root):
        from pipeline.core.errors import PipelineError

        raise PipelineError(f"links outside {real_root.name}/ (to {path.resolve()}); copy the file in instead",
                            path=path)
    return True


def logical(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root``: the name that references and the manifest use (by string
    when ``path`` is spelled below ``root``, as every walked file is: this runs for every file of a step)."""
    text, prefix = os.fspath(path), os.fspath(root).rstrip(os.sep) + os.sep
    if text.startswith(prefix) and len(text) > len(prefix):
        rest = text[len(prefix):]
        return rest if os.sep == "/" else rest.replace(os.sep, "/")
    return path.relative_to(root).as_posix()
