"""Helpers shared by the tests: running the pipeline as a user would (a subprocess) and comparing trees."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "todo"
IGNORED = shutil.ignore_patterns("build", "dist", ".doit*")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    events: list[dict] = field(default_factory=list)

    def executed(self) -> set[str]:
        return {e["task"] for e in self.events if e.get("event") == "task.executed"}

    def uptodate(self) -> set[str]:
        return {e["task"] for e in self.events if e.get("event") == "task.uptodate"}


def run_pipeline(argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> Run:
    """Run ``python -m <module> ...`` with JSON logs and parse the events from stderr."""
    full_env = {**os.environ, "VANGO_LOG_FORMAT": "json", **(env or {})}
    full_env.pop("VANGO_RUN_ID", None)
    proc = subprocess.run([sys.executable, "-m", *argv], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    events = []
    for line in proc.stderr.splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return Run(proc.returncode, proc.stdout, proc.stderr, events)


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file's sha256, mtime (ns) and inode: equal snapshots mean nothing was rewritten."""
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            state[path.relative_to(folder).as_posix()] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                                          st.st_mtime_ns, st.st_ino)
    return state


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
