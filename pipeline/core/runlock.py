"""One run at a time per build folder: a second ``vango build``/``doit release`` in the same folder waits for
the first (saying so) instead of racing it over the same maps, staged output and doit database.

The lock is ``flock`` on ``<build>/.vango.lock`` (released by the kernel if a run dies), taken by the
reporter when ``doit run`` starts executing and released when its report is complete (``doit list`` and
friends never wait); it is re-entrant within a process.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from pipeline.core.errors import PipelineError

try:
    import fcntl
except ImportError:  # not on POSIX: runs are not serialised
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".vango.lock"
_held: dict[str, int] = {}


class LockTimeout(PipelineError):
    """Another run held the build folder for longer than we were willing to wait."""


def acquire(build_dir: Path, *, timeout: float, on_wait: object = None) -> None:
    """Take the build folder's lock, waiting up to ``timeout`` seconds; ``on_wait(pid)`` is called once."""
    key = str(build_dir)
    if fcntl is None or key in _held:
        return
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if not told and callable(on_wait):
                on_wait(_holder(fd))
                told = True
            if time.monotonic() > deadline:
                os.close(fd)
                raise LockTimeout(f"another run (pid {_holder(path)}) has held this build folder for more than "
                                  f"{timeout:.0f} s; try again when it is done", path=path) from None
            time.sleep(0.1)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[key] = fd


def release(build_dir: Path) -> None:
    fd = _held.pop(str(build_dir), None)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _holder(where: int | Path) -> str:
    try:
        if isinstance(where, int):
            os.lseek(where, 0, os.SEEK_SET)
            text = os.read(where, 32).decode()
        else:
            text = Path(where).read_text()
    except (OSError, UnicodeDecodeError):
        return "?"
    return text.strip() or "?"


def release_all() -> None:
    for key in list(_held):
        release(Path(key))
