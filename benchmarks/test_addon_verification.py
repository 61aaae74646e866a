"""What verifying the installed addons costs every run: four addons shaped like the bundled ones (an SDK with
hundreds of files, one carrying a 64 MiB binary), checked against addons.lock through the stat cache.

Goal: at most 30 ms added to a no-op ``vango build`` (measured here as alternated pairs of no-op builds of
the same app with and without the addons, in the same run), and a cold verification (``vango addon
verify``, which always rehashes) that is bounded by reading the bytes once.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE

from pipeline.addons import manager
from pipeline.addons.lock import Lock, LockEntry, write_lock
from pipeline.addons.treehash import file_lines, h1, summary_text

NOOP_BUDGET_S = 0.030
SHAPES = {  # name: (python files, size of one binary file)
    "otel": (600, 0),
    "tailwind": (40, 64 * 1024 * 1024),
    "rpcgen": (150, 0),
    "auth": (60, 0),
}


def make_addon(root: Path, name: str, files: int, binary: int) -> LockEntry:
    """An installed addon folder as ``vango addon install`` leaves it, and its lock entry."""
    folder = root / name
    package = folder / f"bench_addon_{name}"
    for i in range(files):
        sub = package / f"part{i % 12}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"m{i}.py").write_text(f'"""Module {i}."""\nVALUE = {i}\n' + "# padding\n" * (i % 40))
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(f'"""The {name} benchmark addon: no hooks."""\n')
    if binary:
        (package / "bin.exe").write_bytes(os.urandom(1 << 20) * (binary >> 20))
    info = folder / f"bench_addon_{name}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bench-addon-{name}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(f"[vango.addons]\n{name} = bench_addon_{name}\n")
    lines = file_lines(folder)
    (root / f"{name}.sum").write_text(summary_text(lines))
    return LockEntry(name, f"bench-addon-{name}", "1.0.0", f"bench_addon_{name}", f"bench-addon-{name}", "0" * 64,
                     h1(lines))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example app built twice: without addons, and with the four installed."""
    root = tmp_path_factory.mktemp("addon-bench")
    plain, with_addons = root / "plain", root / "with-addons"
    for app in (plain, with_addons):
        shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("build", "dist"))
    folder = manager.addons_dir(with_addons)
    entries = [make_addon(folder, name, *shape) for name, shape in SHAPES.items()]
    write_lock(manager.lock_path(with_addons), Lock(tuple(entries)))
    for app in (plain, with_addons):
        noop_build(app)
        noop_build(app)  # the second run fills the stat cache for files older than the racy window
    return plain, with_addons


def noop_build(app: Path) -> float:
    env = {**os.environ, "VANGO_LOG_FORMAT": "json"}
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return float(next(line for line in proc.stderr.splitlines() if '"run.finished"' in line)
                 .split('"duration_s": ')[1].split(",")[0])


def timed_build(app: Path) -> float:
    import time

    started = time.perf_counter()
    noop_build(app)
    return time.perf_counter() - started


def test_warm_verification(benchmark, pair):
    """Every run's check: four trees through the stat cache (no file is read)."""
    app = pair[1]
    lock = benchmark(manager.verify, app)
    assert len(lock.entries) == 4


def test_cold_verification(benchmark, pair):
    """``vango addon verify``: every byte rehashed, the 64 MiB binary included."""
    app = pair[1]
    found = benchmark.pedantic(manager.statuses, args=(app,), kwargs={"rehash": True}, rounds=3, iterations=1)
    assert [s.status for s in found] == ["verified"] * 4


def test_noop_build_overhead_of_four_addons(benchmark, pair):
    """Alternated pairs of no-op builds; the median difference is what the addons cost a run."""
    plain, with_addons = pair
    rounds = 1 if benchmark.disabled else 12
    costs = []
    for _ in range(rounds):
        base = timed_build(plain)
        costs.append(timed_build(with_addons) - base)
    overhead = statistics.median(costs)
    benchmark.extra_info["overhead_ms"] = round(overhead * 1000, 1)
    benchmark.pedantic(noop_build, args=(with_addons,), rounds=1, iterations=1)
    if not benchmark.disabled:
        assert overhead <= NOOP_BUDGET_S, f"four addons add {overhead * 1000:.1f} ms to a no-op build"
