"""The ways users start a build: the repository's dodo.py, a two-line dodo.py in their own app, and
``vango build``; plus ``doit list`` describing every task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import REPO, run_pipeline

pytestmark = pytest.mark.e2e


def test_doit_list_describes_every_task():
    run = run_pipeline(["doit", "list"], REPO)
    assert run.returncode == 0, run.stderr
    described = dict(line.split(None, 1) for line in run.stdout.splitlines() if line.strip())
    expected = {"static", "css", "js", "public", "wasm:compile", "wasm:runtime", "pwa", "pages", "sw", "deploy",
                "compress", "manifest", "release"}
    assert expected <= set(described)
    assert all(len(described[name].strip()) > 15 for name in expected)
    assert "main job" in described["release"]


def test_repository_dodo_builds_the_bundled_example(tmp_path: Path, shared_cache: Path):
    dist = tmp_path / "dist"
    run = run_pipeline(["doit", "release"], REPO, {"VANGO_DIST_DIR": str(dist), "VANGO_BUILD_DIR": str(tmp_path / "b"),
                                                   "VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0, run.stderr
    manifest = json.loads((dist / "asset-manifest.json").read_text())
    assert manifest["app"] == "Vango Todo"


def test_two_line_dodo_in_a_users_app(app: Path, shared_cache: Path):
    (app / "dodo.py").write_text('"""My app."""\nfrom pipeline.dodo import *  # noqa: F403\n')
    run = run_pipeline(["doit"], app, {"VANGO_CACHE_DIR": str(shared_cache)})  # release is the default task
    assert run.returncode == 0, run.stderr
    assert (app / "dist" / "index.html").is_file()
    assert (app / "build" / "doit.sqlite3").is_file()  # sqlite3 backend, under build/


def test_vango_build_with_app_option_and_json_logs(app: Path, tmp_path: Path, shared_cache: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = run_pipeline(["pipeline.cli", "build", "--app", str(app), "--log-format", "json"], elsewhere,
                       {"VANGO_LOG_FORMAT": "human", "VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "dist" / "index.html").is_file()
    records = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]
    assert records and len({r["run_id"] for r in records}) == 1
    executed = [r for r in records if r["event"] == "task.executed"]
    assert {r["task"] for r in executed} >= {"wasm:compile", "release"}
    compile_event = next(r for r in executed if r["task"] == "wasm:compile")
    assert compile_event["duration_s"] > 0 and compile_event["files"][0].endswith("app.wasm")
    finished = records[-1]
    assert finished["event"] == "run.finished" and finished["ok"] is True


def test_human_logs_by_default(app: Path, shared_cache: Path):
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_LOG_FORMAT": "human",
                                                        "VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0
    assert ".  wasm:compile" in run.stderr and "done: 13 executed, 0 up to date" in run.stderr
    assert not run.events


def test_vango_clean_removes_build_outputs(app: Path, shared_cache: Path):
    assert run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)}).returncode == 0
    assert (app / "build" / "maps" / "css.json").is_file()
    run = run_pipeline(["pipeline.cli", "clean"], app)
    assert run.returncode == 0, run.stderr
    assert not (app / "build" / "maps" / "css.json").exists()


def test_vango_clean_removes_everything_the_pipeline_wrote_and_says_so(app: Path, shared_cache: Path):
    env = {"VANGO_CACHE_DIR": str(shared_cache)}
    (app / "budgets.toml").write_text('[[budget]]\npath = "**"\nper = "total"\nbrotli = "10 MB"\n')
    assert run_pipeline(["pipeline.cli", "build"], app, env).returncode == 0
    assert run_pipeline(["pipeline.cli", "build", "gate:size"], app, env).returncode == 0
    (app / "build" / "notes.txt").write_text("mine")  # not the pipeline's: stays
    run = run_pipeline(["pipeline.cli", "clean"], app)
    assert run.returncode == 0, run.stderr
    (done,) = [e for e in run.events if e.get("event") == "clean.done"]
    assert {"out", "maps", "wasm", "reports", "doit.sqlite3"} <= set(done["removed"])
    assert sorted(p.name for p in (app / "build").iterdir()) == ["notes.txt"]
    assert (app / "dist" / "asset-manifest.json").is_file()


def test_commands_outside_an_app_name_the_folder_and_create_nothing(tmp_path: Path):
    empty = tmp_path / "empty"
    (empty / "examples" / "demo").mkdir(parents=True)
    (empty / "examples" / "demo" / "vango.json").write_text('{"name": "demo"}')
    for command in (["build"], ["list"], ["clean"]):
        run = run_pipeline(["pipeline.cli", *command], empty)
        errors = [e["msg"] for e in run.events if e["level"] == "error"]
        if command == ["clean"]:
            assert run.returncode == 0
            continue
        assert run.returncode == 2, run.stderr
        assert errors == [f"no vango.json in {empty} (the current folder): run the command in an app folder or pass "
                          "--app DIR (apps below it: --app examples/demo); every Vango app needs a vango.json with "
                          "a name"], errors
    assert sorted(p.name for p in empty.iterdir()) == ["examples"], "no build/ and no database was created"
    missing = run_pipeline(["pipeline.cli", "build", "--app", str(tmp_path / "nowhere")], empty)
    assert missing.returncode == 2 and f"the app folder {tmp_path / 'nowhere'} (from --app/VANGO_APP) does not " \
        "exist" in missing.stderr


def test_app_may_name_the_vango_json_itself(app: Path, shared_cache: Path, tmp_path: Path):
    run = run_pipeline(["pipeline.cli", "build", "--app", str(app / "vango.json")], tmp_path,
                       {"VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "dist" / "asset-manifest.json").is_file()
