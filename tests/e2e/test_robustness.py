"""Concurrent and interrupted runs, toolchain overrides and terminal progress."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import run_pipeline, snapshot

from pipeline.wasm.toolchain import find_toolchain

pytestmark = pytest.mark.e2e


def test_concurrent_builds_of_one_app_both_succeed(app: Path, shared_cache: Path):
    env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(shared_cache)}
    procs = [subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-2000:] for r in results]
    again = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert again.returncode == 0 and again.executed() == set()  # the sqlite3 DB survived
    assert not list(app.glob(".dist.staging-*"))


def test_a_killed_build_leaves_dist_intact_and_the_next_one_recovers(app: Path, tmp_path: Path):
    cache = tmp_path / "private-cache"  # empty: brotli of the wasm takes seconds, time to interrupt
    first = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(tmp_path / "c0")})
    assert first.returncode == 0, first.stderr
    before = snapshot(app / "dist")
    (app / "web" / "css" / "theme.css").write_text(":root { --interrupted: 1; }\n")
    (app / "main.go").write_text((app / "main.go").read_text() + "\nvar interrupted = 1\n")
    env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(cache)}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    started = False
    while not started and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1)
        if ready:
            line = proc.stderr.readline()
            if not line:
                break
            seen += line
            record = json.loads(line) if line.startswith("{") else {}
            started = record.get("task") == "compress" and record.get("event") == "task.started"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert '"event": "task.started"' in seen
    assert snapshot(app / "dist") == before

    recovered = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(cache)})
    assert recovered.returncode == 0, recovered.stderr
    assert "release" in recovered.executed()
    served = "".join(p.read_text() for p in (app / "dist" / "css").glob("theme.*.css"))
    assert "--interrupted:1" in served.replace(" ", "")  # minified in release builds


def test_vango_go_selects_the_toolchain(app: Path, shared_cache: Path, tmp_path: Path):
    missing = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_GO": str(tmp_path / "no-such-go")})
    assert missing.returncode == 2
    assert "no-such-go" in missing.stderr and "VANGO_GO" in missing.stderr and "Traceback" not in missing.stderr

    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "bin" / "go"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{calls}"\nexec "{find_toolchain().go}" "$@"\n')
    wrapper.chmod(0o755)
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_GO": str(wrapper), "VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0, run.stderr
    assert {"env", "list", "build"} <= set(calls.read_text().split())  # asked, listed inputs, compiled


def test_progress_is_shown_on_a_terminal(app: Path, tmp_path: Path):
    """Under a pseudo-terminal the Go compile shows a spinner line (its go.build span) and the compress step
    one progress bar for the whole step (files and bytes); piped, neither appears."""
    env = {**os.environ, "VANGO_LOG_FORMAT": "human", "VANGO_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm",
           "COLUMNS": "100"}
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env, stdin=follower,
                            stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-2000:]
    assert "Compiling Go -> wasm" in text
    assert re.search(r"compress \d+ files", text) and "MB" in text
    piped = run_pipeline(["pipeline.cli", "build", "-a"], app, {"VANGO_CACHE_DIR": str(tmp_path / "other"),
                                                                 "VANGO_LOG_FORMAT": "human"})
    assert piped.returncode == 0 and "compress 1" not in piped.stderr and "━" not in piped.stderr


def test_ten_concurrent_pairs_in_one_folder_all_succeed_one_after_the_other(app: Path, shared_cache: Path):
    """The second run of a pair waits for the first (flock on build/.vango.lock), saying so; none crashes."""
    env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(shared_cache)}
    waited = 0
    for round_number in range(10):
        if round_number % 3 == 1:  # some pairs find work to do, not only up-to-date tasks
            css = app / "web" / "css" / "app.css"
            css.write_text(css.read_text() + f"\n/* round {round_number} */\n")
        procs = [subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [r[1][-1500:] for r in results]
        assert not any("Traceback" in r[1] for r in results)
        waited += sum('"run.waiting"' in r[1] for r in results)
    assert waited >= 1, "at least one run of ten pairs started while the other held the folder"
    assert not list((app / "build").glob("wasm/.*.partial"))


HOLD_LOCK = """
import sys, time
from pathlib import Path
from pipeline.core import runlock
runlock.acquire(Path(sys.argv[1]), timeout=5)
print("held", flush=True)
time.sleep(60)
"""


def test_listing_tasks_never_waits_for_a_running_build_but_a_build_does(app: Path, shared_cache: Path):
    (app / "build").mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(app / "build")], stdout=subprocess.PIPE, text=True)
    env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(shared_cache)}
    try:
        assert holder.stdout.readline().strip() == "held"
        listing = subprocess.run([sys.executable, "-m", "pipeline.cli", "list"], cwd=app, env=env,
                                 capture_output=True, text=True, timeout=60)
        assert listing.returncode == 0 and "release" in listing.stdout and "run.waiting" not in listing.stderr
        build = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        first = build.stderr.readline()
        while '"run.waiting"' not in first and first:
            first = build.stderr.readline()
        assert f'"pid": "{holder.pid}"' in first, "the build says whom it waits for"
        holder.kill()
        holder.wait(timeout=10)
        rest = build.communicate(timeout=300)[1]
        assert build.returncode == 0, rest[-2000:]
    finally:
        if holder.poll() is None:
            holder.kill()


def test_a_file_name_too_long_with_its_hash_is_one_line(app: Path, shared_cache: Path):
    name = "x" * 248 + ".png"  # fits on disk, but not with ".<16 hex>" added
    (app / "web" / "img" / name).write_bytes(b"\x89PNG")
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 1 and "Traceback" not in run.stderr
    (failed,) = [e for e in run.events if e.get("event") == "task.failed"]
    assert "is 269 bytes long, over the 255 a file system allows" in failed["error"]
    assert not (app / "dist").exists()

