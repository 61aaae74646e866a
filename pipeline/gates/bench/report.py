"""Compare head against a baseline; the report (JSON, ``bench-report.schema.json``) is the source of truth and the
table, markdown and GitHub annotations are renderings of it (with the same renderer as the size gate)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.gates.bench.baseline import Baseline, fingerprint_changes
from pipeline.gates.bench.model import EXACT_UNITS, TIME_UNITS, BenchResults, unit_direction, unit_kind
from pipeline.gates.bench.stats import DEFAULT_THRESHOLDS, Thresholds, compare_samples
from pipeline.gates.common import (
    EXIT_FAILED,
    EXIT_NO_BASELINE,
    EXIT_OK,
    REPORT_VERSION,
    annotation,
    generated_by,
    load_json,
)
from pipeline.gates.render import Column, GateTable, status_label, to_markdown, to_rich

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "bench-report.schema.json"
GATE = "gate:bench"
STATUSES = ("regression", "improvement", "unchanged", "insufficient", "below_floor", "new", "missing")


def _one_sided(name: str, unit: str, samples: list[float], side: str) -> dict[str, Any]:
    present = {"n": len(samples), "median": statistics.median(samples), "max": max(samples)}
    absent = {"n": 0, "median": None, "max": None}
    base, head = (present, absent) if side == "base" else (absent, present)
    return {
        "benchmark": name, "metric": unit, "kind": unit_kind(unit), "direction": unit_direction(unit),
        "n_base": base["n"], "n_head": head["n"], "median_base": base["median"], "median_head": head["median"],
        "max_base": base["max"], "max_head": head["max"], "ratio": None, "p_value": None,
        "status": "missing" if side == "base" else "new",
    }


def compare(baseline: Baseline | None, head: BenchResults, *, thresholds: Thresholds = DEFAULT_THRESHOLDS,
            head_fingerprint: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The bench report. ``baseline`` None (nothing stored yet) lists head's benchmarks as ``new`` and sets
    ``summary.no_baseline`` (exit 4). Different machine fingerprints add a warning, never a failure."""
    comparisons = []
    base_samples = baseline.results.samples if baseline is not None else {}
    for name in sorted(set(base_samples) | set(head.samples)):
        old, new = base_samples.get(name, {}), head.samples.get(name, {})
        for unit in sorted(set(old) | set(new)):
            if unit in old and unit in new:
                comparisons.append({"benchmark": name, **compare_samples(old[unit], new[unit], unit, thresholds)})
            elif unit in new:
                comparisons.append(_one_sided(name, unit, new[unit], "head"))
            else:
                comparisons.append(_one_sided(name, unit, old[unit], "base"))
    counts = {status: sum(c["status"] == status for c in comparisons) for status in STATUSES}

    warnings = []
    changes = []
    if baseline is not None and head_fingerprint is not None:
        changes = fingerprint_changes(baseline.fingerprint, head_fingerprint)
        if changes:
            warnings.append("baseline comes from a different machine (" + "; ".join(changes) + "): timings may "
                            "not be comparable; prefer an interleaved A/B run on one machine")
    if baseline is None:
        warnings.append("no baseline: nothing to compare against (record one, e.g. on the main branch)")
    if counts["insufficient"]:
        warnings.append(f"{counts['insufficient']} comparison(s) with fewer than {thresholds.min_samples} samples "
                        f"per side were not tested: run with -count {thresholds.min_samples} or more")
    missing = sorted({c["benchmark"] for c in comparisons if c["status"] == "missing"})
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        warnings.append(f"in the baseline but not run: {shown}")

    return {
        "version": REPORT_VERSION,
        "generated_by": generated_by(GATE),
        "thresholds": thresholds.as_dict(),
        "baseline": None if baseline is None else {
            "label": baseline.label, "recorded_at": baseline.recorded_at, "fingerprint": dict(baseline.fingerprint)},
        "head": {"fingerprint": None if head_fingerprint is None else dict(head_fingerprint),
                 "context": dict(head.context)},
        "warnings": warnings,
        "comparisons": comparisons,
        "summary": {
            "regressions": counts["regression"], "improvements": counts["improvement"],
            "unchanged": counts["unchanged"], "insufficient": counts["insufficient"],
            "below_floor": counts["below_floor"], "new": counts["new"], "missing": counts["missing"],
            "no_baseline": baseline is None, "fingerprint_mismatch": bool(changes),
        },
    }


def _worse(comparison: Mapping[str, Any]) -> float | None:
    """How many times worse head is than base (whatever the unit's direction), or None."""
    ratio = comparison.get("ratio")
    if not ratio:
        return None
    return ratio if comparison.get("direction", "lower") == "lower" else 1 / ratio


def flagged_timings(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a second pass must look at: the statistical regressions of the first pass, and the timings that
    look as slow as a regression but were not significant (too noisy to tell from ten samples)."""
    effect = 1 + report["thresholds"]["min_effect"]
    found = []
    for c in report["comparisons"]:
        if c["kind"] != "statistical":
            continue
        worse = _worse(c)
        if c["status"] == "regression" or (c["status"] == "unchanged" and worse is not None and worse >= effect):
            found.append(c)
    return found


def confirm(report: dict[str, Any], second: Mapping[str, Any], pooled: Mapping[str, Any]) -> dict[str, Any]:
    """``report`` after a second, independent pass over :func:`flagged_timings` (``second``: its report;
    ``pooled``: both passes' samples together). A timing is a regression when the pooled samples say so and
    the second pass on its own points the same way (at least half the minimum effect): noise that fooled the
    first pass does not repeat, and a real slowdown hidden by a noisy first pass is still found."""
    again = {(c["benchmark"], c["metric"]): c for c in second["comparisons"]}
    together = {(c["benchmark"], c["metric"]): c for c in pooled["comparisons"]}
    half_effect = 1 + report["thresholds"]["min_effect"] / 2
    unconfirmed = 0
    for comparison in flagged_timings(report):
        key = (comparison["benchmark"], comparison["metric"])
        other, both = again.get(key, {}), together.get(key, {})
        comparison["confirmation"] = {"status": other.get("status", "missing"), "ratio": other.get("ratio"),
                                      "p_value": other.get("p_value"), "noise": other.get("noise")}
        worse_again = _worse(other)
        confirmed = (both.get("status") == "regression" and worse_again is not None
                     and worse_again >= half_effect)
        if confirmed:
            if comparison["status"] != "regression":
                comparison["first_pass"] = "unchanged"
            comparison.update(status="regression", p_value=both.get("p_value"), ratio=both.get("ratio"),
                              n_base=both.get("n_base", comparison["n_base"]),
                              n_head=both.get("n_head", comparison["n_head"]))
        elif comparison["status"] == "regression":
            comparison["status"], comparison["first_pass"] = "unchanged", "regression"
            unconfirmed += 1
    summary = report["summary"]
    summary["regressions"] = sum(c["status"] == "regression" for c in report["comparisons"])
    summary["unchanged"] = sum(c["status"] == "unchanged" for c in report["comparisons"])
    summary["unconfirmed"] = unconfirmed
    if unconfirmed:
        report["warnings"].append(f"{unconfirmed} timing(s) flagged by the first pass were not confirmed by a second "
                                  "interleaved pass: noise on this machine, not a regression")
    return report


def exit_code(report: Mapping[str, Any], no_baseline_ok: bool = False) -> int:
    """0 no significant regression; 1 a regression; 4 no baseline (0 with ``no_baseline_ok``, e.g. the first
    run on a new branch). Exit 2 (tool/config error) is the exit code of the GateError raised earlier."""
    summary = report["summary"]
    if summary["regressions"]:
        return EXIT_FAILED
    if summary["no_baseline"] and not no_baseline_ok:
        return EXIT_NO_BASELINE
    return EXIT_OK


def load_report(path: Path | str) -> dict[str, Any]:
    """A bench report written earlier; invalid or missing is a GateError (exit 2)."""
    return load_json(Path(path), SCHEMA, "bench report")


# Rendering ---------------------------------------------------------------------------------------------------

COLUMNS = [Column("benchmark"), Column("metric"), Column("base", numeric=True), Column("head", numeric=True),
           Column("change", numeric=True), Column("p", numeric=True), Column("n", numeric=True)]


def _trim(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}"


def format_seconds(seconds: float) -> str:
    """``1.05e-06`` -> ``1.05 µs``."""
    unit, scale = next(((u, s) for u, s in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)) if abs(seconds) >= s),
                       ("ns", 1e-9))
    return f"{_trim(seconds / scale)} {unit}"


def format_value(value: float | None, unit: str) -> str:
    """A benchmark value for humans: times scaled (``13.5 µs``), ``B/op`` as sizes, counts plain."""
    if value is None:
        return "—"
    if unit in TIME_UNITS:
        return format_seconds(value * TIME_UNITS[unit])
    if unit in EXACT_UNITS:  # exact values, so that a 2-byte change is visible
        text = f"{value:.0f}" if value == int(value) else f"{value:g}"
        return f"{text} B" if unit == "B/op" else text
    return f"{_trim(value, 4)} {unit}"


def _change(comparison: Mapping[str, Any]) -> str:
    """Relative change of medians; for exact units their signed difference (``+2 B``, ``+1``)."""
    if comparison["kind"] == "exact" and comparison["status"] not in ("new", "missing"):
        diff = comparison["median_head"] - comparison["median_base"]
        if diff == 0:
            return "±0"
        text = f"{diff:+.0f}" if diff == int(diff) else f"{diff:+g}"
        return text + (" B" if comparison["metric"] == "B/op" else "")
    ratio = comparison["ratio"]
    if ratio is None:
        if comparison["status"] in ("new", "missing"):
            return "—"
        return "±0%" if comparison["median_head"] == comparison["median_base"] else "from 0"
    change = (ratio - 1) * 100
    return "±0%" if abs(change) < 0.05 else f"{change:+.1f}%"


def bench_table(report: Mapping[str, Any]) -> GateTable:
    """The report as a :class:`GateTable` of medians."""
    summary = report["summary"]
    if summary["no_baseline"]:
        line = f"no baseline: {summary['new']} measurement(s) recorded, nothing compared"
    elif summary["regressions"]:
        line = f"{summary['regressions']} significant regression(s)"
    else:
        line = "no significant regression"
    extras = [f"{summary[k]} {label}" for k, label in (("improvements", "improvement(s)"),
                                                       ("insufficient", "with too few samples"),
                                                       ("below_floor", "below the floor")) if summary[k]]
    if extras and not summary["no_baseline"]:
        line += " (" + ", ".join(extras) + ")"
    table = GateTable("Benchmarks", list(COLUMNS), summary=line,
                      failed=bool(summary["regressions"] or summary["no_baseline"]),
                      warnings=list(report["warnings"]))
    for c in report["comparisons"]:
        base, head = "median_base", "median_head"
        p = "—" if c["p_value"] is None else ("<0.001" if c["p_value"] < 0.001 else f"{c['p_value']:.3f}")
        table.add(c["status"], [c["benchmark"], c["metric"], format_value(c[base], c["metric"]),
                                format_value(c[head], c["metric"]), _change(c), p, f"{c['n_base']}/{c['n_head']}"])
    t = report["thresholds"]
    table.notes.append(
        f"Timings: medians, a regression needs Mann-Whitney p < {t['alpha']:g} and a change of at least "
        f"{t['min_effect'] * 100:g}%, ignored when both medians are under {format_seconds(t['floor_seconds'])}"
        f" per op, needs {t['min_samples']} samples per side, and must be seen again by a second interleaved pass."
        f" B/op: medians, more than {t.get('bytes_tolerance', 0) * 100:g}% and {t.get('bytes_floor', 0):g} B;"
        " allocs/op: medians, exactly.")
    noises = [c["noise"] for c in report["comparisons"] if c.get("noise") is not None]
    if noises:
        table.notes.append(f"Noise seen (interquartile range of the base samples over their median): median "
                           f"{statistics.median(noises) * 100:.1f}%, at most {max(noises) * 100:.1f}%.")
    if report["baseline"] is not None and report["baseline"].get("label"):
        table.notes.append(f"Baseline: {report['baseline']['label']}.")
    return table


def render_table(report: Mapping[str, Any]) -> RenderableType:
    return to_rich(bench_table(report))


def render_markdown(report: Mapping[str, Any]) -> str:
    return to_markdown(bench_table(report))


def github_annotations(report: Mapping[str, Any]) -> list[str]:
    """``::error`` per regression; ``::warning`` per report warning (machine mismatch, no baseline, …)."""
    out = []
    for c in report["comparisons"]:
        if c["status"] != "regression":
            continue
        unit = c["metric"]
        if c["kind"] == "exact":
            detail = (f"{unit} median {format_value(c['median_base'], unit)} -> "
                      f"{format_value(c['median_head'], unit)} (compared exactly)")
        else:
            detail = (f"{unit} median {format_value(c['median_base'], unit)} -> "
                      f"{format_value(c['median_head'], unit)} ({_change(c)}, p={c['p_value']:.2g}, "
                      f"n={c['n_base']}/{c['n_head']})")
        out.append(annotation("error", f"{c['benchmark']}: {detail}",
                              title=f"Benchmark {status_label('regression').lower()}: {json.dumps(c['benchmark'])}"))
    out.extend(annotation("warning", w, title="Benchmark gate") for w in report["warnings"])
    return out
