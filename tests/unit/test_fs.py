"""pipeline.core.fs: atomic, change-only writes and junk-free file listings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.core import fs

OLD_NS = 1_000_000_000_000_000_000  # 2001-09-09, far from "now" so any rewrite would be visible


def test_write_if_changed_creates_file_and_parents(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.txt"
    assert fs.write_if_changed(path, b"hello") is True
    assert path.read_bytes() == b"hello"


def test_write_if_changed_leaves_identical_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"same bytes")
    os.utime(path, ns=(OLD_NS, OLD_NS))
    before = path.stat()
    assert fs.write_if_changed(path, b"same bytes") is False
    after = path.stat()
    assert after.st_mtime_ns == before.st_mtime_ns == OLD_NS
    assert after.st_ino == before.st_ino


@pytest.mark.parametrize("new", [b"same bytez", b"longer content", b""], ids=["same-size", "longer", "empty"])
def test_write_if_changed_rewrites_different_bytes(tmp_path: Path, new: bytes) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"same bytes")
    os.utime(path, ns=(OLD_NS, OLD_NS))
    assert fs.write_if_changed(path, new) is True
    assert path.read_bytes() == new
    assert path.stat().st_mtime_ns != OLD_NS


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    for data in (b"1", b"2", b"2", b"3"):
        fs.write_if_changed(tmp_path / "out.txt", data)
    fs.write_atomic(tmp_path / "other.txt", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt", "out.txt"]


def test_write_atomic_replaces_and_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        fs.write_atomic(target, b"cannot replace a non-empty folder with a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


@pytest.mark.parametrize(
    ("name", "junk"),
    [
        (".DS_Store", True),
        ("Thumbs.db", True),
        ("desktop.ini", True),
        (".git", True),
        (".svn", True),
        (".idea", True),
        (".vscode", True),
        ("foo~", True),
        (".#foo", True),
        (".foo.swp", True),
        (".foo.swx", True),
        ("upload.tmp", True),
        (".well-known", False),
        (".htaccess", False),
        ("robots.txt", False),
        ("app.js", False),
        ("swp", False),
        ("tilde~name", False),
    ],
)
def test_is_junk(name: str, junk: bool) -> None:
    assert fs.is_junk(name) is junk


def test_files_under_skips_junk_but_keeps_dotfiles(tmp_path: Path) -> None:
    keep = [
        ".well-known/security.txt",
        ".well-known/assetlinks.json",
        ".htaccess",
        "a/b/c.txt",
        "index.html",
        "z.css",
    ]
    junk = [
        ".DS_Store",
        "a/.DS_Store",
        "a/Thumbs.db",
        "index.html~",
        ".#index.html",
        "a/.c.txt.swp",
        ".git/config",
        ".git/objects/ab/cd",
        "node/.idea/workspace.xml",
        "x.tmp",
    ]
    for rel in keep + junk:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    found = fs.files_under(tmp_path)
    assert found == sorted(tmp_path / rel for rel in keep)
    assert [fs.logical(p, tmp_path) for p in found] == sorted(keep)


def test_files_under_missing_or_file_root(tmp_path: Path) -> None:
    assert fs.files_under(tmp_path / "missing") == []
    (tmp_path / "file").write_text("x")
    assert fs.files_under(tmp_path / "file") == []
    assert fs.files_under(tmp_path) == [tmp_path / "file"]


def test_logical_is_posix_relative(tmp_path: Path) -> None:
    assert fs.logical(tmp_path / "css" / "app.css", tmp_path) == "css/app.css"


def test_all_present_lists_each_folder_once(tmp_path: Path):
    from pipeline.engine.tasks import all_present

    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.1.css").write_text("a")
    (tmp_path / "index.html").write_text("x")
    (tmp_path / "css" / "dir.css").mkdir()  # a folder where a file should be
    assert all_present(str(tmp_path), ["index.html", "css/a.1.css"])
    assert all_present(str(tmp_path), [])
    assert not all_present(str(tmp_path), ["css/a.1.css", "css/gone.css"])
    assert not all_present(str(tmp_path), ["css/dir.css"])
    assert not all_present(str(tmp_path), ["img/x.png"])
