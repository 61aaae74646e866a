"""The manifest step leaves build/out holding exactly the next release: files and links of earlier builds are
removed, then the folders left empty; nothing outside build/out is touched."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from pipeline.steps.manifest import _remove_stale


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() + ("/" if p.is_dir() and not p.is_symlink() else "")
            for p in root.rglob("*")}


def test_what_the_release_does_not_have_goes_and_empty_folders_with_it(tmp_path: Path):
    out, outside = tmp_path / "out", tmp_path / "outside"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "keep.txt").write_text("not the build's")
    for relative in ("index.html", "css/app.1.css", "css/app.0.css", "css/old/deep/x.css", "img/a.png",
                     "gone/only.js", "asset-manifest.json"):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(relative)
    (out / "empty" / "nested").mkdir(parents=True)
    os.symlink(outside, out / "img" / "link")  # a link to a folder is removed, never followed
    os.symlink(outside / "inner" / "keep.txt", out / "css" / "file-link")
    keep = {"index.html", "css/app.1.css", "img/a.png", "asset-manifest.json"}
    _remove_stale(SimpleNamespace(out_dir=out), keep)
    assert tree(out) == {"index.html", "css/", "css/app.1.css", "img/", "img/a.png", "asset-manifest.json"}
    assert (outside / "inner" / "keep.txt").read_text() == "not the build's"


def test_no_build_folder_yet_is_nothing_to_do(tmp_path: Path):
    _remove_stale(SimpleNamespace(out_dir=tmp_path / "missing"), set())
    assert not (tmp_path / "missing").exists()
