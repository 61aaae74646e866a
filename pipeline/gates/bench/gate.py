"""``gate:bench``: the app's Go benchmarks and the pipeline's pytest-benchmark suite, judged statistically
against a stored baseline or a base revision run interleaved, through the gate protocol."""

from __future__ import annotations

import re
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
GO_BENCHMARK = re.compile(r"\.(Benchmark\w*)")  # the top-level function of a Go benchmark's qualified name
SUITES = ("all", "go", "pytest")
PIPELINE_BENCHMARKS = Path("benchmarks")


class BenchGate(Gate):
    name = "bench"
    table_from_report = True
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
        fingerprint = bench.machine_fingerprint(tc.version)
        min_rounds = max(thresholds.min_samples, 10)
        baseline_path = Path(options.get("baseline") or BENCH_BASELINE)
        if base:
            from pipeline.gates.bench.runner import git_toplevel, worktree

            repo = git_toplevel(ctx.app_dir)
            with worktree(repo, base) as checkout:
                def measure(which: str, pattern: str) -> tuple[Any, Any]:
                    return self._interleaved(ctx, which, (repo, checkout), tc, count, benchtime, min_rounds,
                                             pattern, fingerprint, f"base {base}")

                report = self._judge(ctx, measure, suite, thresholds, fingerprint)
            return report
        if options.get("record"):
            from pipeline.gates.bench.runner import run_suite

            results = bench.merge_runs(run_suite(_suite(ctx, "head", None, suite), tc, go_count=count,
                                                 benchtime=benchtime, min_rounds=min_rounds))
            if not results.samples:
                raise GateError("no benchmark ran: the app has no Go Benchmark functions and there is no "
                                "benchmarks/ suite")
            bench.record(results, baseline_path, go_version=tc.version)
            ctx.logger.info("recorded the benchmark baseline in %s", relative(baseline_path))
            return None
        stored = bench.load_baseline(baseline_path)

        def measure_head(which: str, pattern: str) -> tuple[Any, Any]:
            from pipeline.gates.bench.runner import run_suite

            head = _suite(ctx, "head", None, which)
            runs = run_suite(head, tc, go_count=count, benchtime=benchtime, min_rounds=min_rounds, pattern=pattern)
            return stored, bench.merge_runs(runs)

        return self._judge(ctx, measure_head, suite, thresholds, fingerprint)

    @staticmethod
    def _interleaved(ctx: Context, which: str, checkout: tuple[Path, Path], tc: Any, count: int, benchtime: str,
                     min_rounds: int, pattern: str, fingerprint: Any, label: str) -> tuple[Any, Any]:
        from pipeline.gates import bench
        from pipeline.gates.bench.runner import interleaved

        base_runs, head_runs = interleaved(_suite(ctx, "base", checkout, which), _suite(ctx, "head", None, which),
                                           tc, rounds=count, benchtime=benchtime, min_rounds=min_rounds,
                                           pattern=pattern)
        return bench.baseline_from_runs(base_runs, fingerprint=fingerprint, label=label), bench.merge_runs(head_runs)

    @staticmethod
    def _judge(ctx: Context, measure: Any, suite: str, thresholds: Any, fingerprint: Any) -> Report:
        """First pass over everything; a timing it flags must be flagged again by a second, independent pass
        of just the flagged benchmarks (a fresh interleaving) before it counts."""
        from pipeline.gates import bench
        from pipeline.gates.bench.report import confirm, flagged_timings

        stored, results = measure(suite, ".")
        if not results.samples:
            raise GateError("no benchmark ran: the app has no Go Benchmark functions and there is no benchmarks/ "
                            "suite")
        report = bench.compare(stored, results, thresholds=thresholds, head_fingerprint=fingerprint)
        flagged = flagged_timings(report)
        if not flagged or stored is None:
            return report
        go_names = sorted({m[1] for c in flagged if (m := GO_BENCHMARK.search(c["benchmark"]))})
        pytest_flagged = any(not GO_BENCHMARK.search(c["benchmark"]) for c in flagged)
        which = "all" if go_names and pytest_flagged else "go" if go_names else "pytest"
        if which != "all" and suite not in ("all", which):
            which = suite
        pattern = f"^({'|'.join(go_names)})$" if go_names else "."
        ctx.logger.info("a second interleaved pass for %d timing(s) the first flagged or found too noisy to judge",
                        len(flagged),
                        extra={"event": "bench.confirming"})
        again_stored, again = measure(which, pattern)
        second = bench.compare(again_stored, again, thresholds=thresholds, head_fingerprint=fingerprint)
        # Pooled: both passes' samples; a stored baseline is the same both times, so it is not doubled.
        pooled_base = again_stored if again_stored is stored else bench.Baseline(
            bench.merge_runs([stored.results, again_stored.results]), stored.fingerprint, stored.label)
        pooled = bench.compare(pooled_base, bench.merge_runs([results, again]), thresholds=thresholds,
                               head_fingerprint=fingerprint)
        return confirm(report, second, pooled)

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
