"""A no-op ``doit release`` of the example against a bare doit run of one up-to-date task (issue "Speed at
scale": goal at most 1.5x). Both are fresh Python processes in the same virtualenv, alternated, medians
of ten.

Measured here: 1.26x to 1.63x (0.18-0.23 s against 0.12-0.16 s, from run to run on this shared machine;
six of seven runs 1.26x to 1.44x; it was 3x, then 2.4x, then 1.85x to 2.2x, then 1.50x to 1.84x).
Both run with bytecode, as installed code does (``installed_env``). The task list comes from
``build/plan.json`` (``pipeline.engine.plan``): the config model, the addons, the registry and the steps are
not imported (``tests/e2e/test_plan.py``), nor is prometheus-client (``metrics.prom`` is formatted by
``pipeline.observe.textfile``). What is left over bare doit: thirteen tasks instead of one, the sqlite
backend, the settings, the reporter and the event log (about 15 ms of imports). The goal is met in most runs;
the ceiling guards the level reached with room for this machine's noise.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, build, installed_env

GOAL = 1.5
CEILING = 2.0  # the level reached, with room for noise: a regression past it fails

BARE = '''def task_one():
    return {"actions": ["touch out.txt"], "file_dep": ["dodo.py"], "targets": ["out.txt"]}
'''


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("noop")
    app = root / "app"
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("build", "dist"))
    (app / "dodo.py").write_text("from pipeline.dodo import tasks\n\nglobals().update(tasks())\n")
    build(app)
    bare = root / "bare"
    bare.mkdir()
    (bare / "dodo.py").write_text(BARE)
    return app, bare


def doit(folder: Path, *args: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "doit", *args], cwd=folder, env=installed_env(),
                          capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return elapsed


def test_noop_release_against_bare_doit(benchmark, apps: tuple[Path, Path]):
    app, bare = apps
    doit(app, "release")
    doit(bare)
    rounds = 1 if benchmark.disabled else 10
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(doit(app, "release"))
        theirs.append(doit(bare))
    ratio = statistics.median(ours) / statistics.median(theirs)
    benchmark.extra_info.update({"noop_s": round(statistics.median(ours), 3),
                                 "bare_doit_s": round(statistics.median(theirs), 3), "ratio": round(ratio, 3),
                                 "goal": GOAL})
    benchmark.pedantic(doit, args=(app, "release"), rounds=1, iterations=1)
    if not benchmark.disabled:
        assert ratio <= CEILING, f"a no-op release takes {ratio:.2f}x a bare doit run (reached: {CEILING}x)"
