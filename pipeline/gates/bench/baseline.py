"""Stored baselines: benchmark samples plus the fingerprint of the machine that produced them.

A stored baseline is only comparable when it comes from the same kind of machine; :func:`fingerprint_changes`
lists what differs so the report can warn. The better mode is interleaved A/B on one machine (base and head
built side by side, run alternately, samples merged per side with :func:`~pipeline.gates.bench.model.merge_runs`);
then the baseline is built in memory with :func:`baseline_from_runs` and nothing is stored.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.core.fs import write_atomic
from pipeline.gates.bench.model import BenchResults, merge_runs
from pipeline.gates.common import REPORT_VERSION, GateError, dumps, generated_by, load_json

SCHEMA = "bench-baseline.schema.json"
GATE = "gate:bench"
FINGERPRINT_KEYS = ("platform", "machine", "processor", "cpu_count", "python_version", "go_version")


@dataclass
class Baseline:
    results: BenchResults
    fingerprint: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    recorded_at: str | None = None  # ISO 8601, UTC


def _cpu_model() -> str:
    """platform.processor() is often empty on Linux; /proc/cpuinfo names the CPU model there."""
    name = platform.processor()
    if name and name != platform.machine():
        return name
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "cpu model"):
                    return value.strip()
    except OSError:
        pass
    return name


def machine_fingerprint(go_version: str | None = None) -> dict[str, Any]:
    """What makes timings comparable: OS and kernel, architecture, CPU model and count, Python and Go
    versions (``go_version`` as reported by the toolchain that built the benchmarks, e.g. ``go1.27.3``)."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python_version": platform.python_version(),
        "go_version": go_version,
    }


def fingerprint_changes(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[str]:
    """``"cpu_count: 8 -> 4"`` lines for every key known on both sides that differs."""
    changes = []
    for key in FINGERPRINT_KEYS:
        old, new = base.get(key), head.get(key)
        if old is not None and new is not None and old != new:
            changes.append(f"{key}: {old} -> {new}")
    return changes


def baseline_document(results: BenchResults, fingerprint: Mapping[str, Any], *, label: str | None = None,
                      recorded_at: datetime | None = None) -> dict[str, Any]:
    """The JSON a baseline file holds (``bench-baseline.schema.json``)."""
    when = (recorded_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return {
        "version": REPORT_VERSION,
        "generated_by": generated_by(GATE),
        "recorded_at": when.isoformat().replace("+00:00", "Z"),
        "label": label,
        "fingerprint": {key: fingerprint.get(key) for key in FINGERPRINT_KEYS},
        **results.to_json(),
    }


def record(results: BenchResults, path: Path | str, *, go_version: str | None = None, label: str | None = None,
           fingerprint: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Store ``results`` as the baseline at ``path`` (atomically) with this machine's fingerprint; returns
    the document written. ``fingerprint`` overrides the detected one (tests, or a fingerprint taken earlier)."""
    if not results.samples:
        raise GateError("no benchmark results to record", path=path)
    document = baseline_document(results, fingerprint or machine_fingerprint(go_version), label=label)
    write_atomic(Path(path), dumps(document))
    return document


def load_baseline(path: Path | str) -> Baseline | None:
    """The baseline stored at ``path``; None when there is no such file (exit 4 territory, not an error).
    A file that exists but is invalid is a GateError (exit 2)."""
    path = Path(path)
    if not path.exists():
        return None
    data = load_json(path, SCHEMA, "benchmark baseline")
    return Baseline(BenchResults.from_json(data), dict(data["fingerprint"]), data.get("label"), data["recorded_at"])


def baseline_from_runs(runs: Iterable[BenchResults], *, fingerprint: Mapping[str, Any] | None = None,
                       label: str | None = "base (interleaved)") -> Baseline:
    """An in-memory baseline from the base side's runs of an interleaved A/B session (same machine)."""
    return Baseline(merge_runs(runs), dict(fingerprint or {}), label, None)
