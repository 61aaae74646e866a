"""pipeline.engine.checks.sources_unchanged: a step's claimed files are checked by one stamp of them all
(names, size, mtime, ctime, inode), written by the step's last successful run, instead of a doit
``file_dep`` each."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.engine import checks
from pipeline.engine.checks import by_folder, rebuild, source_listing, sources_unchanged


@pytest.fixture
def sources(tmp_path: Path, monkeypatch) -> list[str]:
    monkeypatch.chdir(tmp_path)  # relative paths here; the registry's are absolute
    hour_ago = time.time_ns() - 3600 * 1_000_000_000  # not "racily clean": see RACY_NS
    for relative in ("web/a.css", "web/b.css", "web/img/c.png", "web/z.css", "top.txt"):
        Path(relative).parent.mkdir(parents=True, exist_ok=True)
        Path(relative).write_text(relative, encoding="utf-8")
        os.utime(relative, ns=(hour_ago, hour_ago))
    return ["web/a.css", "web/b.css", "web/img/c.png", "web/z.css", "top.txt"]


def stamped(listing: Path, sources: list[str]) -> None:
    previous = listing.read_bytes() if listing.exists() else None
    listing.write_bytes(source_listing(by_folder(sources), previous))


def test_the_stamp_holds_until_a_source_changes(tmp_path: Path, sources: list[str]):
    listing = tmp_path / "css.sources"
    check = sources_unchanged(listing, sources)
    assert not check()  # never built
    stamped(listing, sources)
    assert check()
    Path("web/b.css").write_text("web/b.cs!", encoding="utf-8")  # the same size
    assert not check()


def test_a_restored_mtime_and_a_missing_file_are_changes(tmp_path: Path, sources: list[str]):
    listing = tmp_path / "css.sources"
    check = sources_unchanged(listing, sources)
    stamped(listing, sources)
    stat = os.stat("web/a.css")
    Path("web/a.css").write_text("web/a.cs!", encoding="utf-8")
    os.utime("web/a.css", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # tar x, rsync -a: the ctime still moves
    assert not check()
    stamped(listing, sources)
    os.unlink("web/img/c.png")
    assert not check()


def test_a_touched_or_replaced_file_with_the_same_bytes_is_no_change(tmp_path: Path, sources: list[str],
                                                                     monkeypatch):
    listing = tmp_path / "css.sources"
    check = sources_unchanged(listing, sources)
    stamped(listing, sources)
    read: list[str] = []
    real = checks._file_digest
    monkeypatch.setattr(checks, "_file_digest", lambda path: read.append(path) or real(path))
    assert check() and read == []  # the stamps are the same: no file is read
    os.utime("web/b.css", ns=(1_000_000_000, 1_000_000_000))  # touched (a checkout, aged by a tool)
    Path("web/new.css").write_text("web/z.css", encoding="utf-8")
    os.replace("web/new.css", "web/z.css")  # the same bytes, another inode
    assert check() and sorted(read) == [os.path.join("web", "b.css"), os.path.join("web", "z.css")]
    read.clear()
    # The check took b.css's new stamp; z.css was written just now, so its stamp is not trusted yet.
    stamped(listing, sources)
    assert read == [os.path.join("web", "z.css")]


def test_a_source_added_or_removed_is_a_change(tmp_path: Path, sources: list[str]):
    listing = tmp_path / "css.sources"
    stamped(listing, sources)
    assert sources_unchanged(listing, sources)()
    Path("web/new.css").write_text("x", encoding="utf-8")
    assert not sources_unchanged(listing, [*sources, "web/new.css"])()
    assert not sources_unchanged(listing, sources[:-1])()
    assert not sources_unchanged(listing, [sources[1], sources[0], *sources[2:]])()  # another order


def test_a_listing_edited_by_hand_is_a_change(tmp_path: Path, sources: list[str]):
    listing = tmp_path / "css.sources"
    stamped(listing, sources)
    data = listing.read_bytes()
    for broken in (data[:40], data[:100], data[:32] + bytes(8) + data[40:], b"", b"x" * 200):
        listing.write_bytes(broken)
        assert not sources_unchanged(listing, sources)(), broken[:48]


def test_the_check_remembered_in_a_plan_is_the_same_check(tmp_path: Path, sources: list[str]):
    import json

    listing = tmp_path / "css.sources"
    check = sources_unchanged(listing, sources)
    plan = json.loads(json.dumps(check.plan))
    again = rebuild(plan, logger=None)
    assert again.plan == check.plan
    assert not again()
    stamped(listing, sources)
    assert again() and check()
    assert by_folder(sources) == [("web", ["a.css", "b.css"]), ("web/img", ["c.png"]), ("web", ["z.css"]),
                                  ("", ["top.txt"])]


def test_an_mtime_past_2262_is_stamped(tmp_path: Path, sources: list[str]):
    try:
        os.utime("web/a.css", ns=(0, 2**63 + 10))
    except (OSError, OverflowError, ValueError):
        pytest.skip("this file system cannot hold an mtime past 2262")
    listing = tmp_path / "css.sources"
    stamped(listing, sources)
    assert sources_unchanged(listing, sources)()
    os.utime("web/a.css", ns=(0, 2**63 + 11))
    Path("web/a.css").write_text("web/a.cs!", encoding="utf-8")
    os.utime("web/a.css", ns=(0, 2**63 + 11))
    assert not sources_unchanged(listing, sources)()


def test_the_changed_sources_are_the_task_s_changed_inputs(tmp_path: Path, sources: list[str]):
    class Task:
        dep_changed = ["build/maps/static.json"]

    listing = tmp_path / "css.sources"
    check = sources_unchanged(listing, sources)
    task = Task()
    assert not check(task) and set(task.dep_changed) >= {os.path.join("web", "a.css"), "build/maps/static.json"}
    stamped(listing, sources)
    Path("web/b.css").write_text("changed!", encoding="utf-8")
    task = Task()
    assert not check(task) and task.dep_changed == ["build/maps/static.json", os.path.join("web", "b.css")]
    task = Task()
    stamped(listing, sources)
    assert check(task) and task.dep_changed == ["build/maps/static.json"]


def test_a_step_that_claims_nothing_is_stale_until_built_and_then_when_files_come(tmp_path: Path,
                                                                                sources: list[str]):
    listing = tmp_path / "css.sources"
    stamped(listing, sources)
    assert not sources_unchanged(listing, [])()  # every file gone: built from some, now from none
    stamped(listing, [])
    assert sources_unchanged(listing, [])()
    assert not sources_unchanged(listing, sources)()  # the same files back, the same bytes: still a change
    assert not sources_unchanged(tmp_path / "never.sources", [])()  # never built


def test_a_touched_file_is_read_once_and_a_recent_one_until_it_is_old(tmp_path: Path, sources: list[str],
                                                                       monkeypatch):
    listing = tmp_path / "css.sources"
    stamped(listing, sources)
    read: list[str] = []
    real = checks._file_digest
    monkeypatch.setattr(checks, "_file_digest", lambda path: read.append(path) or real(path))
    os.utime("web/a.css", ns=(1_000_000_000, 1_000_000_000))  # touched long ago
    assert sources_unchanged(listing, sources)() and read == [os.path.join("web", "a.css")]
    read.clear()
    assert sources_unchanged(listing, sources)() and read == []  # the listing took its new stamp
    Path("web/b.css").write_text("web/b.css", encoding="utf-8")  # rewritten just now, the same bytes
    assert sources_unchanged(listing, sources)() and read == [os.path.join("web", "b.css")]
    read.clear()
    assert sources_unchanged(listing, sources)() and read == [os.path.join("web", "b.css")]  # still too recent
    Path("web/b.css").write_text("web/b.cs!", encoding="utf-8")  # a rewrite in the same tick is seen
    assert not sources_unchanged(listing, sources)()


def test_after_a_file_is_added_only_that_file_is_read(tmp_path: Path, sources: list[str], monkeypatch):
    listing = tmp_path / "css.sources"
    stamped(listing, sources)
    Path("web/new.css").write_text("new", encoding="utf-8")
    read: list[str] = []
    real = checks._file_digest
    monkeypatch.setattr(checks, "_file_digest", lambda path: read.append(path) or real(path))
    stamped(listing, ["web/new.css", *sources])
    assert read == ["web/new.css"]
