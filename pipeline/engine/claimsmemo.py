"""The registry's claims (which step builds which file of the web folder), remembered between runs.

Which files a step claims depends only on the web folder's listing, the steps' patterns and the publishing
rule; a listing changes only with the mtime of a folder in it (a file added, removed or renamed changes its
folder's). So ``build/claims.json`` keeps the claims with the mtime of every folder the walk listed, under a
key of the rest, and a run whose folders all have those mtimes takes the claims from it instead of walking
and matching every file (a 10,000-file app's no-op is a tenth of a second faster).

Each folder's ctime, inode and device are compared too (:func:`pipeline.core.fs.stat_stamp`): a tool that
restores mtimes still changes the ctime. Never remembered, like git's "racy" index entries: a folder changed
within two seconds of the walk's start (its next change could keep the same coarse mtime), a walk that met a
symbolic link (a link's target can change while no folder listed does), one that could not list a folder,
and one that did not list the web folder itself (it was gone).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.core.fs import RACY_NS, WalkRecord, stat_stamp, write_atomic

NAME = "claims.json"
VERSION = 2  # 2: stat_stamp's five values per folder

Claims = dict[str, list[str]]
LeftOut = list[tuple[str, str, bool]]


def memo_key(**parts: Any) -> str:
    """The key: everything besides the listing that decides the claims (JSON-able parts)."""
    return json.dumps({"version": VERSION, **parts}, sort_keys=True, default=str)


def recall(path: Path, key: str) -> tuple[Claims, LeftOut] | None:
    """The remembered claims and files left out, if the key matches and no folder listed has changed."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    try:
        folders = data["folders"]
        if not folders:
            return None
        for folder, state in folders.items():
            if stat_stamp(folder) != state:
                return None
        return data["claims"], [(str(s), str(r), bool(w)) for s, r, w in data["left_out"]]
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None


def remember(path: Path, key: str, root: Path, claims: Claims, record: WalkRecord) -> bool:
    """Keep the claims of this walk of ``root`` for the next run, unless it cannot be trusted then; True
    when kept."""
    racy = any(record.started_ns - state[0] < RACY_NS for state in record.folders.values())
    if racy or record.links or not record.complete or str(root) not in record.folders:
        path.unlink(missing_ok=True)
        return False
    body = {"key": key, "folders": record.folders, "claims": claims, "left_out": record.left_out}
    write_atomic(path, json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return True
