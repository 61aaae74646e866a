"""The pipeline's own fingerprint: a hash of its code, templates and schemas, so that upgrading or editing
the pipeline re-runs the tasks and no output made by older code survives.

Kept apart from the task wiring because a no-op run that takes its task list from ``build/plan.json``
(:mod:`pipeline.engine.plan`) checks the code's listing and imports nothing else of the engine.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

FINGERPRINTED = (".py", ".j2", ".json")
ROOT = Path(__file__).resolve().parent.parent


def code_files() -> list[str]:
    """Every file the fingerprint covers, sorted (strings: this runs on every run)."""
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        found.extend(os.path.join(folder, n) for n in names if n.endswith(FINGERPRINTED))
    found.sort()
    return found


def listing_digest(found: list[str] | None = None) -> str:
    """A hash of the path, size, mtime, ctime and inode of every covered file: it changes whenever the code may
    have (a tool that puts mtimes back still changes the ctime)."""
    listing = hashlib.sha256()
    for path in code_files() if found is None else found:
        st = os.stat(path)
        listing.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode())
    return listing.hexdigest()[:32]


@cache
def pipeline_fingerprint(memo_dir: Path | None = None) -> str:
    """Hash of the pipeline's own code, templates and schemas. With ``memo_dir``, the hash is remembered
    under :func:`listing_digest`, so a run whose pipeline is unchanged reads none of them (once per install)."""
    found = code_files()
    memo = None
    if memo_dir is not None:
        memo = memo_dir / f"pipeline-{listing_digest(found)}"
        try:
            return memo.read_text(encoding="ascii").strip()
        except OSError:
            pass
    digest = hashlib.sha256()
    for path in found:
        relative = Path(path).relative_to(ROOT).as_posix()
        digest.update(relative.encode() + b"\0" + Path(path).read_bytes() + b"\0")
    value = digest.hexdigest()[:16]
    if memo is not None:
        from pipeline.core.fs import write_atomic

        write_atomic(memo, value.encode("ascii"))
        for older in memo.parent.glob("pipeline-*"):  # an edited or upgraded pipeline's: never read again
            if older != memo:
                older.unlink(missing_ok=True)
    return value
