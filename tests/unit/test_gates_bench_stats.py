"""pipeline.gates.bench.stats: the regression rule, and its error rates on seeded synthetic benchmarks.

Noise model: benchmark timings are positive and right-skewed, and CI noise is multiplicative, so samples are
lognormal around a median of 50 µs/op: ``median * exp(N(0, sigma))``; sigma 0.05 (≈ ±5 % run to run) is a
quiet dedicated runner, 0.10 a noisy shared one. Some tests also add outliers (10 % of samples slowed 1.5-3x,
as from a neighbour stealing the CPU).
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.gates.bench.stats import DEFAULT_THRESHOLDS, Thresholds, compare_samples, mann_whitney_p

TRIALS = 200
MEDIAN_NS = 50_000.0


def samples(rng: np.random.Generator, n: int, *, factor: float = 1.0, sigma: float = 0.05,
            outliers: float = 0.0) -> list[float]:
    values = MEDIAN_NS * factor * rng.lognormal(0.0, sigma, n)
    if outliers:
        hit = rng.random(n) < outliers
        values[hit] *= rng.uniform(1.5, 3.0, hit.sum())
    return values.tolist()


def flagged(rng: np.random.Generator, trials: int, *, factor: float, n: int = 10, sigma: float = 0.05,
            outliers: float = 0.0, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> float:
    """Fraction of trials reported as a regression."""
    hits = 0
    for _ in range(trials):
        base = samples(rng, n, sigma=sigma, outliers=outliers)
        head = samples(rng, n, factor=factor, sigma=sigma, outliers=outliers)
        hits += compare_samples(base, head, "ns/op", thresholds)["status"] == "regression"
    return hits / trials


def test_identical_distributions_are_rarely_flagged() -> None:
    assert flagged(np.random.default_rng(20240601), TRIALS, factor=1.0) <= 0.05


def test_a_20_percent_slowdown_with_10_samples_is_almost_always_flagged() -> None:
    assert flagged(np.random.default_rng(20240602), TRIALS, factor=1.2) >= 0.95


def test_the_significance_test_alone_is_calibrated() -> None:
    """Without the effect-size guard, false alarms come from the U test alone: two-sided rejections of
    identical distributions must stay near alpha (binomial slack: 200 trials)."""
    rng = np.random.default_rng(20240603)
    rejections = sum(mann_whitney_p(samples(rng, 10), samples(rng, 10)) < 0.05 for _ in range(TRIALS))
    assert rejections / TRIALS <= 0.08
    assert flagged(np.random.default_rng(20240604), TRIALS, factor=1.0, thresholds=Thresholds(min_effect=0)) <= 0.05


def test_outliers_do_not_cause_false_alarms() -> None:
    assert flagged(np.random.default_rng(20240605), TRIALS, factor=1.0, sigma=0.10, outliers=0.10) <= 0.05


def test_power_on_noisier_runners() -> None:
    """sigma 0.10: still most 20 % slowdowns at n=10, nearly all at n=20."""
    assert flagged(np.random.default_rng(20240606), TRIALS, factor=1.2, sigma=0.10) >= 0.85
    assert flagged(np.random.default_rng(20240607), TRIALS, factor=1.2, sigma=0.10, n=20) >= 0.95


def test_slowdowns_smaller_than_the_minimum_effect_are_not_flagged() -> None:
    # a real 5 % slowdown is usually significant at n=30, but below the 10 % minimum effect
    assert flagged(np.random.default_rng(20240608), TRIALS, factor=1.05, n=30, sigma=0.02) == 0.0


def test_statuses() -> None:
    base = [100_000.0 + i for i in range(10)]
    slower = [120_000.0 + i for i in range(10)]
    result = compare_samples(base, slower, "ns/op")
    assert result["status"] == "regression"
    assert result["kind"] == "statistical" and result["direction"] == "lower"
    assert result["ratio"] == pytest.approx(1.2, rel=1e-4)
    assert result["p_value"] < 0.001
    assert (result["n_base"], result["n_head"]) == (10, 10)
    assert result["median_base"] == 100_004.5 and result["max_head"] == 120_009.0
    assert compare_samples(slower, base, "ns/op")["status"] == "improvement"
    assert compare_samples(base, base, "ns/op")["status"] == "unchanged"
    assert compare_samples(base, base, "ns/op")["p_value"] == pytest.approx(1.0)


def test_exactly_the_minimum_effect_counts() -> None:
    base = [100.0 * 1000 + i for i in range(10)]
    assert compare_samples(base, [v * 1.10 for v in base], "ns/op")["status"] == "regression"
    assert compare_samples(base, [v * 1.09 for v in base], "ns/op")["status"] == "unchanged"


def test_fewer_than_ten_samples_is_insufficient_not_a_regression() -> None:
    result = compare_samples([1e5] * 9, [2e5] * 10, "ns/op")
    assert result["status"] == "insufficient"
    assert result["p_value"] is None
    assert compare_samples([1e5] * 5, [2e5] * 5, "ns/op", Thresholds(min_samples=5))["status"] == "regression"


def test_the_absolute_floor() -> None:
    base = [500.0 + i for i in range(10)]  # 0.5 µs/op
    slower = [900.0 + i for i in range(10)]
    assert compare_samples(base, slower, "ns/op")["status"] == "below_floor"
    assert compare_samples(base, slower, "ns/op", Thresholds(floor_seconds=0))["status"] == "regression"
    # one side above the floor: judged
    assert compare_samples(base, [1500.0 + i for i in range(10)], "ns/op")["status"] == "regression"
    # the floor is per op in seconds, whatever the time unit
    assert compare_samples([5e-7] * 10, [9e-7] * 10, "s/op")["status"] == "below_floor"
    # and does not apply to other units
    assert compare_samples([1.0 + i / 100 for i in range(10)], [2.0 + i / 100 for i in range(10)],
                           "items/op")["status"] == "regression"


def test_throughput_is_better_when_higher() -> None:
    base = [500.0 + i for i in range(10)]
    result = compare_samples(base, [400.0 + i for i in range(10)], "MB/s")
    assert result["direction"] == "higher"
    assert result["status"] == "regression"
    assert compare_samples(base, [600.0 + i for i in range(10)], "MB/s")["status"] == "improvement"


@pytest.mark.parametrize(("base", "head", "status"), [
    ([1, 1, 1], [1, 2, 2], "regression"),  # any increase of the median
    ([1, 1, 1], [1, 1, 2], "unchanged"),  # one jittery sample is not a regression
    ([32768, 32768, 32770], [32768, 32770, 32770], "regression"),
    ([32768, 32770, 32770], [32768, 32768, 32770], "improvement"),
    ([0], [0], "unchanged"),
    ([0], [1], "regression"),
    ([102], [102, 102, 102], "unchanged"),
])
def test_allocation_counts_are_compared_exactly_by_median(base: list[int], head: list[int], status: str) -> None:
    result = compare_samples(base, head, "allocs/op")
    assert result["kind"] == "exact" and result["status"] == status and result["p_value"] is None


@pytest.mark.parametrize(("base", "head", "status"), [
    ([0], [1], "unchanged"),  # the A/A false alarm seen on identical code: 0 B -> 1 B
    ([32768, 32768, 32770], [32768, 32770, 32770], "unchanged"),  # a few bytes of runtime jitter
    ([1000], [1064], "unchanged"),  # within 64 B
    ([1000], [1065], "regression"),
    ([100_000], [104_000], "unchanged"),  # within 5 %
    ([100_000], [106_000], "regression"),
    ([100_000], [90_000], "improvement"),
    ([0], [128], "regression"),
])
def test_bytes_per_op_are_compared_with_a_tolerance(base: list[int], head: list[int], status: str) -> None:
    result = compare_samples(base, head, "B/op")
    assert result["kind"] == "exact" and result["status"] == status


def test_statistical_comparisons_report_the_noise_seen() -> None:
    base = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0]
    result = compare_samples(base, base, "ns/op")
    assert result["noise"] == pytest.approx(0.0526, abs=1e-3)  # IQR 5.5 (101.75..107.25) over the median 104.5


def test_thresholds_are_validated() -> None:
    for bad in ({"alpha": 0}, {"alpha": 1.5}, {"min_effect": -0.1}, {"floor_seconds": -1}, {"min_samples": 1}):
        with pytest.raises(ValueError):
            Thresholds(**bad)
    assert Thresholds().as_dict() == {"alpha": 0.05, "min_effect": 0.1, "floor_seconds": 1e-6, "min_samples": 10,
                                      "bytes_tolerance": 0.05, "bytes_floor": 64.0}


def test_both_sides_need_samples() -> None:
    with pytest.raises(ValueError):
        compare_samples([], [1.0], "ns/op")
