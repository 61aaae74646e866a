"""Readers for benchmark output: Go's ``go test -bench`` text and pytest-benchmark's JSON.

Go (format: https://go.googlesource.com/proposal/+/master/design/14313-benchmark-format.md)::

    pkg: example.com/vango/todo/internal/todo
    BenchmarkFilter/all-8     2000     13477 ns/op     32768 B/op     1 allocs/op

gives ``example.com/vango/todo/internal/todo.BenchmarkFilter/all`` with one sample per unit per line
(``-count N`` gives N lines). The ``-8`` GOMAXPROCS suffix is dropped, like benchstat does; when one run
has the same benchmark at several GOMAXPROCS values (``-cpu 1,2,4``) the suffix is kept so they stay apart.

pytest-benchmark (``--benchmark-json``, or ``--benchmark-save`` with ``--benchmark-save-data``): each round
is one ``s/op`` sample; the raw ``stats.data`` timings are required — summary statistics cannot be tested.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from pipeline.core.inputs import read_text
from pipeline.gates.bench.model import BenchResults
from pipeline.gates.common import GateError

_CONFIG = re.compile(r"^([a-z][^\s:]*):\s*(.*?)\s*$")
_RESULT = re.compile(r"^(Benchmark[^\s]*)\s+(\d+)\s+(.*?)\s*$")
_PROCS = re.compile(r"^(.*)-(\d+)$")
_FAILURE = re.compile(r"^(?:--- FAIL: |FAIL(?:\s|$)|panic: |fatal error: )")


def parse_go_bench(text: str, source: str | Path = "go test output") -> BenchResults:
    """Samples from ``go test -run '^$' -bench . -benchmem -count N`` output (several packages allowed)."""
    results = BenchResults({}, {"tool": "go test"})
    rows: list[tuple[str, str, int, list[tuple[str, float]]]] = []  # (package, name, procs, [(unit, value)])
    package = ""
    for number, line in enumerate(text.splitlines(), 1):
        if _FAILURE.match(line):
            raise GateError(f"benchmarks failed: {line.strip()[:120]}", path=source, location=number)
        config = _CONFIG.match(line)
        if config:
            key, value = config[1], config[2]
            if key == "pkg":
                package = value
            elif key in ("goos", "goarch", "cpu"):
                results.context.setdefault(key, value)
            continue
        found = _RESULT.match(line)
        if not found:
            continue  # PASS, ok lines, b.Log output
        fields = found[3].split()
        if len(fields) % 2:
            raise GateError(f"cannot read benchmark line (value without unit): {line.strip()[:120]}", path=source,
                            location=number)
        values = []
        for value, unit in zip(fields[::2], fields[1::2], strict=True):
            try:
                number_value = float(value)
            except ValueError:
                raise GateError(f"cannot read benchmark line ({value!r} is not a number): {line.strip()[:120]}",
                                path=source, location=number) from None
            if not math.isfinite(number_value):
                raise GateError(f"benchmark value {value!r} is not finite", path=source, location=number)
            values.append((unit, number_value))
        name, procs = found[1], 1
        suffix = _PROCS.match(name)
        if suffix:
            name, procs = suffix[1], int(suffix[2])
        rows.append((package, name, procs, values))
    if not rows:
        raise GateError("no benchmark results (expected lines like 'BenchmarkX-8  1000  1234 ns/op')", path=source)
    procs_seen: dict[tuple[str, str], set[int]] = {}
    for package, name, procs, _ in rows:
        procs_seen.setdefault((package, name), set()).add(procs)
    for package, name, procs, values in rows:
        qualified = f"{package}.{name}" if package else name
        if len(procs_seen[(package, name)]) > 1:
            qualified = f"{qualified}-{procs}"
        for unit, value in values:
            results.add(qualified, unit, value)
    return results


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def parse_pytest_benchmark(text: str, source: str | Path = "benchmark JSON") -> BenchResults:
    """Samples from pytest-benchmark's JSON; every benchmark needs its raw timings (``stats.data``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GateError(f"invalid JSON: {exc.msg}", path=source, location=f"{exc.lineno}:{exc.colno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise GateError("not pytest-benchmark JSON (no \"benchmarks\" list)", path=source)
    results = BenchResults({}, {"tool": "pytest-benchmark"})
    machine = data.get("machine_info") if isinstance(data.get("machine_info"), dict) else {}
    cpu = machine.get("cpu") if isinstance(machine.get("cpu"), dict) else {}
    if isinstance(cpu.get("brand_raw"), str):
        results.context["cpu"] = cpu["brand_raw"]
    if isinstance(machine.get("python_version"), str):
        results.context["python"] = machine["python_version"]
    for index, bench in enumerate(data["benchmarks"]):
        name = (bench.get("fullname") or bench.get("name")) if isinstance(bench, dict) else None
        if not isinstance(name, str) or not name:
            raise GateError(f"benchmark #{index + 1} has no name", path=source)
        where = _line_of(text, json.dumps(name))
        stats = bench.get("stats")
        samples = stats.get("data") if isinstance(stats, dict) else None
        if not samples:
            raise GateError(f"benchmark {name!r} has no raw timings (stats.data): run pytest with --benchmark-json, "
                            "or --benchmark-save together with --benchmark-save-data", path=source, location=where)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
                   for v in samples):
            raise GateError(f"benchmark {name!r}: stats.data must be non-negative numbers", path=source,
                            location=where)
        if name in results.samples:
            raise GateError(f"benchmark {name!r} appears twice", path=source, location=where)
        for value in samples:
            results.add(name, "s/op", value)
    if not results.samples:
        raise GateError("no benchmarks in the JSON", path=source)
    return results


def parse_results(text: str, source: str | Path = "benchmark output") -> BenchResults:
    """Either format, told apart by content: JSON (pytest-benchmark) or text (go test)."""
    if text.lstrip().startswith("{"):
        return parse_pytest_benchmark(text, source)
    return parse_go_bench(text, source)


def load_results(path: Path | str) -> BenchResults:
    """:func:`parse_results` of a file; unreadable is a GateError (exit 2)."""
    path = Path(path)
    return parse_results(read_text(path, error=GateError, missing="benchmark output not found"), path)
