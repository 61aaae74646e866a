"""A clean release of the example against its floor: what no pipeline can avoid, ``go build`` of the wasm
with the same flags plus brotli 11 and gzip 9 of it, run one after the other (issue "Speed at scale": a
clean release at most 1.1x the floor, the wasm's compression overlapping the other steps).

Both sides use the same warm Go build cache (a CI runner restores it); the release gets fresh build, cache
and dist folders each time, so every step and every compression runs. Medians of alternated runs.

Measured here: 1.02x to 1.11x (median of runs 1.06x; it was 1.26x): the Go compiler starts first, and the
wasm's brotli and gzip start as soon as the wasm is final, in parallel threads, while the other steps run.
What is left is Python's start and the pipeline's imports (about 0.3 s), on a machine whose noise is of the
same size, hence seven alternated rounds.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE

from pipeline.assets.compression import brotli_bytes, gzip_bytes
from pipeline.config.context import Context, Settings
from pipeline.steps.wasm import build_command, toolchain
from pipeline.wasm.gomod import module_root

GOAL = 1.10


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("floor") / "app"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("build", "dist"))
    return target


def floor(app: Path, out: Path) -> float:
    ctx = Context.load(Settings.from_environment({}, app=app, build=out / "build"))
    tc = toolchain(ctx)
    started = time.perf_counter()
    subprocess.run(build_command(ctx, tc, out / "app.wasm"), cwd=ctx.main_dir, check=True, capture_output=True,
                   env=tc.env(module=module_root(ctx.main_dir)))
    data = (out / "app.wasm").read_bytes()
    brotli_bytes(data, 11)
    gzip_bytes(data, 9)
    return time.perf_counter() - started


def clean_release(app: Path, out: Path) -> float:
    for name in ("build", "dist"):
        shutil.rmtree(app / name, ignore_errors=True)
    env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(out / "cache")}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env, capture_output=True,
                          text=True, timeout=600)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    shutil.rmtree(out / "cache", ignore_errors=True)
    return elapsed


def test_clean_release_against_the_floor(benchmark, app: Path, tmp_path: Path):
    clean_release(app, tmp_path)  # warms the Go build cache for both sides
    rounds = 1 if benchmark.disabled else 7
    floors, releases = [], []
    for _ in range(rounds):
        floors.append(floor(app, tmp_path))
        releases.append(clean_release(app, tmp_path))
    ratio = statistics.median(releases) / statistics.median(floors)
    benchmark.extra_info.update({"floor_s": round(statistics.median(floors), 3),
                                 "release_s": round(statistics.median(releases), 3), "ratio": round(ratio, 3)})
    benchmark.pedantic(clean_release, args=(app, tmp_path), rounds=1, iterations=1)
    assert (app / "dist" / "asset-manifest.json").is_file()
    if not benchmark.disabled:
        assert ratio <= GOAL, f"a clean release is {ratio:.2f}x its floor (goal {GOAL}x)"
