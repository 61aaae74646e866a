"""The benchmark gate: parse benchmark output, compare head against a baseline without false alarms.

Typical use (what ``doit gate:bench`` wires)::

    head = load_results("bench-head.txt")                       # go test -bench text or pytest-benchmark JSON
    baseline = load_baseline("bench-baseline.json")             # None when absent -> exit 4
    report = compare(baseline, head, thresholds=Thresholds(), head_fingerprint=machine_fingerprint("go1.27.3"))
    code = exit_code(report, no_baseline_ok=False)              # 0 ok, 1 regression, 4 no baseline
    record(head, "bench-baseline.json", go_version="go1.27.3")  # on the main branch

Interleaved A/B on one machine: run base and head alternately, then
``compare(baseline_from_runs(base_runs, fingerprint=fp), merge_runs(head_runs), head_fingerprint=fp)``.
"""

from pipeline.gates.bench.baseline import (
    Baseline,
    baseline_document,
    baseline_from_runs,
    fingerprint_changes,
    load_baseline,
    machine_fingerprint,
    record,
)
from pipeline.gates.bench.model import BenchResults, merge_runs, unit_direction, unit_kind
from pipeline.gates.bench.parse import load_results, parse_go_bench, parse_pytest_benchmark, parse_results
from pipeline.gates.bench.report import (
    bench_table,
    compare,
    exit_code,
    github_annotations,
    load_report,
    render_markdown,
    render_table,
)
from pipeline.gates.bench.stats import DEFAULT_THRESHOLDS, Thresholds, compare_samples, mann_whitney_p

__all__ = [
    "DEFAULT_THRESHOLDS", "Baseline", "BenchResults", "Thresholds", "baseline_document", "baseline_from_runs",
    "bench_table", "compare", "compare_samples", "exit_code", "fingerprint_changes", "github_annotations",
    "load_baseline", "load_report", "load_results", "machine_fingerprint", "mann_whitney_p", "merge_runs",
    "parse_go_bench", "parse_pytest_benchmark", "parse_results", "record", "render_markdown", "render_table",
    "unit_direction", "unit_kind",
]
