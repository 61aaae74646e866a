"""Judge measured sizes against budgets; the report (JSON, ``size-report.schema.json``) is the source of truth
and the table, markdown and GitHub annotations are renderings of it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.gates.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNMATCHED,
    REPORT_VERSION,
    annotation,
    generated_by,
    load_json,
)
from pipeline.gates.render import Column, GateTable, to_markdown, to_rich
from pipeline.gates.size.budgets import Budget, BudgetConfig
from pipeline.gates.size.measure import FileSize
from pipeline.gates.size.patterns import matches
from pipeline.gates.size.units import format_delta, format_percent, format_size

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "size-report.schema.json"
GATE = "gate:size"


def evaluate(config: BudgetConfig, files: Sequence[FileSize], baseline: Mapping[str, Any] | None = None, *,
             baseline_label: str | None = None) -> dict[str, Any]:
    """The size report: every budget's checks, every file's sizes, files no budget covers, a summary.

    ``baseline`` is an earlier size report (e.g. from the main branch, see :func:`load_report`); deltas and
    ``max_increase`` use its ``files`` sizes, matched by logical name with the *current* globs, so renaming
    a budget does not lose its history.
    """
    base_sizes = {f["name"]: f for f in baseline["files"]} if baseline is not None else None
    tracked: dict[str, list[str]] = {f.name: [] for f in files}
    results = []
    for budget in config.budgets:
        matched = [f for f in files if matches(budget.path, f.name)]
        for f in matched:
            tracked[f.name].append(budget.name)
        results.append(_judge(budget, matched, base_sizes))
    summary = {
        "passed": sum(r["status"] == "pass" for r in results),
        "failed": sum(r["status"] == "fail" for r in results),
        "unmatched": sum(r["status"] == "unmatched" for r in results),
        "untracked": sum(not names for names in tracked.values()),
        "checks": sum(len(r["checks"]) for r in results),
        "failed_checks": sum(c["status"] == "fail" for r in results for c in r["checks"]),
    }
    return {
        "version": REPORT_VERSION,
        "generated_by": generated_by(GATE),
        "budgets_file": config.path,
        "settings": {"fail_on_unmatched": config.fail_on_unmatched},
        "baseline": None if baseline is None else {"label": baseline_label},
        "budgets": results,
        "files": [
            {"name": f.name, "path": f.path, "raw": f.raw, "gzip": f.gzip, "brotli": f.brotli,
             "sources": dict(f.sources), "budgets": tracked[f.name]}
            for f in files
        ],
        "untracked": [name for name, names in tracked.items() if not names],
        "summary": summary,
    }


def _judge(budget: Budget, matched: list[FileSize], base: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    checks = []
    if budget.per == "total" and matched:
        for metric, limit in budget.limits.items():
            actual = sum(f.size(metric) for f in matched)
            previous = None
            if base is not None:
                old = [entry[metric] for name, entry in base.items() if matches(budget.path, name)]
                previous = sum(old) if old else None
            checks.append(_check(budget, metric, None, limit, actual, previous))
    elif budget.per == "file":
        for f in matched:
            for metric, limit in budget.limits.items():
                previous = base[f.name][metric] if base is not None and f.name in base else None
                checks.append(_check(budget, metric, f.name, limit, f.size(metric), previous))
    failed = any(c["status"] == "fail" for c in checks)
    status = "unmatched" if not matched else "fail" if failed else "pass"
    return {
        "name": budget.name,
        "path": budget.path,
        "per": budget.per,
        "line": budget.line,
        "limits": {m: {"bytes": budget.limits[m], "text": budget.limit_texts[m]} for m in budget.limits},
        "max_increase": budget.max_increase_text,
        "matched": [f.name for f in matched],
        "status": status,
        "checks": checks,
    }


def _check(budget: Budget, metric: str, file: str | None, limit: int, actual: int,
           previous: int | None) -> dict[str, Any]:
    reasons = []
    if actual > limit:
        reasons.append("limit")
    increase_limit = None
    if budget.max_increase is not None and previous is not None:
        # actual is a whole number, so "actual > previous * (1 + p)" is "actual > floor(previous * (1 + p))"
        increase_limit = math.floor(previous * (1 + budget.max_increase))
        if actual > increase_limit:
            reasons.append("max_increase")
    return {
        "metric": metric,
        "file": file,
        "limit": limit,
        "limit_text": budget.limit_texts[metric],
        "actual": actual,
        "headroom": limit - actual,
        "baseline": previous,
        "delta": None if previous is None else actual - previous,
        "increase_limit": increase_limit,
        "status": "fail" if reasons else "pass",
        "reasons": reasons,
    }


def exit_code(report: Mapping[str, Any], fail_on_unmatched: bool | None = None) -> int:
    """0 all budgets hold; 1 a budget is exceeded; 3 a budget matched nothing (unless ``fail_on_unmatched``
    is false; None takes the ``[settings]`` value recorded in the report). Exceeded wins over unmatched."""
    if fail_on_unmatched is None:
        fail_on_unmatched = report["settings"]["fail_on_unmatched"]
    summary = report["summary"]
    if summary["failed"]:
        return EXIT_FAILED
    if summary["unmatched"] and fail_on_unmatched:
        return EXIT_UNMATCHED
    return EXIT_OK


def load_report(path: Path | str) -> dict[str, Any]:
    """A size report written earlier (the baseline); invalid or missing is a GateError (exit 2)."""
    return load_json(Path(path), SCHEMA, "size report")


# Rendering ---------------------------------------------------------------------------------------------------

COLUMNS = [Column("budget"), Column("metric"), Column("limit", numeric=True), Column("actual", numeric=True),
           Column("headroom", numeric=True), Column("delta vs baseline", numeric=True)]


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _binary(text: str) -> bool:
    return text.rstrip().endswith("iB")


def _label(budget: Mapping[str, Any], check: Mapping[str, Any]) -> str:
    file = check["file"]
    return budget["name"] if file is None or file == budget["name"] else f"{budget['name']} ({file})"


def _delta_cell(budget: Mapping[str, Any], check: Mapping[str, Any]) -> str:
    if check["delta"] is None:
        return "—"
    binary = _binary(check["limit_text"])
    text = format_delta(check["delta"], binary=binary)
    if check["baseline"]:
        text += f" ({format_percent(Fraction(check['delta'], check['baseline']), signed=True)})"
    if "max_increase" in check["reasons"]:
        text += f" > max +{budget['max_increase'].strip().rstrip('%').strip()}%"
    return text


def _headroom_cell(check: Mapping[str, Any]) -> str:
    binary = _binary(check["limit_text"])
    text = format_size(check["headroom"], binary=binary)
    if check["limit"]:
        text += f" ({format_percent(Fraction(check['headroom'], check['limit']))})"
    return text


def size_table(report: Mapping[str, Any]) -> GateTable:
    """The report as a :class:`GateTable` (the one model behind the terminal table and the markdown)."""
    summary = report["summary"]
    fail_unmatched = report["settings"]["fail_on_unmatched"]
    total = len(report["budgets"])
    parts = [f"{summary['failed']} of {total} budgets exceeded" if summary["failed"]
             else f"{summary['passed']} of {total} budgets within limits"]
    if summary["unmatched"]:
        parts.append(f"{summary['unmatched']} matched no file")
    table = GateTable("Size budgets", list(COLUMNS), summary=", ".join(parts),
                      failed=bool(summary["failed"] or (summary["unmatched"] and fail_unmatched)))
    for budget in report["budgets"]:
        if budget["status"] == "unmatched":
            limits = ", ".join(f"{m} {v['text']}" for m, v in budget["limits"].items())
            table.add("unmatched", [budget["name"], "—", limits, f"no file matches {budget['path']}", "—", "—"])
            continue
        for check in budget["checks"]:
            binary = _binary(check["limit_text"])
            table.add(check["status"], [
                _label(budget, check), check["metric"], check["limit_text"],
                format_size(check["actual"], binary=binary), _headroom_cell(check), _delta_cell(budget, check),
            ])
    if report["baseline"] is None:
        table.notes.append("No baseline report: deltas not shown, max_increase not checked.")
    elif report["baseline"].get("label"):
        table.notes.append(f"Baseline: {report['baseline']['label']}.")
    computed = sorted({f["name"] for f in report["files"] for s in f["sources"].values() if s == "computed"})
    tracked_computed = [n for n in computed if n not in report["untracked"]]
    if tracked_computed:
        table.notes.append("No precompressed file for " + ", ".join(tracked_computed)
                           + ": their gzip/brotli sizes were computed (gzip -9, brotli -q 11).")
    if report["untracked"]:
        by_name = {f["name"]: f for f in report["files"]}
        lines = [f"{name}: {format_size(by_name[name]['raw'])} raw, {format_size(by_name[name]['gzip'])} gzip, "
                 f"{format_size(by_name[name]['brotli'])} brotli" for name in report["untracked"]]
        table.details.append((f"{len(lines)} file(s) not covered by any budget", lines))
    return table


def render_table(report: Mapping[str, Any]) -> RenderableType:
    """For a terminal: ``rich.console.Console().print(render_table(report))``."""
    return to_rich(size_table(report))


def render_markdown(report: Mapping[str, Any]) -> str:
    """For ``$GITHUB_STEP_SUMMARY`` (append) or a PR comment."""
    return to_markdown(size_table(report))


def github_annotations(report: Mapping[str, Any]) -> list[str]:
    """``::error``/``::warning`` workflow commands for failed checks and unmatched budgets, pointing at the
    budget's line in ``budgets_file`` (pass a repository-relative path to the loader for links to work)."""
    out = []
    source = report.get("budgets_file")
    unmatched_level = "error" if report["settings"]["fail_on_unmatched"] else "warning"
    for budget in report["budgets"]:
        title = f"Size budget {_q(budget['name'])}"
        where = {"file": source, "line": budget["line"]}
        if budget["status"] == "unmatched":
            out.append(annotation(unmatched_level, f"path {_q(budget['path'])} matches no file in dist/",
                                  title=f"{title} matched nothing", **where))
            continue
        for check in budget["checks"]:
            if check["status"] != "fail":
                continue
            binary = _binary(check["limit_text"])
            subject = f"{check['file'] or 'total of ' + budget['path']}: {check['metric']}"
            if "limit" in check["reasons"]:
                over = format_size(-check["headroom"], binary=binary)
                out.append(annotation("error", f"{subject} {format_size(check['actual'], binary=binary)} is over "
                                      f"the limit of {check['limit_text']} by {over}",
                                      title=f"{title} exceeded", **where))
            if "max_increase" in check["reasons"]:
                growth = (format_percent(Fraction(check["delta"], check["baseline"]), signed=True)
                          if check["baseline"] else f"by {format_size(check['delta'], binary=binary)}")
                out.append(annotation("error", f"{subject} grew {growth} over the baseline "
                                      f"({format_size(check['baseline'], binary=binary)} -> "
                                      f"{format_size(check['actual'], binary=binary)}), more than max_increase = "
                                      f"{budget['max_increase']}", title=f"{title} grew too much", **where))
    return out
