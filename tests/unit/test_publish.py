"""pipeline.core.dirswap: swapping a staging folder into place as dist/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core import dirswap as publish


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


OLD = {"index.html": "old", "app.1111.js": "old js", "gone/only-old.txt": "x"}
NEW = {"index.html": "new", "app.2222.js": "new js", "img/a.png": "png"}


def test_staging_dir_is_a_hidden_sibling_named_by_pid(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    staging = publish.staging_dir(dist)
    assert staging.parent == tmp_path
    assert staging.name == f".dist.staging-{os.getpid()}"


def test_first_publish_renames_staging(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    staging = make_tree(publish.staging_dir(dist), NEW)
    publish.swap_into_place(staging, dist)
    assert snapshot(dist) == NEW
    assert not staging.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_later_publish_replaces_dist_completely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = make_tree(tmp_path / "dist", OLD)
    staging = make_tree(publish.staging_dir(dist), NEW)
    calls: list[tuple[Path, Path]] = []
    real_exchange = publish._exchange

    def spy(a: Path, b: Path) -> bool:
        calls.append((a, b))
        return real_exchange(a, b)

    monkeypatch.setattr(publish, "_exchange", spy)
    publish.swap_into_place(staging, dist)
    assert calls == [(staging, dist)]
    assert snapshot(dist) == NEW
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]  # no staging, no .dist.old-*


def test_fallback_without_atomic_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    dist = make_tree(tmp_path / "dist", OLD)
    staging = make_tree(publish.staging_dir(dist), NEW)
    publish.swap_into_place(staging, dist)
    assert snapshot(dist) == NEW
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_repeated_publishes(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    for i in range(3):
        staging = make_tree(publish.staging_dir(dist), {"index.html": f"v{i}", f"only-{i}.txt": "x"})
        publish.swap_into_place(staging, dist)
        assert snapshot(dist) == {"index.html": f"v{i}", f"only-{i}.txt": "x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux-only")
def test_exchange_swaps_two_folders_on_linux(tmp_path: Path) -> None:
    a = make_tree(tmp_path / "a", {"from-a": "A"})
    b = make_tree(tmp_path / "b", {"from-b": "B"})
    assert publish._exchange(a, b) is True
    assert snapshot(a) == {"from-b": "B"}
    assert snapshot(b) == {"from-a": "A"}


def test_exchange_fails_cleanly_for_missing_paths(tmp_path: Path) -> None:
    a = make_tree(tmp_path / "a", {"f": "x"})
    assert publish._exchange(a, tmp_path / "missing") is False
    assert snapshot(a) == {"f": "x"}


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_clear_stale_staging_removes_only_staging_folders(tmp_path: Path) -> None:
    dist = make_tree(tmp_path / "dist", {"keep": "1"})
    make_tree(tmp_path / f".dist.staging-{dead_pid()}", {"a": "x"})
    make_tree(tmp_path / f".dist.staging-{dead_pid()}", {"b/c": "x"})
    make_tree(tmp_path / ".dist.staging-not-a-pid", {"d": "x"})
    make_tree(tmp_path / ".other.staging-1", {"keep": "2"})
    make_tree(tmp_path / "dist2", {"keep": "3"})
    publish.clear_stale_staging(dist)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.staging-1", "dist", "dist2"]
    assert snapshot(dist) == {"keep": "1"}


def test_clear_stale_staging_keeps_folders_of_running_builds(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    running = make_tree(tmp_path / f".dist.staging-{os.getppid()}", {"busy": "x"})  # a live process
    own = make_tree(publish.staging_dir(dist), {"mine": "x"})  # this process: left over from an earlier attempt
    publish.clear_stale_staging(dist)
    assert snapshot(running) == {"busy": "x"}
    assert not own.exists()


def test_clear_stale_staging_without_leftovers_or_dist(tmp_path: Path) -> None:
    publish.clear_stale_staging(tmp_path / "dist")
    assert list(tmp_path.iterdir()) == []
