"""pipeline.engine.filecheck.RunMD5Checker: doit's MD5 checker's states and decisions, each version of a file
hashed once in a run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from doit.dependency import MD5Checker

from pipeline.engine import filecheck
from pipeline.engine.loader import doit_config


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files hashed, in order (the memo starts empty)."""
    calls: list[str] = []
    real = filecheck.get_file_md5
    monkeypatch.setattr(filecheck, "_MD5", {})
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


def test_each_version_of_a_file_is_hashed_once(tmp_path: Path, hashed: list[str]):
    path = tmp_path / "map.json"
    rewrite(path, b'{"a": 1}', 1_000_000_000_000)
    state = filecheck.RunMD5Checker().get_state(str(path), None)
    rewrite(path, b'{"a": 2}', 2_000_000_000_000)
    checkers = [filecheck.RunMD5Checker() for _ in range(5)]  # five tasks that depend on the file
    assert all(c.check_modified(str(path), os.stat(path), state) for c in checkers)
    assert len({c.get_state(str(path), state) for c in checkers}) == 1
    assert hashed == [str(path)] * 2  # the first version, then the second: once each
    rewrite(path, b'{"a": 3}', 2_000_000_000_000)  # the same mtime and size, another inode: hashed again
    assert checkers[0].check_modified(str(path), os.stat(path), state)
    assert len(hashed) == 3


def test_the_runs_use_it(tmp_path: Path):
    from pipeline.config.settings import Settings

    config = doit_config(Settings(app=tmp_path), None)
    assert config["check_file_uptodate"] is filecheck.RunMD5Checker
