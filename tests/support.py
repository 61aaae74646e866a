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


class LoggedProcess:
    """A long-running pipeline command (``doit watch``, ``vango dev``) whose JSON log lines are read as they
    come; every wait is bounded, and ``stop`` ends it with Ctrl-C (then a kill)."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None):
        import queue
        import threading

        full_env = {**os.environ, "VANGO_LOG_FORMAT": "json", **(env or {})}
        full_env.pop("VANGO_RUN_ID", None)
        self.proc = subprocess.Popen([sys.executable, "-m", *argv], cwd=cwd, env=full_env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.events: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def next_event(self, name: str, timeout: float = 120, collect: list[dict] | None = None,
                   collect_name: str = "task.failed") -> dict:
        """The next log record whose ``event`` is ``name``; records named ``collect_name`` seen on the way
        are appended to ``collect``."""
        import queue
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.proc.args} exited with {self.proc.returncode}") from None
                continue
            self.seen.append(event)
            if collect is not None and event.get("event") == collect_name:
                collect.append(event)
            if event.get("event") == name:
                return event
        raise TimeoutError(f"no {name} event within {timeout}s")

    def stop(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
