"""How often does ``gate:bench`` cry wolf, and how often does it catch a real slowdown?

    python benchmarks/aa_false_alarms.py --runs 50 --slowdown-runs 20

A throw-away app (a git repository in a temporary folder) holds one Go benchmark doing a fixed amount of
work. Each A/A run compares the committed revision with an identical working tree
(``doit gate:bench --base HEAD --suite go``): any failure is a false alarm. Each slowdown run makes the
working tree do 20 % more work per op: a pass is a miss. The goal (docs/gates.md): at most 2 % false
alarms, at least 95 % of slowdowns caught. Prints one line per run and a JSON summary at the end.

Not collected by pytest (its name does not start with ``test_``); it takes minutes, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORK = 200_000  # loop iterations per op: a few hundred microseconds, well above the gate's floor

BENCH = """package work

import "testing"

var sink uint64

func spin(n int) uint64 {
	var x uint64 = 88172645463325252
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func BenchmarkWork(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += spin(%d)
	}
}
"""


def make_app(root: Path) -> Path:
    app = root / "app"
    (app / "web").mkdir(parents=True)
    (app / "work").mkdir()
    (app / "go.mod").write_text("module example.com/aa\n\ngo 1.21\n", encoding="utf-8")
    (app / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    (app / "work" / "work_test.go").write_text(BENCH % WORK, encoding="utf-8")
    (app / "web" / "index.html").write_text("<!doctype html><title>aa</title><body></body>", encoding="utf-8")
    (app / "vango.json").write_text(json.dumps({"name": "aa"}), encoding="utf-8")
    (app / "dodo.py").write_text("from pipeline.dodo import *  # noqa: F403\n", encoding="utf-8")
    for command in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=aa", "-c", "user.email=aa@example.com", "commit", "-qm", "base"]):
        subprocess.run(command, cwd=app, check=True)
    return app


def gate(app: Path, count: int, benchtime: str) -> tuple[int, dict]:
    env = {**os.environ, "VANGO_LOG_FORMAT": "json"}
    proc = subprocess.run([sys.executable, "-m", "doit", "gate:bench", "--base", "HEAD", "--suite", "go",
                           "--count", str(count), "--benchtime", benchtime], cwd=app, env=env,
                          capture_output=True, text=True, timeout=1800)
    try:
        report = json.loads((app / "build" / "reports" / "bench.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gate:bench exited with {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.returncode, report


def ratio_of(report: dict) -> str:
    timing = next((c for c in report.get("comparisons", []) if c.get("metric") == "ns/op"), {})
    ratio, noise = timing.get("ratio"), timing.get("noise")
    first = f" (first pass: {timing['first_pass']})" if timing.get("first_pass") else ""
    return (f"ratio {ratio:.3f}" if ratio else "ratio ?") + (f", noise {noise * 100:.1f}%" if noise else "") + first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="A/A runs (identical code)")
    parser.add_argument("--slowdown-runs", type=int, default=20, help="runs with 20 %% more work per op")
    parser.add_argument("--count", type=int, default=10, help="samples per side (gate:bench --count)")
    parser.add_argument("--benchtime", default="100ms")
    parser.add_argument("--json", metavar="FILE", help="also write the summary here")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="vango-aa-"))
    started = time.monotonic()
    try:
        app = make_app(root)
        alarms = 0
        unconfirmed = 0
        for i in range(args.runs):
            code, report = gate(app, args.count, args.benchtime)
            alarms += code == 1
            unconfirmed += int(report.get("summary", {}).get("unconfirmed") or 0)
            print(f"A/A {i + 1}/{args.runs}: {'FALSE ALARM' if code else 'pass'}, {ratio_of(report)}", flush=True)
        (app / "work" / "work_test.go").write_text(BENCH % int(WORK * 1.2), encoding="utf-8")
        caught = 0
        for i in range(args.slowdown_runs):
            code, report = gate(app, args.count, args.benchtime)
            caught += code == 1
            print(f"+20% {i + 1}/{args.slowdown_runs}: {'caught' if code else 'MISSED'}, {ratio_of(report)}",
                  flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    summary = {
        "aa_runs": args.runs, "false_alarms": alarms,
        "false_alarm_rate": round(alarms / args.runs, 4) if args.runs else None,
        "first_pass_flags_not_confirmed": unconfirmed,
        "slowdown_runs": args.slowdown_runs, "caught": caught,
        "detection_rate": round(caught / args.slowdown_runs, 4) if args.slowdown_runs else None,
        "count": args.count, "benchtime": args.benchtime, "minutes": round((time.monotonic() - started) / 60, 1),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    ok = (summary["false_alarm_rate"] or 0) <= 0.02 and (summary["detection_rate"] or 1) >= 0.95
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
