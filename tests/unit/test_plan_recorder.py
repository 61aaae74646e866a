"""What a full load is recorded as looking at (:class:`pipeline.engine.recording.Recorder`), and which tasks a
plan can describe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from doit.tools import config_changed

from pipeline.config.settings import Settings
from pipeline.engine import plan, recording
from pipeline.engine.checks import outputs_exist
from pipeline.observe import log


@pytest.fixture(autouse=True)
def first_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording, "_loads", 0)  # each test's recorder is its process's first load


def recorder(tmp_path: Path) -> recording.Recorder:
    app = tmp_path / "app"
    (app / "web").mkdir(parents=True, exist_ok=True)
    return recording.Recorder(Settings(app=app, build=app / "build", dist=app / "dist", cache=app / "build" / "cache"))


def test_files_opened_folders_listed_and_paths_asked_about_are_stamped(tmp_path: Path):
    rec = recorder(tmp_path)
    app = tmp_path / "app"
    (app / "vango.json").write_text("{}")
    (app / "build").mkdir()
    (app / "build" / "claims.json").write_text("{}")
    with rec:
        (app / "vango.json").read_text()
        os.listdir(app / "web")
        assert not (app / "budgets.toml").exists()
        assert app.is_dir() and tmp_path.is_dir()
        (app / "build" / "claims.json").read_text()  # build/ is the tasks' own business
        os.stat(app / "build")
    assert os.stat is recording._REAL_STAT  # put back
    seen = rec.seen
    assert seen[str(app / "vango.json"), True][-1] == 2  # the full stamp: its size is the last value
    assert isinstance(seen[str(app / "web"), True], list)
    assert seen[str(app / "budgets.toml"), True] is None  # missing: its appearing changes the plan
    assert seen[str(tmp_path), True] == recording.WEAK  # above the app, holding build/: only that it is a folder
    listing = seen[str(app), True]  # it holds build/ and dist/: its listing without them
    assert recording.unchanged(str(app), True, listing)
    (app / "dist").mkdir()
    (app / ".dist.staging-123").mkdir()
    assert recording.unchanged(str(app), True, listing)  # a publish
    (app / "extra.go").write_text("package main\n")
    assert not recording.unchanged(str(app), True, listing)  # a new file beside vango.json
    assert not any(name.startswith(str(app / "build")) for name, _ in seen)


def test_only_the_first_load_of_a_process_and_one_that_shows_warnings_is_remembered(tmp_path: Path):
    import logging

    assert recorder(tmp_path).unsafe == ""
    assert recorder(tmp_path).unsafe == "not the first load of this process"
    recording._loads = 0
    logger = logging.getLogger(log.LOGGER_NAME)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with recorder(tmp_path) as rec:
            pass
    finally:
        logger.setLevel(level)
    assert rec.unsafe == "warnings are not shown at this log level"


def test_a_program_or_a_warning_while_loading_means_the_load_is_not_remembered(tmp_path: Path):
    rec = recorder(tmp_path)
    with rec:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert rec.unsafe == "a program ran while loading"

    recording._loads = 0
    rec = recorder(tmp_path)
    with rec:
        log.get_logger("test").warning("something to say again next time")
    assert rec.unsafe == "a warning was logged while loading"


def test_a_file_changed_just_before_loading_is_racy(tmp_path: Path):
    rec = recorder(tmp_path)
    fresh = tmp_path / "app" / "vango.json"
    fresh.write_text("{}")
    with rec:
        fresh.read_text()
    rec.stamps()
    assert rec.unsafe.endswith("changed less than two seconds before loading")


def test_stamps_are_compared_as_taken(tmp_path: Path):
    path = tmp_path / "file"
    path.write_text("one")
    stamp = recording.stamp_of(os.stat(path))
    assert recording.unchanged(str(path), True, stamp)
    path.write_text("two!")
    assert not recording.unchanged(str(path), True, stamp)
    assert recording.unchanged(str(tmp_path / "missing"), True, None)
    assert not recording.unchanged(str(path), True, None)
    assert recording.unchanged(str(tmp_path), True, recording.WEAK)
    assert not recording.unchanged(str(path), True, recording.WEAK)


def test_a_task_is_described_without_its_actions_and_rebuilt_with_its_checks(tmp_path: Path):
    task = {"name": "compile", "doc": "d", "actions": [(print, [])], "file_dep": [tmp_path / "a"],
            "task_dep": ["x"], "targets": [tmp_path / "t"], "verbosity": 2, "clean": True,
            "uptodate": [outputs_exist(tmp_path / "m.json", tmp_path), config_changed("settings"), False],
            "params": [{"name": "why", "long": "why", "type": bool, "default": False}]}
    described = plan._task(task)
    assert "actions" not in described and described["file_dep"] == [str(tmp_path / "a")]
    assert described["uptodate"] == [{"check": ["outputs", str(tmp_path / "m.json"), str(tmp_path)]},
                                     {"config": "settings"}, False]
    stub = plan._stub("wasm", described, Settings(), log.get_logger())
    assert stub["actions"][0][1][1:] == ["wasm:compile", described] and stub["params"][0]["type"] is bool
    assert isinstance(stub["uptodate"][1], config_changed) and stub["uptodate"][1].config == "settings"
    assert callable(stub["uptodate"][0]) and not stub["uptodate"][0]()  # no map there: stale


@pytest.mark.parametrize("extra", [{"setup": ["other"]}, {"uptodate": [lambda: True]}, {"clean": [print]},
                                   {"params": [{"name": "p", "type": Path, "default": None}]}])
def test_a_task_a_plan_cannot_describe_is_refused(extra: dict[str, object]):
    with pytest.raises(plan._Undescribable):
        plan._task({"name": "x", "actions": [], **extra})
