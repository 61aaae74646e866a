"""``doit gate:size`` and ``doit gate:bench`` from the command line: verdicts, exit codes, reports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from support import REPO, run_pipeline

from pipeline.gates.common import schema

pytestmark = pytest.mark.e2e


@pytest.fixture
def project(app: Path, shared_cache: Path) -> Path:
    """The example app with the repository's budgets, built once."""
    shutil.copy(REPO / "budgets.toml", app / "budgets.toml")
    (app / "dodo.py").write_text("from pipeline.dodo import *  # noqa: F403\n")
    assert doit(app, "release", cache=shared_cache).returncode == 0
    return app


def doit(folder: Path, *args: str, cache: Path | None = None, env: dict | None = None):
    extra = {"VANGO_CACHE_DIR": str(cache)} if cache else {}
    return run_pipeline(["doit", *args], folder, {**extra, **(env or {})})


def report(folder: Path, name: str) -> dict:
    data = json.loads((folder / "build" / "reports" / f"{name}.json").read_text())
    Draft202012Validator(schema(f"{name}-report.schema.json")).validate(data)
    return data


def test_size_gate_passes_on_the_example(project: Path):
    run = doit(project, "gate:size")
    assert run.returncode == 0, run.stderr
    data = report(project, "size")
    assert data["summary"]["failed"] == 0 and data["summary"]["passed"] >= 10
    wasm = next(b for b in data["budgets"] if b["name"] == "wasm")
    assert wasm["checks"][0]["metric"] == "brotli" and wasm["checks"][0]["limit"] == 800_000
    assert "wasm" in run.stdout and "pass" in run.stdout


def test_a_tightened_budget_fails_with_exit_1_and_a_readable_table(project: Path):
    budgets = project / "budgets.toml"
    budgets.write_text(budgets.read_text().replace('brotli = "800 kB"', 'brotli = "300 kB"'))
    run = doit(project, "gate:size")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    row = next(line for line in run.stdout.splitlines() if line.startswith("│ wasm"))
    assert "300 kB" in row and "FAIL" in row.upper()
    failed = [e for e in run.events if e.get("event") == "task.failed"]
    assert failed[0]["task"] == "gate:size" and "1 budget(s) exceeded" in failed[0]["error"]
    assert report(project, "size")["summary"]["failed"] == 1


def test_bad_budgets_toml_is_exit_2_naming_the_line(project: Path):
    budgets = project / "budgets.toml"
    text = budgets.read_text().replace('brotli = "6 kB"', 'brotli = "6 kb"')
    budgets.write_text(text)
    line = text.splitlines().index('brotli = "6 kb"') + 1
    run = doit(project, "gate:size")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    failed = next(e for e in run.events if e.get("event") == "task.failed")
    assert failed["error"].startswith(f'budgets.toml:{line}: budget "go runtime": unknown unit "kb"')


def test_a_budget_matching_nothing_is_exit_3_unless_allowed(project: Path):
    budgets = project / "budgets.toml"
    budgets.write_text(budgets.read_text() + '\n[[budget]]\nname = "ghost"\npath = "nothing/*.js"\nraw = "1 kB"\n')
    assert doit(project, "gate:size").returncode == 3
    assert doit(project, "gate:size", "--allow-unmatched").returncode == 0


def test_baseline_deltas_max_increase_and_github_outputs(project: Path, tmp_path: Path, shared_cache: Path):
    budgets = project / "budgets.toml"
    budgets.write_text(budgets.read_text() + '\n[[budget]]\nname = "css growth"\npath = "css/app.css"\n'
                       'raw = "100 kB"\nmax_increase = "5%"\n')
    assert doit(project, "gate:size").returncode == 0
    baseline = tmp_path / "base-size.json"
    shutil.copy(project / "build" / "reports" / "size.json", baseline)
    css = project / "web" / "css" / "app.css"
    css.write_text(css.read_text() + "".join(f"\n.grow-{i} {{ margin: {i}px; }}" for i in range(40)))
    summary = tmp_path / "summary.md"
    run = doit(project, "gate:size", "--baseline", str(baseline), cache=shared_cache,
               env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)})
    assert run.returncode == 1, run.stderr
    growth = next(b for b in report(project, "size")["budgets"] if b["name"] == "css growth")
    assert growth["status"] == "fail"
    markdown = summary.read_text()
    assert "css growth" in markdown and "|" in markdown
    assert any(line.startswith("::error") and "css growth" in line for line in run.stdout.splitlines())


def test_bench_gate_without_a_baseline_is_exit_4_unless_allowed(project: Path, tmp_path: Path):
    args = ["gate:bench", "--suite", "go", "--count", "1", "--benchtime", "1x",
            "--baseline", str(tmp_path / "none.json")]
    run = doit(project, *args)
    assert run.returncode == 4, run.stderr
    assert "no baseline" in run.stderr
    passed = doit(project, *args, "--no-baseline-ok", env={"VANGO_LOG_LEVEL": "DEBUG"})
    assert passed.returncode == 0
    assert report(project, "bench")["summary"]["no_baseline"] is True
    # The Go benchmarks ran in a span of their own, inside the gate's evaluation span.
    finished = {e["span_id"]: e for e in passed.events if e.get("event") == "span.finished"}
    (go_test,) = [e for e in finished.values() if e["name"] == "go.test"]
    assert finished[go_test["parent_id"]]["name"] == "gate.evaluate"
    assert go_test["attributes"]["vango.bench.suite"] == "head" and go_test["attributes"]["process.exit_code"] == 0


SLOWDOWN = """func (l *List) Filter(f Filter) []Item {
\tfor i := 0; i < 40; i++ { // injected slowdown
\t\topen, _ := l.Counts()
\t\tslowSink += open
\t}
"""


def test_an_injected_go_slowdown_fails_gate_bench_base(tmp_path: Path):
    """A/B mode: the committed revision is the base, the working tree (slower Filter) the head."""
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    todo = clone / "examples" / "todo" / "internal" / "todo" / "todo.go"
    text = todo.read_text()
    assert "func (l *List) Filter(f Filter) []Item {\n" in text
    todo.write_text(text.replace("func (l *List) Filter(f Filter) []Item {\n", SLOWDOWN) + "\nvar slowSink int\n")
    run = doit(clone, "gate:bench", "--base", "HEAD", "--suite", "go", "--count", "10", "--benchtime", "2000x")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    data = report(clone, "bench")
    regressed = {c["benchmark"].rsplit(".", 1)[-1] for c in data["comparisons"] if c["status"] == "regression"}
    assert any(name.startswith("BenchmarkFilter") for name in regressed), regressed
    assert "BenchmarkAdd" not in regressed and "BenchmarkToggle" not in regressed
    assert data["baseline"]["label"] == "base HEAD"
    listed = subprocess.run(["git", "worktree", "list"], cwd=clone, capture_output=True, text=True).stdout
    assert len(listed.strip().splitlines()) == 1  # the temporary worktree is gone


def test_why_lists_the_go_packages_that_make_the_wasm_big(project: Path):
    run = doit(project, "gate:size", "--why")
    assert run.returncode == 0, run.stderr
    tables = run.stdout[run.stdout.index("package"):]
    rows = [line for line in tables.splitlines() if line.startswith("│ ")]
    packages = [row.split("│")[1].strip() for row in rows]
    assert packages[0] == "runtime"  # the Go runtime dominates every Go wasm
    assert "main" in packages and "syscall/js" in packages
    assert "example.com/vango/todo/internal/todo" in packages
    assert (project / "build" / "wasm" / "app.names.wasm").stat().st_size > \
        (project / "build" / "wasm" / "app.wasm").stat().st_size  # unstripped: it kept the name section
