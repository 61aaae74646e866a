"""Shared fixtures: copies of the example app, and running the pipeline as a user would (a subprocess)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Precompression results shared by the tests' builds: identical wasm bytes are brotli'd once."""
    return tmp_path_factory.mktemp("vango-cache")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A private copy of the example app, as a user's project folder."""
    target = tmp_path / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    return target


@pytest.fixture
def vango(shared_cache: Path):
    """``vango build`` (or another subcommand) run inside an app folder."""

    def call(app_dir: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        command = list(args) or ["build"]
        return run_pipeline(["pipeline.cli", *command], app_dir, {"VANGO_CACHE_DIR": str(shared_cache), **(env or {})})

    return call


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    """One release build of the example, for the tests that only read dist/."""
    target = tmp_path_factory.mktemp("built") / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    result = run_pipeline(["pipeline.cli", "build"], target, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert result.returncode == 0, result.stderr
    return target / "dist"


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
