"""CI gates: ``doit gate:size`` (budgets.toml against dist/) and ``doit gate:bench`` (benchmark regressions).

All ``gate:*`` subtasks come from the one ``task_gate`` generator, because doit refuses two creators
with the same basename; a gate is added by adding a builder to ``GATES``. Gates always run (they judge,
they produce nothing doit could cache), print a table, write ``build/reports/<gate>.json``, and in GitHub
Actions add a step summary and ``::error`` annotations. Exit codes: see ``pipeline.gates.common``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pipeline.config.context import Project
from pipeline.core.errors import PipelineError
from pipeline.core.fs import write_atomic
from pipeline.engine.tasks import action
from pipeline.gates.common import EXIT_NO_BASELINE, EXIT_OK, GateError, dumps
from pipeline.observe import log
from pipeline.wasm.gomod import module_root
from pipeline.wasm.toolchain import find_toolchain

BUDGETS_NAME = "budgets.toml"
BENCH_BASELINE = Path("bench-baseline.json")
SUITES = ("all", "go", "pytest")
PIPELINE_BENCHMARKS = Path("benchmarks")


class GateFailed(PipelineError):
    """A gate's verdict (not a crash): the message is the summary, the exit code the gate's."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def reports_dir(project: Project) -> Path:
    return project.build_dir / "reports"


def publish_report(name: str, report: Mapping[str, Any], table: Any, markdown: str, annotations: list[str],
                   project: Project) -> Path:
    """The same verdict for humans (terminal table, step summary) and machines (JSON, annotations)."""
    from rich.console import Console

    path = reports_dir(project) / f"{name}.json"
    write_atomic(path, dumps(report))
    Console(file=sys.__stdout__, width=max(100, Console().width)).print(table)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown.rstrip() + "\n\n")
        for line in annotations:
            print(line, file=sys.__stdout__)
    return path


def find_budgets(project: Project, given: str) -> Path:
    if given:
        return Path(given)
    for folder in (project.app_dir, Path.cwd()):
        if (folder / BUDGETS_NAME).is_file():
            return folder / BUDGETS_NAME
    raise GateError(f"no {BUDGETS_NAME} in {project.app_dir} or the current folder; pass --budgets FILE")


@action
def size_gate(project: Project, budgets: str = "", baseline: str = "", why: bool = False,
              allow_unmatched: bool = False) -> list[Path]:
    from pipeline.gates import size  # loaded only when a gate runs, not on every doit invocation

    path = find_budgets(project, budgets)
    config = size.load_budgets(_relative(path))
    report = size.evaluate(config, size.measure_dist(project.dist_dir),
                           size.load_report(Path(baseline)) if baseline else None,
                           baseline_label=baseline or None)
    written = publish_report("size", report, size.render_table(report), size.render_markdown(report),
                             size.github_annotations(report), project)
    if why:
        _explain_wasm(project)
    code = size.exit_code(report, fail_on_unmatched=False if allow_unmatched else None)
    if code != EXIT_OK:
        s = report["summary"]
        raise GateFailed(f"{s['failed']} budget(s) exceeded, {s['unmatched']} matched nothing "
                         f"(report: {_relative(written)})", code)
    return [written]


def _explain_wasm(project: Project) -> None:
    """What the wasm is made of: an unstripped build (name section kept) grouped by Go package."""
    from rich.console import Console

    from pipeline.gates import size
    from pipeline.gates.render import to_rich
    from pipeline.steps.wasm import go_build

    target = project.wasm_dir / "app.names.wasm"
    log.get_logger("gate").info("building %s with its name section for --why", _relative(target))
    data = go_build(project, target, strip=False).read_bytes()
    console = Console(file=sys.__stdout__, width=max(100, Console().width))
    for by in ("package", "function"):
        shares = size.largest(data, by=by, top=15, path=target)
        console.print(to_rich(size.largest_table(shares, by=by, total=size.code_size(data))))


@action
def bench_gate(project: Project, base: str = "", record: bool = False, baseline: str = "", count: int = 10,
               benchtime: str = "100ms", suite: str = "all", no_baseline_ok: bool = False) -> list[Path]:
    from pipeline.gates import bench

    if count < 1:
        raise GateError("--count must be at least 1")
    if suite not in SUITES:
        raise GateError(f"--suite must be one of {', '.join(SUITES)}, not {suite!r}")
    tc = find_toolchain(project.config.go.toolchain, project.app_dir)
    thresholds = bench.Thresholds()
    head = _suite(project, "head", None, suite)
    fingerprint = bench.machine_fingerprint(tc.version)
    min_rounds = max(thresholds.min_samples, 10)
    if base:
        from pipeline.gates.bench.runner import git_toplevel, interleaved, worktree

        repo = git_toplevel(project.app_dir)
        with worktree(repo, base) as checkout:
            base_suite = _suite(project, "base", (repo, checkout), suite)
            base_runs, head_runs = interleaved(base_suite, head, tc, rounds=count, benchtime=benchtime,
                                               min_rounds=min_rounds)
        stored = bench.baseline_from_runs(base_runs, fingerprint=fingerprint, label=f"base {base}")
        results = bench.merge_runs(head_runs)
    else:
        from pipeline.gates.bench.runner import run_suite

        results = bench.merge_runs(run_suite(head, tc, go_count=count, benchtime=benchtime, min_rounds=min_rounds))
        baseline_path = Path(baseline) if baseline else BENCH_BASELINE
        if record:
            bench.record(results, baseline_path, go_version=tc.version)
            log.get_logger("gate").info("recorded the benchmark baseline in %s", _relative(baseline_path))
            return [baseline_path]
        stored = bench.load_baseline(baseline_path)
    if not results.samples:
        raise GateError("no benchmark ran: the app has no Go Benchmark functions and there is no benchmarks/ suite")
    report = bench.compare(stored, results, thresholds=thresholds, head_fingerprint=fingerprint)
    written = publish_report("bench", report, bench.render_table(report), bench.render_markdown(report),
                             bench.github_annotations(report), project)
    code = bench.exit_code(report, no_baseline_ok=no_baseline_ok)
    if code != EXIT_OK:
        raise GateFailed(_bench_summary(report, code, written), code)
    return [written]


def _bench_summary(report: Mapping[str, Any], code: int, written: Path) -> str:
    if code == EXIT_NO_BASELINE:
        return f"no baseline: record one with --record or compare with --base REF ({_relative(written)})"
    regressions = [c for c in report.get("comparisons", []) if c.get("status") == "regression"]
    names = ", ".join(sorted({c["benchmark"] for c in regressions})[:5])
    return f"{len(regressions)} significant regression(s): {names} (report: {_relative(written)})"


def _suite(project: Project, label: str, checkout: tuple[Path, Path] | None, which: str) -> Any:
    """Where a revision's benchmarks are; ``checkout`` maps the repository to a base worktree."""
    from pipeline.gates.bench.runner import Suite

    def moved(path: Path) -> Path:
        if checkout is None:
            return path
        repo, tree = checkout
        return tree / path.resolve().relative_to(repo)

    go_module = moved(module_root(project.main_dir)) if which in ("all", "go") else None
    pytest_dir = moved(Path.cwd() / PIPELINE_BENCHMARKS) if which in ("all", "pytest") else None
    if pytest_dir is not None and not any(pytest_dir.glob("test_*.py")):
        pytest_dir = None  # no pytest-benchmark suite in this project
    if go_module is not None and not (go_module / "go.mod").is_file():
        raise GateError(f"no Go module at {go_module} in the {label} revision")
    return Suite(label, go_module, pytest_dir, python_path=checkout[1] if checkout else None)


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _param(name: str, default: Any, help_text: str, kind: type = str) -> dict[str, Any]:
    option: dict[str, Any] = {"name": name, "long": name.replace("_", "-"), "default": default, "help": help_text}
    if kind is bool:
        option["type"] = bool
    elif kind is int:
        option["type"] = int
    return option


def _size(project: Project) -> dict[str, Any]:
    return {
        "name": "size",
        "doc": "Check dist/ against budgets.toml (raw/gzip/brotli, per file or total); --baseline REPORT, --why",
        "actions": [(size_gate, [project])],
        "task_dep": ["release"],
        "params": [
            _param("budgets", "", "budgets file (default: budgets.toml in the app folder or here)"),
            _param("baseline", "", "a previous build/reports/size.json to compare with (deltas, max_increase)"),
            _param("why", False, "list the largest Go packages and functions in the wasm", bool),
            _param("allow_unmatched", False, "a budget matching no file is not a failure", bool),
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def _bench(project: Project) -> dict[str, Any]:
    return {
        "name": "bench",
        "doc": "Fail on statistically significant benchmark regressions (Mann-Whitney U + effect size); --base REF",
        "actions": [(bench_gate, [project])],
        "params": [
            _param("base", "", "git revision to compare with, run interleaved in a temporary worktree (recommended)"),
            _param("record", False, "store the results as the baseline instead of comparing", bool),
            _param("baseline", "", f"stored baseline file (default {BENCH_BASELINE})"),
            _param("count", 10, "samples per benchmark and side (at least 10 to ever judge)", int),
            _param("benchtime", "100ms", "go test -benchtime per sample"),
            _param("suite", "all", "all, go (the app's Go benchmarks) or pytest (the pipeline's benchmarks/)"),
            _param("no_baseline_ok", False, "exit 0 instead of 4 when there is no baseline", bool),
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


GATES: list[Callable[[Project], dict[str, Any]]] = [_size, _bench]


def task_gate(project: Project) -> Iterator[dict[str, Any]]:
    """CI gates."""
    for build in GATES:
        yield build(project)
