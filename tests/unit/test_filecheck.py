"""pipeline.engine.filecheck.RunMD5Checker: doit's MD5 checker's states and decisions, each version of a file
hashed once in a run (doit makes one checker a run, for all its tasks)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from doit.dependency import Dependency, MD5Checker, SqliteDB
from doit.task import Task

from pipeline.engine import filecheck
from pipeline.engine.loader import doit_config


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files hashed, in order."""
    calls: list[str] = []
    real = filecheck.get_file_md5
    monkeypatch.setattr(filecheck, "get_file_md5", lambda path: calls.append(path) or real(path))
    return calls


def rewrite(path: Path, data: bytes, mtime_ns: int) -> None:
    """New bytes by rename (as the pipeline writes), with a chosen mtime."""
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.mark.parametrize("change", ["nothing", "mtime only", "same size, other bytes", "other size"])
def test_it_decides_as_doits_checker_does(tmp_path: Path, hashed: list[str], change: str):
    path = tmp_path / "map.json"
    rewrite(path, b'{"a": 1}', 1_000_000_000_000)
    state = MD5Checker().get_state(str(path), None)
    assert filecheck.RunMD5Checker().get_state(str(path), None) == state
    if change != "nothing":
        data = {"mtime only": b'{"a": 1}', "same size, other bytes": b'{"a": 2}', "other size": b'{"a": 10}'}[change]
        rewrite(path, data, 2_000_000_000_000)
    stat = os.stat(path)
    ours, doits = filecheck.RunMD5Checker(), MD5Checker()
    assert ours.check_modified(str(path), stat, state) == doits.check_modified(str(path), stat, state)
    assert ours.check_modified(str(path), stat, state) == (change in ("same size, other bytes", "other size"))
    assert ours.get_state(str(path), state) == doits.get_state(str(path), state)


def doit_run(db: Path, tasks: list[Task]) -> list[str]:
    """One doit run's checks and saves, as doit's runner makes them: the status of each task, in order."""
    dependency = Dependency(SqliteDB, str(db), checker_cls=filecheck.RunMD5Checker)
    statuses = []
    for task in tasks:
        statuses.append(dependency.get_status(task, {t.name: t for t in tasks}).status)
        if statuses[-1] == "run":
            task.values, task.result = {}, None
            dependency.save_success(task)
    dependency.close()
    return statuses


def test_each_version_of_a_file_is_hashed_once_a_run_through_doit(tmp_path: Path, hashed: list[str]):
    path, db = tmp_path / "map.json", tmp_path / "doit.sqlite3"
    rewrite(path, b'{"a": 1}', 1_000_000_000_000)
    tasks = [Task(f"step{i}", None, file_dep=[str(path)]) for i in range(5)]  # five tasks read one map
    assert doit_run(db, tasks) == ["run"] * 5
    assert hashed == [str(path)]  # doit's own checker: five times, as each task's state is saved
    rewrite(path, b'{"a": 2}', 2_000_000_000_000)  # the same size: only the MD5 tells
    assert doit_run(db, tasks) == ["run"] * 5
    assert hashed == [str(path)] * 2  # doit's: ten times, checked and saved for each task
    assert doit_run(db, tasks) == ["up-to-date"] * 5
    rewrite(path, b'{"a": 2}', 3_000_000_000_000)  # touched: the same bytes
    assert doit_run(db, tasks) == ["up-to-date"] * 5
    assert len(hashed) == 3


def test_a_run_hashes_a_version_of_the_same_stat_apart_from_the_last_runs(tmp_path: Path, hashed: list[str]):
    """Each run has its own checker: a dev server's next build hashes again what changed since."""
    path = tmp_path / "map.json"
    rewrite(path, b'{"a": 1}', 1_000_000_000_000)
    state = filecheck.RunMD5Checker().get_state(str(path), None)
    rewrite(path, b'{"a": 2}', 2_000_000_000_000)
    first, second = filecheck.RunMD5Checker(), filecheck.RunMD5Checker()
    assert first.check_modified(str(path), os.stat(path), state)
    assert first.get_state(str(path), state) == second.get_state(str(path), state)
    assert len(hashed) == 3


def test_the_runs_use_it(tmp_path: Path):
    from pipeline.config.settings import Settings

    config = doit_config(Settings(app=tmp_path), None)
    assert config["check_file_uptodate"] is filecheck.RunMD5Checker
