"""doit's check of a task's ``file_dep``s, with each file's MD5 computed once per version of the file in a run.

doit's MD5 checker hashes a ``file_dep`` whose mtime changed (and whose size did not) when it checks each task
that depends on it, and again when it saves each one's state. The steps' maps are ``file_dep``s of every step
downstream, so after a stylesheet edit at 10,000 assets the css map (600 kB) was read and hashed ten times,
the asset manifest (4 MB) twice: 32 ms of MD5. This checker keeps the states doit keeps (mtime, size, MD5)
and decides as doit's does; it only remembers each file's MD5 by its stat (size, mtime, ctime, inode,
device) for as long as it lives: doit makes one checker for each run (each ``Dependency``), so a dev server's
builds do not share it. A file written again has another mtime and ctime, unless both writes fall within one
tick of the file system's clock: the limit doit's own rule has (an unchanged mtime is an unchanged file).
"""

from __future__ import annotations

import os
from typing import Any

from doit.dependency import MD5Checker, get_file_md5


class RunMD5Checker(MD5Checker):
    """doit's :class:`~doit.dependency.MD5Checker` (the same states, the same decisions), hashing each version
    of a file once in the run it checks."""

    def __init__(self) -> None:
        super().__init__()
        self._md5: dict[tuple[str, int, int, int, int, int], str] = {}  # (path, size, mtime, ctime, inode, dev)

    def file_md5(self, path: str, stat: os.stat_result) -> str:
        """The MD5 of ``path`` as doit computes it, once per version of the file (its ``stat`` now)."""
        key = (path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
        found = self._md5.get(key)
        if found is None:
            found = self._md5[key] = get_file_md5(path)
        return found

    def check_modified(self, file_path: str, file_stat: os.stat_result, state: Any) -> bool:
        timestamp, size, md5 = state
        if file_stat.st_mtime == timestamp:
            return False
        if file_stat.st_size != size:
            return True
        return md5 != self.file_md5(file_path, file_stat)

    def get_state(self, dep: str, current_state: Any) -> tuple[float, int, str] | None:
        stat = os.stat(dep)
        if current_state and current_state[0] == stat.st_mtime:
            return None  # saved with this mtime already: doit keeps the state it has
        return stat.st_mtime, stat.st_size, self.file_md5(dep, stat)
