"""The task list remembered in ``build/plan.json``: a no-op run takes its tasks from there and loads nothing of
the pipeline; anything the list follows from (vango.json, the web folder's listing, the environment, the
pipeline's code) sends the next run through a full load, and an edit the plan cannot see (a stylesheet's
bytes) is caught by doit's own check of the remembered tasks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support import aged, run_pipeline

DEBUG = {"VANGO_LOG_LEVEL": "DEBUG"}


def events(run) -> list[str]:
    return [e.get("event") for e in run.events]


def remembered(app: Path, vango) -> None:
    """Build, age the app, and build again, twice: the first runs ``go list`` (the Go files' ctimes changed,
    and a load that ran a program is not remembered), the second's load is remembered."""
    assert vango(app).returncode == 0
    aged(app)
    for _ in range(2):
        run = vango(app)
        assert run.returncode == 0, run.stderr
    assert (app / "build" / "plan.json").is_file()


def test_a_noop_takes_its_tasks_from_the_plan_and_loads_nothing_of_the_pipeline(app: Path, vango, shared_cache: Path):
    remembered(app, vango)
    full = vango(app, env=DEBUG)  # the run after the one that remembered: a no-op from the plan
    assert full.returncode == 0 and full.executed() == set()
    assert "plan.remembered" in events(full)
    tasks = [(e["event"], e["task"]) for e in full.events if e.get("event", "").startswith("task.")]

    (app / "build" / "plan.json").unlink()
    loaded = vango(app, env=DEBUG)  # the same no-op, loaded in full
    assert loaded.returncode == 0 and "plan.remembered" not in events(loaded)
    assert [(e["event"], e["task"]) for e in loaded.events if e.get("event", "").startswith("task.")] == tasks

    metrics = app / "build" / "reports" / "metrics.prom"
    before = metrics.read_text(encoding="utf-8")
    probe = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)},
                         python_flags=["-X", "importtime"])
    assert probe.returncode == 0, probe.stderr
    imported = imports_of(probe)
    assert "pipeline.engine.plan" in imported
    assert not imported & {"pipeline.config.model", "pipeline.engine.registry", "pipeline.addons.manager",
                           "pipeline.steps.css", "pluggy", "tomllib", "prometheus_client"}
    after = metrics.read_text(encoding="utf-8")
    assert after != before and 'app="Vango Todo"' in after and "vango_build_tasks{status=\"uptodate\"} 13.0" in after


def test_an_edit_of_a_file_the_load_never_reads_is_built_through_the_plan(app: Path, vango):
    remembered(app, vango)
    stylesheet = next((app / "web").rglob("*.css"))
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n.planned { margin: 7px; }\n", encoding="utf-8")
    run = vango(app, env=DEBUG)
    assert run.returncode == 0, run.stderr
    # The plan stands (the stylesheet's bytes are doit's business): doit finds css stale, and its remembered
    # task loads the pipeline and runs the real one, then those downstream of it.
    assert "plan.remembered" in events(run) and {"css", "release"} <= run.executed()
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))
    served = app / "dist" / manifest["assets"][stylesheet.relative_to(app / "web").as_posix()]["path"]
    assert "7px" in served.read_text(encoding="utf-8")

    again = vango(app, env=DEBUG)
    assert again.returncode == 0 and again.executed() == set() and "plan.remembered" in events(again)


def test_what_the_task_list_follows_from_sends_the_run_through_a_full_load(app: Path, vango):
    remembered(app, vango)
    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    (app / "vango.json").write_text(json.dumps({**config, "name": "Renamed Todo"}), encoding="utf-8")
    run = vango(app, env=DEBUG)
    assert run.returncode == 0, run.stderr
    assert "plan.remembered" not in events(run) and "release" in run.executed()
    assert any("Renamed Todo" in p.read_text(encoding="utf-8") for p in (app / "dist").rglob("*.webmanifest"))

    remembered(app, vango)
    (app / "web" / "img" / "later.txt").write_text("a file added to the web folder\n", encoding="utf-8")
    run = vango(app, env=DEBUG)
    assert run.returncode == 0 and "plan.remembered" not in events(run)
    assert "img/later.txt" in json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]

    remembered(app, vango)
    run = vango(app, env={**DEBUG, "GOVANGOTEST": "1"})  # a Go variable: the environment changed
    assert run.returncode == 0 and "plan.remembered" not in events(run) and run.executed() == set()


def imports_of(probe) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in probe.stderr.splitlines() if line.startswith("import time:")}


def test_a_gate_runs_from_the_plan_with_its_options_and_verdict(app: Path, vango, shared_cache: Path):
    (app / "budgets.toml").write_text('[[budget]]\nname = "wasm"\npath = "app.wasm"\nbrotli = "10 MB"\n',
                                      encoding="utf-8")
    remembered(app, vango)
    run = vango(app, "build", "gate:size", "--why", env=DEBUG)
    assert run.returncode == 0, run.stderr
    assert "plan.remembered" in events(run) and "gate:size" in run.executed()
    report = json.loads((app / "build" / "reports" / "size.json").read_text(encoding="utf-8"))
    assert report["files"]

    (app / "budgets.toml").write_text('[[budget]]\nname = "wasm"\npath = "app.wasm"\nbrotli = "1 kB"\n',
                                      encoding="utf-8")
    failed = vango(app, "build", "gate:size")  # budgets.toml is read by the gate, not while loading
    assert failed.returncode == 1, failed.stderr  # a budget exceeded
    assert "1 budget(s) exceeded" in failed.stderr
    # Without --why the size gate reads the settings and paths alone: it judges without loading the pipeline.
    probe = run_pipeline(["pipeline.cli", "build", "gate:size"], app, {"VANGO_CACHE_DIR": str(shared_cache)},
                         python_flags=["-X", "importtime"])
    assert probe.returncode == 1 and "1 budget(s) exceeded" in probe.stderr
    imported = imports_of(probe)
    assert "pipeline.gates.size.measure" in imported
    assert not imported & {"pipeline.config.model", "pipeline.engine.registry", "pipeline.addons.manager",
                           "prometheus_client"}
    (app / "build" / "plan.json").unlink(missing_ok=True)
    assert vango(app, "build", "gate:size").returncode == 1  # the same verdict from a full load


def test_a_load_that_cannot_be_trusted_is_not_remembered(app: Path, vango):
    assert vango(app).returncode == 0
    aged(app)
    (app / "vango.json").touch()  # changed within two seconds of the load
    assert vango(app).returncode == 0
    assert not (app / "build" / "plan.json").exists()

    aged(app)
    (app / "web" / "stray.wasm").write_bytes(b"\0asm")  # left out of publishing, with a warning every run
    aged(app)
    run = vango(app, env=DEBUG)
    assert run.returncode == 0 and "publish.left_out" in events(run) and "plan.skipped" in events(run)
    assert not (app / "build" / "plan.json").exists()


@pytest.fixture
def in_app(app: Path, vango, shared_cache: Path, monkeypatch: pytest.MonkeyPatch):
    """The app with a remembered plan, and this process in its folder: the settings a run there has."""
    from pipeline.config.settings import Settings
    from pipeline.engine import plan

    remembered(app, vango)
    monkeypatch.chdir(app)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(plan, "_loaded", [])  # no load of another test's app
    return Settings.from_environment({"VANGO_CACHE_DIR": str(shared_cache)})


def test_a_remembered_task_whose_real_task_differs_fails_with_exit_1_and_forgets_the_plan(app: Path, in_app):
    from pipeline.engine import plan
    from pipeline.engine.tasks import PipelineFailed

    settings = in_app

    class Stub:  # doit's task object: never reached, the real task differs
        name = "css"

    described = json.loads((app / "build" / "plan.json").read_text(encoding="utf-8"))["tasks"]["css"]
    result = plan.run_planned(settings, "css", {**described, "file_dep": ["elsewhere.css"]}, Stub())
    assert isinstance(result, PipelineFailed) and "run the build again" in str(result)
    assert result.exit_code == 1
    assert not (app / "build" / "plan.json").exists()


def test_a_new_go_file_beside_vango_json_is_compiled(app: Path, vango):
    remembered(app, vango)
    (app / "extra.go").write_text('//go:build js && wasm\n\npackage main\n\nfunc init() { println("PLAN-MARKER") }\n',
                                  encoding="utf-8")
    run = vango(app, env=DEBUG)
    assert run.returncode == 0, run.stderr
    assert "plan.remembered" not in events(run) and "wasm:compile" in run.executed()
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))
    assert b"PLAN-MARKER" in (app / "dist" / manifest["assets"]["app.wasm"]["path"]).read_bytes()


def test_a_load_whose_warnings_are_not_shown_is_not_remembered(app: Path, vango):
    (app / "web" / "stray.wasm").write_bytes(b"\0asm")  # left out of publishing, with a warning every run
    assert vango(app).returncode == 0
    aged(app)
    for _ in range(2):
        assert vango(app, env={"VANGO_LOG_LEVEL": "ERROR"}).returncode == 0
    assert not (app / "build" / "plan.json").exists()
    run = vango(app)
    assert run.returncode == 0 and "publish.left_out" in events(run)


def test_a_load_inside_a_remembered_task_that_warns_or_fails_forgets_the_plan(
        app: Path, vango, in_app, monkeypatch: pytest.MonkeyPatch):
    from pipeline.config import context
    from pipeline.core.errors import ConfigError
    from pipeline.engine import plan
    from pipeline.engine.tasks import PipelineFailed
    from pipeline.observe import log

    settings = in_app
    remembered_plan = app / "build" / "plan.json"
    real_load = context.Context.load

    def warning_load(*args, **kwargs):
        log.get_logger("test").warning("something a full load would say on every run")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(plan, "_loaded", [])
    monkeypatch.setattr(context.Context, "load", classmethod(lambda cls, *a, **k: warning_load(*a, **k)))
    session, _ = plan._session(settings)
    assert session.error is None and not remembered_plan.exists()

    remembered(app, vango)
    error = ConfigError("first problem", path=app / "vango.json", more=("second problem",))

    def failing_load(*args, **kwargs):
        raise error

    monkeypatch.setattr(plan, "_loaded", [])
    monkeypatch.setattr(context.Context, "load", classmethod(lambda cls, *a, **k: failing_load()))
    result = plan.run_planned(settings, "css", {}, object())
    assert isinstance(result, PipelineFailed) and result.exit_code == 2
    assert "first problem" in str(result) and "second problem" in str(result)
    assert not remembered_plan.exists()


def test_a_malformed_plan_is_a_full_load_not_a_traceback(app: Path, vango):
    remembered(app, vango)
    plan_file = app / "build" / "plan.json"
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    data["tasks"]["css"] = {"name": 3}  # what no full load writes: the key and stamps still hold
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    run = vango(app, env=DEBUG)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert "plan.remembered" not in events(run) and run.executed() == set()
    assert json.loads(plan_file.read_text(encoding="utf-8"))["tasks"]["css"] != {"name": 3}  # remembered anew


def test_vango_dev_never_uses_a_plan(app: Path, in_app, monkeypatch: pytest.MonkeyPatch):
    from pipeline.dev.watch import DevSession
    from pipeline.engine import plan

    def refused(settings):
        raise AssertionError("a dev build asked for the remembered task list")

    monkeypatch.setattr(plan, "recall", refused)
    namespace = DevSession(in_app).namespace()
    assert namespace["VANGO_SESSION"].ctx is not None  # a full load, which the dev loop watches from

