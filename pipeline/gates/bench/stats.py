"""Is head slower than base? Three conditions, all required, because any one alone false-alarms on shared CI:

1. significance: two-sided Mann-Whitney U test (no normality assumption; robust to outliers), p < alpha;
2. effect size: the ratio of medians head/base is at least ``1 + min_effect`` worse (default 10 %);
3. absolute floor: differences between timings whose medians are both below ``floor_seconds`` per op
   (default 1 µs) are ignored — at that scale timer resolution and CPU frequency dominate.

Fewer than ``min_samples`` (default 10) samples on either side is "insufficient", never a regression.
Allocation units are compared without statistics: ``allocs/op`` exactly (a regression is any increase of
the median), ``B/op`` with a tolerance (an increase of the median by more than ``bytes_tolerance`` of it and
more than ``bytes_floor`` bytes): Go reports B/op as total bytes divided by iterations, so a stray runtime
allocation makes it jitter by a few bytes (0 B -> 1 B, 32768 -> 32770) on identical code.

A timing flagged as a regression is confirmed by a second, independent interleaved pass of just the flagged
benchmarks before the gate fails (see ``pipeline.gates.bench.gate``). Each statistical comparison reports
the noise seen: the base samples' interquartile range relative to their median.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.gates.bench.model import TIME_UNITS, unit_direction, unit_kind


@dataclass(frozen=True)
class Thresholds:
    alpha: float = 0.05
    min_effect: float = 0.10  # 10 %: head/base median ratio of 1.10 (or 1/1.10 for throughput)
    floor_seconds: float = 1e-6  # per op; 0 disables the floor
    min_samples: int = 10
    bytes_tolerance: float = 0.05  # B/op: 5 % of the base median …
    bytes_floor: float = 64.0  # … and at least this many bytes

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, not {self.alpha}")
        if self.min_effect < 0:
            raise ValueError(f"min_effect must be >= 0, not {self.min_effect}")
        if self.floor_seconds < 0:
            raise ValueError(f"floor_seconds must be >= 0, not {self.floor_seconds}")
        if self.min_samples < 2:
            raise ValueError(f"min_samples must be at least 2, not {self.min_samples}")

    def as_dict(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "min_effect": self.min_effect, "floor_seconds": self.floor_seconds,
                "min_samples": self.min_samples, "bytes_tolerance": self.bytes_tolerance,
                "bytes_floor": self.bytes_floor}


DEFAULT_THRESHOLDS = Thresholds()
_EPSILON = 1e-12  # "at least 10 %" must hold for 110/100 despite float rounding


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return 1.0 if numerator == 0 else math.inf
    return numerator / denominator


def noise(samples: Sequence[float]) -> float | None:
    """The interquartile range relative to the median (0.04: the middle half spans 4 % of it)."""
    if len(samples) < 4:
        return None
    quartiles = statistics.quantiles(samples, n=4)
    middle = statistics.median(samples)
    return round((quartiles[2] - quartiles[0]) / middle, 4) if middle else None


def mann_whitney_p(base: Sequence[float], head: Sequence[float]) -> float:
    """Two-sided p-value; 1.0 when undefined (all values equal on both sides)."""
    from scipy.stats import mannwhitneyu  # imported on first use: scipy.stats takes ~1 s to import

    p = float(mannwhitneyu(base, head, alternative="two-sided", method="auto").pvalue)
    return 1.0 if math.isnan(p) else p


def compare_samples(base: Sequence[float], head: Sequence[float], unit: str,
                    thresholds: Thresholds = DEFAULT_THRESHOLDS) -> dict[str, Any]:
    """One benchmark metric, base vs head: the statistics and a status among ``regression``,
    ``improvement``, ``unchanged``, ``insufficient``, ``below_floor`` (both sides need at least one sample)."""
    if not base or not head:
        raise ValueError("compare_samples needs samples on both sides")
    kind, direction = unit_kind(unit), unit_direction(unit)
    median_base, median_head = statistics.median(base), statistics.median(head)
    max_base, max_head = max(base), max(head)
    result: dict[str, Any] = {
        "metric": unit, "kind": kind, "direction": direction, "n_base": len(base), "n_head": len(head),
        "median_base": median_base, "median_head": median_head, "max_base": max_base, "max_head": max_head,
        "ratio": None, "p_value": None, "status": "unchanged",
    }
    if kind == "exact":
        result["ratio"] = median_head / median_base if median_base else None
        margin = (max(median_base * thresholds.bytes_tolerance, thresholds.bytes_floor) if unit == "B/op" else 0.0)
        result["status"] = ("regression" if median_head - median_base > margin else
                            "improvement" if median_base - median_head > margin else "unchanged")
        return result
    result["noise"] = noise(base)
    result["ratio"] = median_head / median_base if median_base else None
    if len(base) < thresholds.min_samples or len(head) < thresholds.min_samples:
        result["status"] = "insufficient"
        return result
    scale = TIME_UNITS.get(unit)
    if scale is not None and max(median_base, median_head) * scale < thresholds.floor_seconds:
        result["status"] = "below_floor"
        return result
    p = mann_whitney_p(base, head)
    result["p_value"] = p
    # how many times worse head is, whatever the direction of the unit
    worse = _ratio(median_head, median_base) if direction == "lower" else _ratio(median_base, median_head)
    effect = 1 + thresholds.min_effect
    if p < thresholds.alpha and worse >= effect * (1 - _EPSILON):
        result["status"] = "regression"
    elif p < thresholds.alpha and worse * effect <= 1 + _EPSILON:
        result["status"] = "improvement"
    return result
