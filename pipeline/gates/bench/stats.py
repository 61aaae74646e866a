"""Is head slower than base? Three conditions, all required, because any one alone false-alarms on shared CI:

1. significance: two-sided Mann-Whitney U test (no normality assumption; robust to outliers), p < alpha;
2. effect size: the ratio of medians head/base is at least ``1 + min_effect`` worse (default 10 %);
3. absolute floor: differences between timings whose medians are both below ``floor_seconds`` per op
   (default 1 µs) are ignored — at that scale timer resolution and CPU frequency dominate.

Fewer than ``min_samples`` (default 10) samples on either side is "insufficient", never a regression.
Allocation units (``B/op``, ``allocs/op``) are compared exactly instead, without statistics: a regression
is any increase of the median. (Not the maximum: Go reports B/op as total bytes divided by iterations, so
a stray runtime allocation makes single samples jitter by a few bytes, e.g. 32768 vs 32770.)
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
                "min_samples": self.min_samples}


DEFAULT_THRESHOLDS = Thresholds()
_EPSILON = 1e-12  # "at least 10 %" must hold for 110/100 despite float rounding


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return 1.0 if numerator == 0 else math.inf
    return numerator / denominator


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
        result["status"] = ("regression" if median_head > median_base else
                            "improvement" if median_head < median_base else "unchanged")
        return result
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
