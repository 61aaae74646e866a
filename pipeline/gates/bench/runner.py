"""Running the benchmarks that ``gate:bench`` judges: the app's Go benchmarks and the pipeline's own
pytest-benchmark suite, for the working tree ("head") and, in A/B mode, for a base revision checked out
in a temporary git worktree. Base and head run interleaved (ABBA order) so both see the same machine
state, which is what makes a comparison on a shared CI runner meaningful.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.gates.bench.model import BenchResults
from pipeline.gates.bench.parse import parse_go_bench, parse_pytest_benchmark
from pipeline.gates.common import GateError
from pipeline.observe import spans
from pipeline.wasm.toolchain import Toolchain

GO_TIMEOUT = 900
PYTEST_TIMEOUT = 1800


@dataclass(frozen=True)
class Suite:
    """Where one revision's benchmarks live."""

    label: str  # "base" or "head"
    go_module: Path | None  # folder with go.mod whose packages have Benchmark functions
    pytest_dir: Path | None  # the pipeline's benchmarks/ folder (pytest-benchmark)
    python_path: Path | None = None  # import the pipeline from here (the base worktree), else the installed one


def run_go(suite: Suite, toolchain: Toolchain, *, count: int, benchtime: str, pattern: str = ".") -> BenchResults:
    """``go test -run '^$' -bench <pattern> -benchmem`` over every package of the module (host OS, not wasm)."""
    cmd = [str(toolchain.go), "test", "-run", "^$", "-bench", pattern, "-benchmem", "-count", str(count),
           "-benchtime", benchtime, "./..."]
    try:
        with spans.span("go.test", **{"vango.bench.suite": suite.label, "vango.bench.count": count}) as step:
            proc = subprocess.run(cmd, cwd=suite.go_module, env=toolchain.env(wasm=False, module=suite.go_module),
                                  capture_output=True, text=True, timeout=GO_TIMEOUT)
            step.set(**{"process.exit_code": proc.returncode})
            if proc.returncode:
                step.fail(f"go test exited with {proc.returncode}")
    except subprocess.TimeoutExpired:
        raise GateError(f"Go benchmarks ({suite.label}) did not finish in {GO_TIMEOUT}s",
                        path=suite.go_module) from None
    if proc.returncode != 0:
        detail = (proc.stdout + proc.stderr).strip().splitlines()
        raise GateError(f"Go benchmarks ({suite.label}) failed: {detail[-1] if detail else 'no output'}",
                        path=suite.go_module)
    return parse_go_bench(proc.stdout, f"{suite.label} go test output")


def run_pytest(suite: Suite, *, min_rounds: int) -> BenchResults:
    """The pytest-benchmark suite, raw timings included (``--benchmark-json``)."""
    with tempfile.TemporaryDirectory(prefix="vango-bench-") as tmp:
        report = Path(tmp) / "bench.json"
        env = dict(os.environ)
        if suite.python_path is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(suite.python_path), env.get("PYTHONPATH")]))
        cmd = [sys.executable, "-m", "pytest", str(suite.pytest_dir), "-q", "-p", "no:cacheprovider",
               "--benchmark-only", f"--benchmark-json={report}", f"--benchmark-min-rounds={min_rounds}",
               "--benchmark-disable-gc", "--benchmark-warmup=on"]
        try:
            with spans.span("bench.pytest", **{"vango.bench.suite": suite.label}) as step:
                env.update(spans.carrier())  # the suite's own TRACEPARENT
                proc = subprocess.run(cmd, cwd=suite.python_path or Path.cwd(), env=env, capture_output=True,
                                      text=True, timeout=PYTEST_TIMEOUT)
                step.set(**{"process.exit_code": proc.returncode})
                if proc.returncode:
                    step.fail(f"pytest exited with {proc.returncode}")
        except subprocess.TimeoutExpired:
            raise GateError(f"pytest benchmarks ({suite.label}) did not finish in {PYTEST_TIMEOUT}s",
                            path=suite.pytest_dir) from None
        if proc.returncode != 0 or not report.is_file():
            tail = (proc.stdout + proc.stderr).strip().splitlines()
            raise GateError(f"pytest benchmarks ({suite.label}) failed: {tail[-1] if tail else 'no output'}",
                            path=suite.pytest_dir)
        return parse_pytest_benchmark(report.read_text(encoding="utf-8"), f"{suite.label} pytest-benchmark JSON")


def run_suite(suite: Suite, toolchain: Toolchain, *, go_count: int, benchtime: str,
              min_rounds: int, pattern: str = ".") -> list[BenchResults]:
    runs = []
    if suite.go_module is not None:
        runs.append(run_go(suite, toolchain, count=go_count, benchtime=benchtime, pattern=pattern))
    if suite.pytest_dir is not None:
        runs.append(run_pytest(suite, min_rounds=min_rounds))
    return runs


def interleaved(base: Suite, head: Suite, toolchain: Toolchain, *, rounds: int, benchtime: str,
                min_rounds: int, pattern: str = ".") -> tuple[list[BenchResults], list[BenchResults]]:
    """``rounds`` alternations of base and head (ABBA…), one Go sample per benchmark per round; the pytest
    suites alternate twice, each run giving ``min_rounds`` samples. ``pattern``: the Go benchmarks to run."""
    base_runs: list[BenchResults] = []
    head_runs: list[BenchResults] = []
    for i in range(rounds):
        order = [(base, base_runs), (head, head_runs)] if i % 2 == 0 else [(head, head_runs), (base, base_runs)]
        for suite, runs in order:
            if suite.go_module is not None:
                runs.append(run_go(suite, toolchain, count=1, benchtime=benchtime, pattern=pattern))
    for i in range(2):
        order = [(base, base_runs), (head, head_runs)] if i % 2 == 0 else [(head, head_runs), (base, base_runs)]
        for suite, runs in order:
            if suite.pytest_dir is not None:
                runs.append(run_pytest(suite, min_rounds=min_rounds))
    return base_runs, head_runs


def git_toplevel(path: Path) -> Path:
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GateError("--base needs a git checkout: " + (proc.stderr.strip() or "not a git repository"), path=path)
    return Path(proc.stdout.strip())


@contextlib.contextmanager
def worktree(repo: Path, ref: str) -> Iterator[Path]:
    """A detached checkout of ``ref`` in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="vango-base-"))
    target = folder / "base"
    proc = subprocess.run(["git", "worktree", "add", "--detach", str(target), ref], cwd=repo, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise GateError(f"cannot check out --base {ref!r}: {proc.stderr.strip().splitlines()[-1]}", path=repo)
    try:
        yield target
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(target)], cwd=repo, capture_output=True)
        subprocess.run(["git", "worktree", "prune"], cwd=repo, capture_output=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
