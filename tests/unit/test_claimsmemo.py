"""pipeline.engine.claimsmemo: the claims are remembered while no folder listed changed, and never when a
folder changed too recently to trust its mtime or the walk met a link."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline.core.fs import WalkRecord, walk_names
from pipeline.engine import claimsmemo

HOUR_NS = 3600 * 1_000_000_000


def aged(root: Path) -> None:
    """Every folder's mtime an hour ago, as an app's folders are between edits."""
    past = time.time_ns() - HOUR_NS
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        os.utime(folder, ns=(past, past))


def walked(root: Path) -> WalkRecord:
    record = WalkRecord()
    walk_names(root, record=record)
    return record


def test_claims_come_back_until_a_folder_changes(tmp_path: Path):
    web, memo = tmp_path / "web", tmp_path / "claims.json"
    (web / "css").mkdir(parents=True)
    (web / "css" / "a.css").write_text("a")
    aged(web)
    record = walked(web)
    assert set(record.folders) == {str(web), str(web / "css")} and not record.links
    record.left_out.append(("web/.env", "a dotfile or dot-folder", False))
    claims = {"css": [str(web / "css" / "a.css")]}
    assert claimsmemo.remember(memo, "k", web, claims, record)
    assert claimsmemo.recall(memo, "k") == (claims, [("web/.env", "a dotfile or dot-folder", False)])
    assert claimsmemo.recall(memo, "other key") is None

    (web / "css" / "b.css").write_text("b")  # the folder's mtime moves on
    assert claimsmemo.recall(memo, "k") is None


def test_a_folder_whose_mtime_was_put_back_is_still_seen_to_change(tmp_path: Path):
    """``tar x``, ``rsync -a`` and ``cp -a`` restore a folder's mtime after adding to it: its ctime moves."""
    web, memo = tmp_path / "web", tmp_path / "claims.json"
    web.mkdir()
    (web / "index.html").write_text("x")
    aged(web)
    mtime = web.stat().st_mtime_ns
    assert claimsmemo.remember(memo, "k", web, {}, walked(web))
    (web / "extra.css").write_text("y")
    os.utime(web, ns=(mtime, mtime))
    assert web.stat().st_mtime_ns == mtime
    assert claimsmemo.recall(memo, "k") is None


def test_a_folder_changed_just_now_or_a_link_is_never_remembered(tmp_path: Path):
    web, memo = tmp_path / "web", tmp_path / "claims.json"
    web.mkdir()
    (web / "index.html").write_text("x")
    assert not claimsmemo.remember(memo, "k", web, {}, walked(web))  # changed within two seconds of the walk
    assert not memo.exists()

    (web / "link.css").symlink_to(web / "index.html")
    aged(web)
    record = walked(web)
    assert record.links
    assert not claimsmemo.remember(memo, "k", web, {}, record)
    assert claimsmemo.recall(memo, "k") is None


def test_a_walk_that_missed_a_folder_or_the_web_folder_is_never_remembered(tmp_path: Path):
    web, memo = tmp_path / "web", tmp_path / "claims.json"
    (web / "css").mkdir(parents=True)
    aged(web)
    unreadable = walked(web)
    unreadable.complete = False  # a folder scandir could not list (root ignores permissions, so set here)
    assert not claimsmemo.remember(memo, "k", web, {}, unreadable)
    gone = walked(tmp_path / "missing")  # the web folder vanished between the checks and the walk
    assert gone.folders == {}
    assert not claimsmemo.remember(memo, "k", tmp_path / "missing", {"css": []}, gone)
    assert not memo.exists()


def test_a_damaged_memo_is_ignored(tmp_path: Path):
    memo = tmp_path / "claims.json"
    for body in ("not json", "[]", '{"key": "k"}', '{"key": "k", "folders": {"/nowhere/at/all": [1, 1, 1, 1]}}',
                 '{"key": "k", "folders": {}, "claims": {}, "left_out": []}'):
        memo.write_text(body)
        assert claimsmemo.recall(memo, "k") is None


def test_the_go_inputs_memo_follows_a_folder_s_names_but_a_publish_s_own(tmp_path: Path):
    """A publish renames ``.dist.staging-*`` and ``.dist.spare`` in the app's folder, often the main package's:
    that keeps the memo. Any other new name does not (a Go file, an embedded ``_redirects``, a folder)."""
    from pipeline.wasm import gomod

    main, memo = tmp_path / "main.go", tmp_path / "build" / "go-inputs.json"
    main.write_text("package main\n")
    (tmp_path / "go.mod").write_text("module x\n")
    files = [main, tmp_path / "go.mod"]
    memo.parent.mkdir()
    gomod._remember(memo, ["key"], files)
    (tmp_path / ".dist.staging-1").mkdir()
    (tmp_path / ".dist.staging-1").rename(tmp_path / ".dist.spare")
    (tmp_path / ".dist.spare").rename(tmp_path / ".dist.old-2")
    assert gomod._remembered(memo, ["key"]) == files
    for name in ("_redirects", ".hidden", "extra.go"):
        (tmp_path / name).write_text("x")
        assert gomod._remembered(memo, ["key"]) is None, name
        gomod._remember(memo, ["key"], files)
    (tmp_path / "dist").mkdir()
    assert gomod._remembered(memo, ["key"]) is None


def test_the_go_inputs_memo_notices_an_edit_whose_mtime_was_put_back(tmp_path: Path):
    """The same stat stamp guards ``build/go-inputs.json``: a same-size edit with its mtime restored still
    changes the file's ctime, so ``go list`` is asked again."""
    from pipeline.wasm import gomod

    main, memo = tmp_path / "main.go", tmp_path / "build" / "go-inputs.json"
    main.write_text("package main\n")
    (tmp_path / "go.mod").write_text("module x\n")
    files = [main, tmp_path / "go.mod"]
    memo.parent.mkdir()  # before the stamps: making it changes the folder they are in
    gomod._remember(memo, ["key"], files)
    assert gomod._remembered(memo, ["key"]) == files
    stat = main.stat()
    main.write_text("package mian\n")  # same size
    os.utime(main, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert gomod._remembered(memo, ["key"]) is None
