"""Benchmark results: benchmark name -> unit -> samples, the shape every parser produces and the gate compares.

Units follow Go's benchmark format: ``ns/op``, ``B/op``, ``allocs/op``, ``MB/s`` and any custom unit reported
with ``b.ReportMetric``; pytest-benchmark rounds become ``s/op`` (one sample per round: the round's time divided
by its iterations). How a unit is compared:

- time per op (``ns/op``, ``s/op``, …): statistically, lower is better, subject to the absolute floor;
- ``B/op``, ``allocs/op``: exactly (no statistics), lower is better;
- throughput (any unit ending in ``/s``, e.g. ``MB/s``): statistically, higher is better;
- any other custom unit: statistically, lower is better.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TIME_UNITS: dict[str, float] = {"ns/op": 1e-9, "us/op": 1e-6, "µs/op": 1e-6, "ms/op": 1e-3, "s/op": 1.0,
                                "sec/op": 1.0}  # unit -> seconds
EXACT_UNITS = frozenset({"B/op", "allocs/op"})


def unit_kind(unit: str) -> str:
    """``"exact"`` for allocation counts and bytes, ``"statistical"`` for everything else."""
    return "exact" if unit in EXACT_UNITS else "statistical"


def unit_direction(unit: str) -> str:
    """Which way is better: ``"higher"`` for rates (``MB/s``), ``"lower"`` otherwise."""
    return "higher" if unit.endswith("/s") else "lower"


@dataclass
class BenchResults:
    """Samples per benchmark and unit, plus what the tool said about the run (``goos``, ``cpu``, …)."""

    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, unit: str, value: float) -> None:
        self.samples.setdefault(name, {}).setdefault(unit, []).append(float(value))

    def extend(self, other: BenchResults) -> None:
        """Append ``other``'s samples to these (same benchmark and unit: one longer sample list)."""
        for name, units in other.samples.items():
            for unit, values in units.items():
                self.samples.setdefault(name, {}).setdefault(unit, []).extend(values)
        for key, value in other.context.items():
            self.context.setdefault(key, value)

    def names(self) -> list[str]:
        return sorted(self.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def to_json(self) -> dict[str, Any]:
        return {"benchmarks": {name: {unit: list(values) for unit, values in sorted(units.items())}
                               for name, units in sorted(self.samples.items())},
                "context": dict(sorted(self.context.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BenchResults:
        return cls({name: {unit: [float(v) for v in values] for unit, values in units.items()}
                    for name, units in data["benchmarks"].items()}, dict(data.get("context", {})))


def merge_runs(runs: Iterable[BenchResults]) -> BenchResults:
    """One result set from several runs of the same side, e.g. the base runs of an interleaved A/B session
    (``base, head, base, head, …``): samples of each benchmark and unit are concatenated in run order."""
    merged = BenchResults()
    for run in runs:
        merged.extend(run)
    return merged
