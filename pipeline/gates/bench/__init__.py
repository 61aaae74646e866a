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

from pipeline.core.lazy import lazy_exports

# Each name from its submodule, imported on first use (the gate's task creation needs none of them).
_EXPORTS = {
    "Baseline": "baseline",
    "BenchResults": "model",
    "DEFAULT_THRESHOLDS": "stats",
    "Thresholds": "stats",
    "baseline_document": "baseline",
    "baseline_from_runs": "baseline",
    "bench_table": "report",
    "compare": "report",
    "compare_samples": "stats",
    "exit_code": "report",
    "fingerprint_changes": "baseline",
    "github_annotations": "report",
    "load_baseline": "baseline",
    "load_report": "report",
    "load_results": "parse",
    "machine_fingerprint": "baseline",
    "mann_whitney_p": "stats",
    "merge_runs": "model",
    "parse_go_bench": "parse",
    "parse_pytest_benchmark": "parse",
    "parse_results": "parse",
    "record": "baseline",
    "render_markdown": "report",
    "render_table": "report",
    "unit_direction": "model",
    "unit_kind": "model",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
