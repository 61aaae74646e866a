"""``gate:bench``: the app's Go benchmarks and the pipeline's pytest-benchmark suite, judged statistically
against a stored baseline or a base revision run interleaved, through the gate protocol."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.config.context import Context
from pipeline.gates.common import EXIT_NO_BASELINE, GateError
from pipeline.gates.protocol import Gate, Report, param
from pipeline.gates.publish import relative
from pipeline.wasm.gomod import module_root

BENCH_BASELINE = Path("bench-baseline.json")
SUITES = ("all", "go", "pytest")
PIPELINE_BENCHMARKS = Path("benchmarks")


class BenchGate(Gate):
    name = "bench"
    doc = "Fail on statistically significant benchmark regressions (Mann-Whitney U + effect size); --base REF"
    after_release = False

    def params(self) -> list[dict[str, Any]]:
        return [
            param("base", "", "git revision to compare with, run interleaved in a temporary worktree (recommended)"),
            param("record", False, "store the results as the baseline instead of comparing", bool),
            param("baseline", "", f"stored baseline file (default {BENCH_BASELINE})"),
            param("count", 10, "samples per benchmark and side (at least 10 to ever judge)", int),
            param("benchtime", "100ms", "go test -benchtime per sample"),
            param("suite", "all", "all, go (the app's Go benchmarks) or pytest (the pipeline's benchmarks/)"),
            param("no_baseline_ok", False, "exit 0 instead of 4 when there is no baseline", bool),
        ]

    def evaluate(self, ctx: Context, options: Mapping[str, Any]) -> Report | None:
        from pipeline.gates import bench

        count, suite, base = options.get("count", 10), options.get("suite", "all"), options.get("base", "")
        benchtime = options.get("benchtime", "100ms")
        if count < 1:
            raise GateError("--count must be at least 1")
        if suite not in SUITES:
            raise GateError(f"--suite must be one of {', '.join(SUITES)}, not {suite!r}")
        tc = ctx.toolchain()
        thresholds = bench.Thresholds()
        head = _suite(ctx, "head", None, suite)
        fingerprint = bench.machine_fingerprint(tc.version)
        min_rounds = max(thresholds.min_samples, 10)
        if base:
            from pipeline.gates.bench.runner import git_toplevel, interleaved, worktree

            repo = git_toplevel(ctx.app_dir)
            with worktree(repo, base) as checkout:
                base_suite = _suite(ctx, "base", (repo, checkout), suite)
                base_runs, head_runs = interleaved(base_suite, head, tc, rounds=count, benchtime=benchtime,
                                                   min_rounds=min_rounds)
            stored = bench.baseline_from_runs(base_runs, fingerprint=fingerprint, label=f"base {base}")
            results = bench.merge_runs(head_runs)
        else:
            from pipeline.gates.bench.runner import run_suite

            results = bench.merge_runs(run_suite(head, tc, go_count=count, benchtime=benchtime,
                                                 min_rounds=min_rounds))
            baseline_path = Path(options.get("baseline") or BENCH_BASELINE)
            if options.get("record"):
                bench.record(results, baseline_path, go_version=tc.version)
                ctx.logger.info("recorded the benchmark baseline in %s", relative(baseline_path))
                return None
            stored = bench.load_baseline(baseline_path)
        if not results.samples:
            raise GateError("no benchmark ran: the app has no Go Benchmark functions and there is no benchmarks/ "
                            "suite")
        return bench.compare(stored, results, thresholds=thresholds, head_fingerprint=fingerprint)

    def table(self, report: Report) -> Any:
        from pipeline.gates import bench

        return bench.render_table(report)

    def markdown(self, report: Report) -> str:
        from pipeline.gates import bench

        return bench.render_markdown(report)

    def annotations(self, report: Report) -> list[str]:
        from pipeline.gates import bench

        return bench.github_annotations(report)

    def exit_code(self, report: Report, options: Mapping[str, Any]) -> int:
        from pipeline.gates import bench

        return bench.exit_code(report, no_baseline_ok=bool(options.get("no_baseline_ok")))

    def summary(self, report: Report, code: int, path: Path) -> str:
        if code == EXIT_NO_BASELINE:
            return f"no baseline: record one with --record or compare with --base REF ({path})"
        regressions = [c for c in report.get("comparisons", []) if c.get("status") == "regression"]
        names = ", ".join(sorted({c["benchmark"] for c in regressions})[:5])
        return f"{len(regressions)} significant regression(s): {names} (report: {path})"


def _suite(ctx: Context, label: str, checkout: tuple[Path, Path] | None, which: str) -> Any:
    """Where a revision's benchmarks are; ``checkout`` maps the repository to a base worktree."""
    from pipeline.gates.bench.runner import Suite

    def moved(path: Path) -> Path:
        if checkout is None:
            return path
        repo, tree = checkout
        return tree / path.resolve().relative_to(repo)

    go_module = moved(module_root(ctx.main_dir)) if which in ("all", "go") else None
    pytest_dir = moved(Path.cwd() / PIPELINE_BENCHMARKS) if which in ("all", "pytest") else None
    if pytest_dir is not None and not any(pytest_dir.glob("test_*.py")):
        pytest_dir = None  # no pytest-benchmark suite in this project
    if go_module is not None and not (go_module / "go.mod").is_file():
        raise GateError(f"no Go module at {go_module} in the {label} revision")
    return Suite(label, go_module, pytest_dir, python_path=checkout[1] if checkout else None)


GATE = BenchGate()


@hookimpl
def vango_gates() -> list[Gate]:
    return [GATE]
