"""The size gate: budgets over logical asset names, measured on a built dist/ (see docs in budgets.py).

Typical use (what ``doit gate:size`` wires)::

    config = load_budgets("budgets.toml")                       # ConfigError (exit 2) on any problem
    files = measure_dist("dist")                                # GateError (exit 2) if dist/ is unusable
    baseline = load_report("size-baseline.json")                # optional, GateError if invalid
    report = evaluate(config, files, baseline, baseline_label="main")
    code = exit_code(report)                                    # 0 ok, 1 exceeded, 3 unmatched
"""

from pipeline.core.lazy import lazy_exports

# Each name from its submodule, imported on first use (the gate's task creation needs none of them).
_EXPORTS = {
    "Budget": "budgets",
    "BudgetConfig": "budgets",
    "CodeShare": "wasm",
    "FileSize": "measure",
    "code_size": "wasm",
    "evaluate": "report",
    "exit_code": "report",
    "format_delta": "units",
    "format_percent": "units",
    "format_size": "units",
    "github_annotations": "report",
    "largest": "wasm",
    "largest_table": "wasm",
    "load_budgets": "budgets",
    "load_report": "report",
    "measure_bytes": "measure",
    "measure_dist": "measure",
    "package_of": "wasm",
    "parse_budgets": "budgets",
    "parse_module": "wasm",
    "parse_percent": "units",
    "parse_size": "units",
    "render_markdown": "report",
    "render_table": "report",
    "size_table": "report",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
