"""pipeline.gates.bench: baselines with machine fingerprints, interleaved merging, the report and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.gates.bench import (
    BenchResults,
    Thresholds,
    baseline_document,
    baseline_from_runs,
    compare,
    exit_code,
    fingerprint_changes,
    github_annotations,
    load_baseline,
    load_report,
    machine_fingerprint,
    merge_runs,
    record,
    render_markdown,
    render_table,
)
from pipeline.gates.common import EXIT_FAILED, EXIT_NO_BASELINE, EXIT_OK, GateError, dumps, validate

SCHEMA = "bench-report.schema.json"
FP = {"platform": "Linux-6.1-x86_64", "machine": "x86_64", "processor": "AMD EPYC", "cpu_count": 8,
      "python_version": "3.11.7", "go_version": "go1.27.3"}


def results(spec: dict[str, dict[str, list[float]]]) -> BenchResults:
    out = BenchResults()
    for name, units in spec.items():
        for unit, values in units.items():
            for value in values:
                out.add(name, unit, value)
    return out


def ramp(start: float, n: int = 10) -> list[float]:
    return [start + i for i in range(n)]


BASE = results({
    "pkg.BenchmarkFilter": {"ns/op": ramp(100_000), "B/op": [32768] * 10, "allocs/op": [1] * 10},
    "pkg.BenchmarkAdd": {"ns/op": ramp(200), "B/op": [70] * 10, "allocs/op": [0] * 10},
    "pkg.BenchmarkGone": {"ns/op": ramp(5000)},
})
HEAD = results({
    "pkg.BenchmarkFilter": {"ns/op": ramp(125_000), "B/op": [32768] * 10, "allocs/op": [1] * 4 + [2] * 6},
    "pkg.BenchmarkAdd": {"ns/op": ramp(400), "B/op": [70] * 10, "allocs/op": [0] * 10},
    "pkg.BenchmarkNew": {"ns/op": ramp(3000, 3)},
})


def test_record_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baselines" / "bench.json"
    document = record(BASE, path, fingerprint=FP, label="main@abc123")
    assert json.loads(path.read_text(encoding="utf-8")) == document
    assert validate(document, "bench-baseline.schema.json") == []
    assert document["fingerprint"] == FP
    assert document["label"] == "main@abc123"
    assert document["recorded_at"].endswith("Z")
    loaded = load_baseline(path)
    assert loaded is not None
    assert loaded.results.samples == BASE.samples
    assert loaded.fingerprint == FP
    assert (loaded.label, loaded.recorded_at) == ("main@abc123", document["recorded_at"])


def test_record_detects_the_machine_and_takes_the_go_version(tmp_path: Path) -> None:
    document = record(BASE, tmp_path / "b.json", go_version="go1.27.3")
    assert document["fingerprint"]["go_version"] == "go1.27.3"
    assert document["fingerprint"]["cpu_count"] >= 1
    assert set(document["fingerprint"]) == set(FP)


def test_machine_fingerprint_fields() -> None:
    fingerprint = machine_fingerprint("go1.27.3")
    assert list(fingerprint) == ["platform", "machine", "processor", "cpu_count", "python_version", "go_version"]
    assert fingerprint["python_version"].count(".") == 2
    assert machine_fingerprint()["go_version"] is None


def test_baseline_document_is_stable() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    document = baseline_document(BASE, FP, label=None, recorded_at=when)
    assert document["recorded_at"] == "2026-01-02T03:04:05Z"
    assert dumps(document) == dumps(baseline_document(BASE, FP, label=None, recorded_at=when))


def test_recording_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GateError, match="no benchmark results to record"):
        record(BenchResults(), tmp_path / "b.json", fingerprint=FP)


def test_missing_baseline_is_none_and_a_broken_one_is_an_error(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "nothing.json") is None
    path = tmp_path / "b.json"
    path.write_text('{"version": 1, "benchmarks": {}}', encoding="utf-8")
    with pytest.raises(GateError, match="not a valid benchmark baseline") as caught:
        load_baseline(path)
    assert caught.value.exit_code == 2


def test_fingerprint_changes_ignore_unknown_values() -> None:
    assert fingerprint_changes(FP, FP) == []
    assert fingerprint_changes(FP, {**FP, "cpu_count": 4, "go_version": None}) == ["cpu_count: 8 -> 4"]
    assert fingerprint_changes({}, FP) == []


def test_merge_runs_concatenates_in_run_order() -> None:
    first = results({"a": {"ns/op": [1, 2]}, "b": {"B/op": [5]}})
    second = results({"a": {"ns/op": [3], "B/op": [8]}, "c": {"ns/op": [9]}})
    first.context["cpu"] = "X"
    merged = merge_runs([first, second])
    assert merged.samples == {"a": {"ns/op": [1, 2, 3], "B/op": [8]}, "b": {"B/op": [5]}, "c": {"ns/op": [9]}}
    assert merged.context == {"cpu": "X"}
    assert first.samples["a"]["ns/op"] == [1, 2]  # inputs untouched


def test_interleaved_runs_compare_without_a_stored_baseline() -> None:
    base_runs = [results({"x": {"ns/op": ramp(100_000, 5)}}) for _ in range(2)]
    head_runs = [results({"x": {"ns/op": ramp(150_000, 5)}}) for _ in range(2)]
    baseline = baseline_from_runs(base_runs, fingerprint=FP)
    report = compare(baseline, merge_runs(head_runs), head_fingerprint=FP)
    (comparison,) = report["comparisons"]
    assert (comparison["n_base"], comparison["n_head"]) == (10, 10)
    assert comparison["status"] == "regression"
    assert report["baseline"]["label"] == "base (interleaved)"
    assert report["warnings"] == []


def test_compare_statuses_summary_and_exit_code() -> None:
    report = compare(baseline_from_runs([BASE], fingerprint=FP, label="main"), HEAD, head_fingerprint=FP)
    assert validate(report, SCHEMA) == []
    status = {(c["benchmark"], c["metric"]): c["status"] for c in report["comparisons"]}
    assert status == {
        ("pkg.BenchmarkAdd", "B/op"): "unchanged",
        ("pkg.BenchmarkAdd", "allocs/op"): "unchanged",
        ("pkg.BenchmarkAdd", "ns/op"): "below_floor",  # 0.2 µs -> 0.4 µs: under the 1 µs floor
        ("pkg.BenchmarkFilter", "B/op"): "unchanged",
        ("pkg.BenchmarkFilter", "allocs/op"): "regression",  # the median went from 1 to 2 allocs
        ("pkg.BenchmarkFilter", "ns/op"): "regression",
        ("pkg.BenchmarkGone", "ns/op"): "missing",
        ("pkg.BenchmarkNew", "ns/op"): "new",
    }
    assert report["summary"] == {"regressions": 2, "improvements": 0, "unchanged": 3, "insufficient": 0,
                                 "below_floor": 1, "new": 1, "missing": 1, "no_baseline": False,
                                 "fingerprint_mismatch": False}
    assert report["warnings"] == ["in the baseline but not run: pkg.BenchmarkGone"]
    assert exit_code(report) == EXIT_FAILED
    new = next(c for c in report["comparisons"] if c["status"] == "new")
    assert (new["n_base"], new["n_head"], new["median_base"], new["median_head"]) == (0, 3, None, 3001)


def test_a_quiet_run_passes() -> None:
    report = compare(baseline_from_runs([BASE]), BASE)
    assert exit_code(report) == EXIT_OK
    assert report["summary"]["regressions"] == 0


def test_no_baseline_is_exit_4_unless_allowed() -> None:
    report = compare(None, HEAD, head_fingerprint=FP)
    assert validate(report, SCHEMA) == []
    assert report["baseline"] is None
    assert report["summary"]["no_baseline"] is True
    assert {c["status"] for c in report["comparisons"]} == {"new"}
    assert exit_code(report) == EXIT_NO_BASELINE
    assert exit_code(report, no_baseline_ok=True) == EXIT_OK
    assert any("no baseline" in w for w in report["warnings"])


def test_different_machines_warn_but_do_not_fail() -> None:
    report = compare(baseline_from_runs([BASE], fingerprint=FP), BASE, head_fingerprint={**FP, "cpu_count": 2})
    assert report["summary"]["fingerprint_mismatch"] is True
    assert report["warnings"][0].startswith("baseline comes from a different machine (cpu_count: 8 -> 2)")
    assert exit_code(report) == EXIT_OK


def test_insufficient_samples_are_reported_as_a_warning() -> None:
    short = results({"x": {"ns/op": ramp(100_000, 5)}})
    report = compare(baseline_from_runs([short]), results({"x": {"ns/op": ramp(200_000, 5)}}))
    assert report["comparisons"][0]["status"] == "insufficient"
    assert exit_code(report) == EXIT_OK
    assert "fewer than 10 samples per side" in report["warnings"][0]
    custom = compare(baseline_from_runs([short]), results({"x": {"ns/op": ramp(200_000, 5)}}),
                     thresholds=Thresholds(min_samples=5))
    assert custom["comparisons"][0]["status"] == "regression"
    assert custom["thresholds"]["min_samples"] == 5


def test_reports_round_trip(tmp_path: Path) -> None:
    report = compare(baseline_from_runs([BASE], fingerprint=FP), HEAD, head_fingerprint=FP)
    path = tmp_path / "bench-report.json"
    path.write_bytes(dumps(report))
    assert load_report(path) == report


def test_renderings() -> None:
    report = compare(baseline_from_runs([BASE], fingerprint=FP, label="main@abc"), HEAD,
                     head_fingerprint={**FP, "cpu_count": 2})
    md = render_markdown(report)
    assert md.startswith("### Benchmarks\n\n❌ 2 significant regression(s) (1 below the floor)\n")
    assert "> ⚠️ baseline comes from a different machine" in md
    assert "| benchmark | metric | base | head | change | p | n | status |" in md
    assert "| pkg.BenchmarkFilter | ns/op | 100 µs | 125 µs | +25.0% | <0.001 | 10/10 | ❌ REGRESSION |" in md
    assert "| pkg.BenchmarkFilter | allocs/op | 1 | 2 | +1 | — | 10/10 | ❌ REGRESSION |" in md
    assert "| pkg.BenchmarkFilter | B/op | 32768 B | 32768 B | ±0 | — | 10/10 | ✅ unchanged |" in md
    assert "| pkg.BenchmarkAdd | ns/op | 204 ns | 404 ns | +97.8% | — | 10/10 | 💤 below floor |" in md
    assert "| pkg.BenchmarkNew | ns/op | — | 3 µs | — | — | 0/3 | 🆕 new |" in md
    assert "Baseline: main@abc." in md
    console = Console(width=200, record=True, color_system=None)
    console.print(render_table(report))
    text = console.export_text()
    assert "REGRESSION" in text and "pkg.BenchmarkFilter" in text and "warning: baseline comes" in text

    lines = github_annotations(report)
    assert lines[0].startswith('::error title=Benchmark regression%3A "pkg.BenchmarkFilter"::pkg.BenchmarkFilter: '
                               "allocs/op median 1 -> 2 (compared exactly)")
    assert lines[1].startswith('::error title=Benchmark regression%3A "pkg.BenchmarkFilter"::pkg.BenchmarkFilter: '
                               "ns/op median 100 µs -> 125 µs (+25.0%25, p=")
    assert lines[2].startswith("::warning title=Benchmark gate::baseline comes from a different machine")
    assert len(lines) == 4  # + the missing benchmark warning


def test_no_baseline_rendering() -> None:
    md = render_markdown(compare(None, HEAD))
    assert "❌ no baseline: 7 measurement(s) recorded, nothing compared" in md


def test_a_flagged_timing_must_be_confirmed_by_a_second_pass() -> None:
    from pipeline.gates.bench import BenchResults, baseline_from_runs, compare
    from pipeline.gates.bench.report import confirm, flagged_timings

    def results(samples: dict[str, list[float]]) -> BenchResults:
        out = BenchResults()
        for name, values in samples.items():
            for value in values:
                out.add(name, "ns/op", value)
        return out

    steady = [1000.0 + i for i in range(12)]
    slow = [1300.0 + i for i in range(12)]
    base = baseline_from_runs([results({"x.BenchmarkA": steady, "x.BenchmarkB": steady})])
    first = compare(base, results({"x.BenchmarkA": slow, "x.BenchmarkB": slow}))
    assert {c["benchmark"] for c in flagged_timings(first)} == {"x.BenchmarkA", "x.BenchmarkB"}
    # The second pass sees A slow again, but B back to normal (the first was noise).
    second_base = baseline_from_runs([results({"x.BenchmarkA": steady, "x.BenchmarkB": steady})])
    second_head = results({"x.BenchmarkA": slow, "x.BenchmarkB": steady})
    second = compare(second_base, second_head)
    pooled = compare(baseline_from_runs([base.results, second_base.results]),
                     baseline_from_runs([results({"x.BenchmarkA": slow, "x.BenchmarkB": slow}), second_head]).results)
    report = confirm(first, second, pooled)
    by_name = {c["benchmark"]: c for c in report["comparisons"]}
    assert by_name["x.BenchmarkA"]["status"] == "regression"
    assert by_name["x.BenchmarkA"]["confirmation"]["status"] == "regression"
    assert by_name["x.BenchmarkB"]["status"] == "unchanged" and by_name["x.BenchmarkB"]["first_pass"] == "regression"
    assert report["summary"]["regressions"] == 1 and report["summary"]["unconfirmed"] == 1
    assert any("not confirmed by a second" in w for w in report["warnings"])
    assert validate(report, SCHEMA) == []  # the report schema knows the confirmation fields


def test_a_slowdown_a_noisy_first_pass_could_not_prove_is_found_by_the_pooled_passes() -> None:
    from pipeline.gates.bench import BenchResults, baseline_from_runs, compare
    from pipeline.gates.bench.report import confirm, flagged_timings

    def results(values: list[float]) -> BenchResults:
        out = BenchResults()
        for value in values:
            out.add("x.BenchmarkA", "ns/op", value)
        return out

    noisy_base = results([500, 1500, 600, 1400, 700, 1300, 800, 1200, 900, 1000])  # median 950
    noisy_head = results([600, 1700, 700, 1600, 800, 1500, 900, 1400, 1000, 1100])  # 10.5 % slower, p = 0.40
    first = compare(baseline_from_runs([noisy_base]), noisy_head)
    (candidate,) = flagged_timings(first)
    assert candidate["status"] == "unchanged"  # too noisy to tell, but slow enough to look again
    calm_base, calm_head = results([1000.0 + i for i in range(10)]), results([1250.0 + i for i in range(10)])
    second = compare(baseline_from_runs([calm_base]), calm_head)
    pooled = compare(baseline_from_runs([noisy_base, calm_base]), baseline_from_runs([noisy_head, calm_head]).results)
    report = confirm(first, second, pooled)
    (comparison,) = report["comparisons"]
    assert comparison["status"] == "regression" and comparison["first_pass"] == "unchanged"
    assert comparison["n_base"] == 20 and comparison["p_value"] < 0.05
