"""The size gate: budgets over logical asset names, measured on a built dist/ (see docs in budgets.py).

Typical use (what ``doit gate:size`` wires)::

    config = load_budgets("budgets.toml")                       # ConfigError (exit 2) on any problem
    files = measure_dist("dist")                                # GateError (exit 2) if dist/ is unusable
    baseline = load_report("size-baseline.json")                # optional, GateError if invalid
    report = evaluate(config, files, baseline, baseline_label="main")
    code = exit_code(report)                                    # 0 ok, 1 exceeded, 3 unmatched
"""

from pipeline.gates.size.budgets import Budget, BudgetConfig, load_budgets, parse_budgets
from pipeline.gates.size.measure import FileSize, measure_bytes, measure_dist
from pipeline.gates.size.report import (
    evaluate,
    exit_code,
    github_annotations,
    load_report,
    render_markdown,
    render_table,
    size_table,
)
from pipeline.gates.size.units import format_delta, format_percent, format_size, parse_percent, parse_size
from pipeline.gates.size.wasm import CodeShare, code_size, largest, largest_table, package_of, parse_module

__all__ = [
    "Budget", "BudgetConfig", "CodeShare", "FileSize", "code_size", "evaluate", "exit_code", "format_delta",
    "format_percent", "format_size", "github_annotations", "largest", "largest_table", "load_budgets",
    "load_report", "measure_bytes", "measure_dist", "package_of", "parse_budgets", "parse_module",
    "parse_percent", "parse_size", "render_markdown", "render_table", "size_table",
]
