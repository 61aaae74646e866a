"""File stamps packed in one array: the checks that run for every file on every run (``dist/`` against its
publish record, a step's sources against its listing) stat each file by name relative to its folder, opened
once, and compare all the numbers in one step.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable, Sequence
from operator import attrgetter

_HALF = 2 ** 63


def packed_int64(numbers: Iterable[int]) -> array:
    """Numbers as signed 64-bit integers, each taken modulo 2**64 (no information lost for any 64-bit value:
    an inode number above 2**63, an mtime past the year 2262)."""
    numbers = list(numbers)
    try:
        return array("q", numbers)
    except OverflowError:
        return array("q", [(n + _HALF) % (2 * _HALF) - _HALF for n in numbers])


def packed_stats(root: str, groups: Iterable[tuple[str, Sequence[str]]], *, inode: bool) -> array:
    """Size, mtime and ctime (and the inode when ``inode``) of each file, folder by folder (``root`` joined
    with each folder, which may be empty), in order; a file or folder that cannot be stat'ed gives -1s."""
    width = 4 if inode else 3
    missing = (-1,) * width
    fields = attrgetter(*("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino")[:width])  # one C call a file
    stamps = array("q")
    extend = stamps.extend
    for folder, names in groups:
        try:
            fd = os.open(os.path.join(root, folder) if folder else (root or "."), os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            extend(missing * len(names))
            continue
        try:
            for name in names:
                try:
                    stat = os.stat(name, dir_fd=fd)
                except OSError:
                    extend(missing)
                    continue
                try:
                    extend(fields(stat))
                except OverflowError:  # an inode above 2**63, an mtime past 2262 (touch -d 2300-01-01)
                    del stamps[len(stamps) - len(stamps) % width:]  # what extend took before it failed
                    extend(packed_int64(fields(stat)))
        finally:
            os.close(fd)
    return stamps
