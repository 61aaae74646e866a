"""pipeline.gates.bench.parse: go test -bench output and pytest-benchmark JSON into samples."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import EXAMPLE, IGNORED

from pipeline.gates.bench import BenchResults, load_results, parse_go_bench, parse_pytest_benchmark, parse_results
from pipeline.gates.common import GateError

# Real output of `go test -run '^$' -bench . -benchmem -count 2 ./...` on the example (trimmed), plus a second
# package, to show names are qualified by package.
GO_OUTPUT = """\
?   \texample.com/vango/todo\t[no test files]
goos: linux
goarch: amd64
pkg: example.com/vango/todo/internal/todo
cpu: AMD EPYC
BenchmarkAdd-8              \t    2000\t       102.3 ns/op\t      70 B/op\t       0 allocs/op
BenchmarkAdd-8              \t    2000\t       103.1 ns/op\t      70 B/op\t       0 allocs/op
BenchmarkFilter/all-8       \t    2000\t     13477 ns/op\t   32768 B/op\t       1 allocs/op
BenchmarkFilter/all-8       \t    2000\t     15832 ns/op\t   32770 B/op\t       1 allocs/op
BenchmarkFilter/active-8    \t    2000\t     10326 ns/op\t   21760 B/op\t       1 allocs/op
BenchmarkMarshal-8          \t    2000\t     98632 ns/op\t 551.46 MB/s\t   57346 B/op\t       1 allocs/op
PASS
ok  \texample.com/vango/todo/internal/todo\t1.151s
goos: linux
goarch: amd64
pkg: example.com/vango/todo/internal/codec
cpu: AMD EPYC
BenchmarkAdd-8              \t    5000\t       20.5 ns/op\t       3.000 items/op
PASS
ok  \texample.com/vango/todo/internal/codec\t0.2s
"""

TODO = "example.com/vango/todo/internal/todo"


def test_go_output_becomes_samples_per_benchmark_and_unit() -> None:
    results = parse_go_bench(GO_OUTPUT)
    assert results.names() == [
        "example.com/vango/todo/internal/codec.BenchmarkAdd",
        f"{TODO}.BenchmarkAdd",
        f"{TODO}.BenchmarkFilter/active",
        f"{TODO}.BenchmarkFilter/all",
        f"{TODO}.BenchmarkMarshal",
    ]
    assert results.samples[f"{TODO}.BenchmarkAdd"] == {"ns/op": [102.3, 103.1], "B/op": [70.0, 70.0],
                                                       "allocs/op": [0.0, 0.0]}
    assert results.samples[f"{TODO}.BenchmarkFilter/all"]["B/op"] == [32768.0, 32770.0]
    assert results.samples[f"{TODO}.BenchmarkMarshal"]["MB/s"] == [551.46]
    assert results.samples["example.com/vango/todo/internal/codec.BenchmarkAdd"] == {"ns/op": [20.5],
                                                                                    "items/op": [3.0]}
    assert results.context == {"tool": "go test", "goos": "linux", "goarch": "amd64", "cpu": "AMD EPYC"}


def test_without_pkg_lines_names_are_unqualified() -> None:
    results = parse_go_bench("BenchmarkX-4   100   5 ns/op\nBenchmarkX-4   100   6 ns/op\n")
    assert results.samples == {"BenchmarkX": {"ns/op": [5.0, 6.0]}}


def test_several_gomaxprocs_values_keep_their_suffix() -> None:
    # real `-cpu 1,2` output: GOMAXPROCS=1 has no suffix at all
    text = ("pkg: p\nBenchmarkAdd   \t 100\t 246.8 ns/op\nBenchmarkAdd-2 \t 100\t 189.3 ns/op\n"
            "BenchmarkFilter/all-2 \t 100\t 10588 ns/op\n")
    assert parse_go_bench(text).names() == ["p.BenchmarkAdd-1", "p.BenchmarkAdd-2", "p.BenchmarkFilter/all"]


def test_log_output_and_summary_lines_are_skipped() -> None:
    text = ("BenchmarkLog-8\n--- BENCH: BenchmarkLog-8\n    x_test.go:12: hello\n"
            "BenchmarkLog-8   1000   7 ns/op\nPASS\nok  \tp\t0.1s\n")
    assert parse_go_bench(text).samples == {"BenchmarkLog": {"ns/op": [7.0]}}


@pytest.mark.parametrize(("text", "message", "line"), [
    ("pkg: p\n--- FAIL: BenchmarkX-8\n", "benchmarks failed: --- FAIL: BenchmarkX-8", 2),
    ("BenchmarkX-8 10 5 ns/op\nFAIL\tp\t0.1s\n", "benchmarks failed: FAIL", 2),
    ("panic: boom\n", "benchmarks failed: panic: boom", 1),
    ("BenchmarkX-8  10  5 ns/op  7\n", "cannot read benchmark line (value without unit)", 1),
    ("\nBenchmarkX-8  10  fast ns/op\n", "cannot read benchmark line ('fast' is not a number)", 2),
])
def test_go_failures_are_tool_errors_with_a_line(text: str, message: str, line: int) -> None:
    with pytest.raises(GateError) as caught:
        parse_go_bench(text, "bench.txt")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"bench.txt:{line}: {message}")


def test_no_results_is_an_error() -> None:
    with pytest.raises(GateError, match="no benchmark results"):
        parse_go_bench("PASS\nok  \tp\t0.1s\n", "bench.txt")


def _pytest_json(benchmarks: list[dict]) -> str:
    return json.dumps({"machine_info": {"python_version": "3.11.7", "cpu": {"brand_raw": "AMD EPYC"}},
                       "commit_info": {}, "benchmarks": benchmarks, "datetime": "2026-01-01T00:00:00",
                       "version": "5.3.1"}, indent=4)


def _bench(fullname: str, data: list[float] | None) -> dict:
    stats = {"min": 1.0, "max": 2.0, "mean": 1.5, "rounds": 3, "iterations": 10}
    if data is not None:
        stats["data"] = data
    return {"group": None, "name": fullname.split("::")[-1], "fullname": fullname, "params": None, "stats": stats}


def test_pytest_benchmark_rounds_become_seconds_per_op() -> None:
    text = _pytest_json([_bench("tests/test_a.py::test_x", [1e-6, 2e-6, 3e-6]),
                         _bench("tests/test_a.py::test_y[10]", [0.5])])
    results = parse_pytest_benchmark(text)
    assert results.samples == {"tests/test_a.py::test_x": {"s/op": [1e-6, 2e-6, 3e-6]},
                               "tests/test_a.py::test_y[10]": {"s/op": [0.5]}}
    assert results.context == {"tool": "pytest-benchmark", "python": "3.11.7", "cpu": "AMD EPYC"}


def test_pytest_benchmark_without_raw_data_is_refused_with_the_line() -> None:
    text = _pytest_json([_bench("tests/test_a.py::test_x", [1e-6]), _bench("tests/test_a.py::test_y", None)])
    with pytest.raises(GateError) as caught:
        parse_pytest_benchmark(text, "bench.json")
    line = text.splitlines().index(next(x for x in text.splitlines() if '"tests/test_a.py::test_y"' in x)) + 1
    assert str(caught.value).startswith(f"bench.json:{line}: benchmark 'tests/test_a.py::test_y' has no raw timings")
    assert "--benchmark-save-data" in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    ("{", "invalid JSON"),
    ('{"benchmarks": 3}', 'no "benchmarks" list'),
    (_pytest_json([]), "no benchmarks"),
    (_pytest_json([{"stats": {"data": [1.0]}}]), "benchmark #1 has no name"),
    (_pytest_json([_bench("a", [1.0]), _bench("a", [2.0])]), "appears twice"),
    (_pytest_json([_bench("a", [1.0, "x"])]), "non-negative numbers"),
])
def test_malformed_pytest_json(text: str, message: str) -> None:
    with pytest.raises(GateError, match=message):
        parse_pytest_benchmark(text, "bench.json")


def test_parse_results_tells_the_formats_apart(tmp_path: Path) -> None:
    assert isinstance(parse_results(GO_OUTPUT), BenchResults)
    assert parse_results("\n  " + _pytest_json([_bench("a", [1.0])])).context["tool"] == "pytest-benchmark"
    path = tmp_path / "bench.txt"
    path.write_text(GO_OUTPUT, encoding="utf-8")
    assert load_results(path).names() == parse_go_bench(GO_OUTPUT).names()
    with pytest.raises(GateError, match="not found"):
        load_results(tmp_path / "missing.txt")


def test_real_pytest_benchmark_output(tmp_path: Path) -> None:
    (tmp_path / "test_speed.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('n', [10, 100])\n"
        "def test_sum(benchmark, n):\n    benchmark(sum, range(n))\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "test_speed.py",
         "--benchmark-json=out.json", "--benchmark-min-rounds=12", "--benchmark-max-time=0.01",
         "--benchmark-save=nodata", f"--benchmark-storage=file://{tmp_path / 'store'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = load_results(tmp_path / "out.json")
    assert results.names() == ["test_speed.py::test_sum[100]", "test_speed.py::test_sum[10]"]
    for units in results.samples.values():
        assert list(units) == ["s/op"]
        assert len(units["s/op"]) >= 12
        assert all(0 < v < 0.01 for v in units["s/op"])
    saved = next((tmp_path / "store").rglob("*nodata.json"))  # --benchmark-save without --benchmark-save-data
    with pytest.raises(GateError, match="has no raw timings"):
        load_results(saved)


@pytest.mark.e2e
def test_real_go_benchmark_output(tmp_path: Path) -> None:
    from pipeline.wasm.toolchain import find_toolchain

    toolchain = find_toolchain()
    app = tmp_path / "todo"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    proc = subprocess.run([str(toolchain.go), "test", "-run", "^$", "-bench", "Add|Filter", "-benchmem", "-count",
                           "3", "-benchtime", "50x", "-cpu", "1,2", "./..."], cwd=app, env=toolchain.env(wasm=False),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = parse_go_bench(proc.stdout, "go test")
    prefix = "example.com/vango/todo/internal/todo."
    assert f"{prefix}BenchmarkAdd-1" in results.samples
    assert f"{prefix}BenchmarkAdd-2" in results.samples
    assert f"{prefix}BenchmarkFilter/all-2" in results.samples
    for units in results.samples.values():
        assert set(units) == {"ns/op", "B/op", "allocs/op"}
        assert all(len(values) == 3 for values in units.values())
