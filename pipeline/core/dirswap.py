"""Publish a fully built staging folder as dist/ in one step, so readers never see a half-written dist/.

On Linux the two folders are exchanged atomically with ``renameat2(RENAME_EXCHANGE)``; elsewhere (or on
filesystems without it) the old dist/ is renamed aside first, leaving a window of microseconds with no
dist/ but never a partial one.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

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


def swap_into_place(staging: Path, dist: Path) -> None:
    """Make ``staging`` the new ``dist``; the previous dist/ is deleted afterwards."""
    if not dist.exists():
        os.rename(staging, dist)
        return
    if _exchange(staging, dist):
        shutil.rmtree(staging)  # now holds the previous release
        return
    old = dist.parent / f".{dist.name}.old-{os.getpid()}"
    os.rename(dist, old)
    os.rename(staging, dist)
    shutil.rmtree(old, ignore_errors=True)


PUBLISHED = "published.json"  # in the build folder: what the last publish put into dist/


def record_published(build_dir: Path, dist: Path, files: list[str],
                     known: dict[str, list[object]] | None = None) -> None:
    """Remember what dist/ held right after a publish (size, mtime, SHA-384 of each file), so the next run
    can tell a dist/ changed behind the pipeline's back, and knows this dist/ is its own. A file ``known``
    lists with the same size and mtime (kept from the previous publish) is not hashed again."""
    import hashlib
    import json

    from pipeline.core.fs import write_atomic

    state: dict[str, list[object]] = {}
    root = str(dist)
    for relative in files:
        path = os.path.join(root, relative)
        stat = os.stat(path)
        previous = (known or {}).get(relative)
        if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
            digest = previous[2]  # the same file, linked from the previous publish
        else:
            digest = hashlib.sha384(Path(path).read_bytes()).hexdigest()
        # ctime too: an edit that restores the size and the mtime still changes it (utime cannot set it)
        state[relative] = [stat.st_size, stat.st_mtime_ns, digest, stat.st_ctime_ns]
    text = json.dumps({"dist": str(dist), "files": state}, sort_keys=True, separators=(",", ":"))
    write_atomic(build_dir / PUBLISHED, text.encode("utf-8"))


def published_state(build_dir: Path, dist: Path) -> dict[str, list[object]] | None:
    """The files of the last publish into ``dist`` from this build folder, or None if it never published there."""
    import json

    try:
        state = json.loads((build_dir / PUBLISHED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("dist") != str(dist) or not isinstance(state.get("files"), dict):
        return None
    return state["files"]


def drifted(build_dir: Path, dist: Path) -> list[str]:
    """Files of the last publish that are missing or changed in ``dist`` now (cheaply: size and mtime, the
    hash only when the mtime differs); ``[""]`` when there is no record of a publish."""
    import hashlib

    state = published_state(build_dir, dist)
    if state is None:
        return [""]
    changed = []
    root = str(dist)
    for relative, entry in sorted(state.items()):
        size, mtime, digest = entry[:3]
        ctime = entry[3] if len(entry) > 3 else None
        path = os.path.join(root, relative)  # strings: this runs for every published file on every no-op
        try:
            stat = os.stat(path)
        except OSError:
            changed.append(relative)
            continue
        touched = stat.st_mtime_ns != mtime or (ctime is not None and stat.st_ctime_ns != ctime)
        if stat.st_size != size or (touched and hashlib.sha384(Path(path).read_bytes()).hexdigest() != digest):
            changed.append(relative)
    return changed
