"""doit's check of a task's ``file_dep``s, with each file's MD5 computed once per version of the file in a run.

doit's MD5 checker hashes a ``file_dep`` whose mtime changed (and whose size did not) when it checks each task
that depends on it, and again when it saves each one's state. The steps' maps are ``file_dep``s of every step
downstream, so after a stylesheet edit at 10,000 assets the css map (600 kB) was read and hashed ten times,
the asset manifest (4 MB) twice: 32 ms of MD5. This checker keeps the states doit keeps (mtime, size, MD5)
and decides as doit's does; it only remembers, in this process, the MD5 of each file by its stat (size, mtime,
ctime, inode, device): a file written again has another stat (the pipeline writes by rename, so another
inode too).
"""

from __future__ import annotations

import os
from typing import Any

from doit.dependency import MD5Checker, get_file_md5

_MD5: dict[tuple[str, int, int, int, int, int], str] = {}  # (path, size, mtime, ctime, inode, device) -> MD5
_KEPT = 4096  # a dev server runs build after build in one process: its older versions are let go


def file_md5(path: str, stat: os.stat_result) -> str:
    """The MD5 of ``path`` as doit computes it, once per version of the file (its ``stat`` now)."""
    key = (path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
    found = _MD5.get(key)
    if found is None:
        if len(_MD5) >= _KEPT:
            _MD5.clear()
        found = _MD5[key] = get_file_md5(path)
    return found


class RunMD5Checker(MD5Checker):
    """doit's :class:`~doit.dependency.MD5Checker` (the same states, the same decisions), hashing each version
    of a file once per run."""

    def check_modified(self, file_path: str, file_stat: os.stat_result, state: Any) -> bool:
        timestamp, size, md5 = state
        if file_stat.st_mtime == timestamp:
            return False
        if file_stat.st_size != size:
            return True
        return md5 != file_md5(file_path, file_stat)

    def get_state(self, dep: str, current_state: Any) -> tuple[float, int, str] | None:
        stat = os.stat(dep)
        if current_state and current_state[0] == stat.st_mtime:
            return None  # saved with this mtime already: doit keeps the state it has
        return stat.st_mtime, stat.st_size, file_md5(dep, stat)
