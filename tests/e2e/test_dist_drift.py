"""A dist/ changed behind the pipeline's back is repaired by the next build, not trusted."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from support import contents

pytestmark = pytest.mark.e2e


@pytest.fixture
def published(app: Path, vango) -> dict[str, bytes]:
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    return contents(app / "dist")


def test_a_deleted_or_edited_file_is_republished(app: Path, vango, published: dict[str, bytes]):
    dist = app / "dist"
    manifest = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))
    wasm_gz = manifest["assets"]["app.wasm"]["encodings"]["gzip"]["path"]
    (dist / "robots.txt").unlink()
    (dist / "index.html").write_text("<p>edited on the server</p>", encoding="utf-8")
    target = dist / wasm_gz
    target.write_bytes(bytes(reversed(target.read_bytes())))  # same size, other bytes
    run = vango(app, "build")
    assert run.returncode == 0 and run.executed() == {"release"}, run.stderr
    (warning,) = [e for e in run.events if e.get("event") == "release.drift"]
    assert set(warning["files"]) == {"robots.txt", "index.html", wasm_gz}
    assert contents(dist) == published
    again = vango(app, "build")
    assert again.executed() == set()  # repaired: nothing to do


def test_a_touched_but_unchanged_file_is_not_drift(app: Path, vango, published: dict[str, bytes]):
    import os

    page = app / "dist" / "index.html"
    os.utime(page, ns=(1_000_000_000, 1_000_000_000))
    run = vango(app, "build")
    assert run.returncode == 0 and run.executed() == set()


def test_a_deleted_manifest_is_rebuilt_not_refused(app: Path, vango, published: dict[str, bytes]):
    (app / "dist" / "asset-manifest.json").unlink()
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    assert contents(app / "dist") == published


def test_a_foreign_folder_is_still_refused(app: Path, vango, tmp_path: Path):
    foreign = tmp_path / "site"
    foreign.mkdir()
    (foreign / "important.html").write_text("not ours", encoding="utf-8")
    run = vango(app, "build", "--dist", str(foreign))
    assert run.returncode == 2 and "was not made by the pipeline" in run.stderr
    assert (foreign / "important.html").read_text(encoding="utf-8") == "not ours"


def test_the_manifest_records_every_sibling_s_hash(app: Path, published: dict[str, bytes]):
    manifest = json.loads(published["asset-manifest.json"])
    siblings = [e for asset in manifest["assets"].values() for e in asset["encodings"].values()]
    assert siblings
    for sibling in siblings:
        assert sibling["hash"] == hashlib.sha384(published[sibling["path"]]).hexdigest()


def identity(dist: Path) -> dict[str, tuple[int, int, str]]:
    return {p.relative_to(dist).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns,
                                            hashlib.sha384(p.read_bytes()).hexdigest())
            for p in dist.rglob("*") if p.is_file()}


def test_a_publish_keeps_the_inode_and_mtime_of_every_unchanged_file(app: Path, vango, published: dict[str, bytes]):
    """Deploy tools that compare size and mtime (rsync, aws s3 sync) re-upload only what changed."""
    before = identity(app / "dist")
    css = app / "web" / "css" / "app.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.edited { color: red; }\n", encoding="utf-8")
    run = vango(app, "build")
    assert run.returncode == 0 and "release" in run.executed(), run.stderr
    after = identity(app / "dist")
    same_bytes = [p for p in before if p in after and before[p][2] == after[p][2]]
    assert any(p.endswith(".wasm") for p in same_bytes)
    moved = [p for p in same_bytes if before[p][:2] != after[p][:2]]
    assert moved == [], moved
    changed = [p for p in after if p not in before or before[p][2] != after[p][2]]
    assert any(p.startswith("css/app.") for p in changed) and "index.html" in changed
    # The release reports what it wrote anew, not the files it hard-linked from the last dist/.
    (executed,) = [e for e in run.events if e.get("event") == "task.executed" and e.get("task") == "release"]
    reported = {Path(f).relative_to(app / "dist").as_posix() for f in executed["files"]}
    assert reported == set(changed), (sorted(reported), sorted(changed))


def test_a_same_size_edit_with_its_mtime_restored_is_still_drift(app: Path, vango, published: dict[str, bytes]):
    import os

    page = app / "dist" / "index.html"
    stat = page.stat()
    text = page.read_bytes()
    page.write_bytes(text.replace(b"<title>", b"<titlf>", 1) if b"<title>" in text else text[::-1])
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    run = vango(app, "build")
    assert run.returncode == 0 and run.executed() == {"release"}, run.stderr
    assert (app / "dist" / "index.html").read_bytes() == published["index.html"]


def edit_stylesheet(app: Path, rule: str) -> None:
    css = app / "web" / "css" / "app.css"
    css.write_text(css.read_text(encoding="utf-8") + f"\n{rule}\n", encoding="utf-8")


def test_the_release_before_is_kept_aside_and_brought_up_to_date_by_the_next_publish(
        app: Path, vango, published: dict[str, bytes]):
    """A publish reuses the spare release (the one before the current) as its staging folder: only what changed
    is written there, what dist/ serves is never written into (the spare shares its unchanged files' inodes),
    and the spare then holds exactly the release it replaced."""
    spare = app / ".dist.spare"
    edit_stylesheet(app, ".first { color: red; }")
    assert vango(app, "build").returncode == 0
    assert spare.is_dir() and contents(spare) == published  # the first release, kept aside whole
    second = contents(app / "dist")
    before = identity(app / "dist")
    edit_stylesheet(app, ".second { color: blue; }")
    run = vango(app, "build")
    assert run.returncode == 0 and "release" in run.executed(), run.stderr
    assert contents(spare) == second  # nothing the new release wrote went into a file the old one served
    after = identity(app / "dist")
    assert [p for p in before if p in after and before[p][2] == after[p][2] and before[p][:2] != after[p][:2]] == []
    # dist/ is what a publish into an empty folder gives (without the files kept from older releases, which
    # a publish with no dist/ before it has none of): no leftover of the spare.
    reused = contents(app / "dist")
    kept = json.loads(reused.pop("asset-manifest.json"))
    assert kept["retained"]  # the example keeps the last release's hashed files
    (app / "dist").rename(app / "dist-reused")
    spare.rename(app / "spare-reused")
    (app / "build" / "published.json").unlink()
    assert vango(app, "build").returncode == 0
    fresh = contents(app / "dist")
    assert json.loads(fresh.pop("asset-manifest.json")) == {k: v for k, v in kept.items() if k != "retained"}
    assert fresh == {p: data for p, data in reused.items() if p not in kept["retained"]}


def test_a_spare_changed_by_hand_is_mended_or_replaced(app: Path, vango, published: dict[str, bytes]):
    spare = app / ".dist.spare"
    edit_stylesheet(app, ".first { color: red; }")
    assert vango(app, "build").returncode == 0 and spare.is_dir()
    (spare / "junk.txt").write_text("left in the spare\n", encoding="utf-8")
    (spare / "deep" / "er").mkdir(parents=True)
    (spare / "deep" / "er" / "x.txt").write_text("x", encoding="utf-8")
    page = spare / "index.html"
    page.unlink()
    page.symlink_to(app / "vango.json")  # a link where the page goes
    edit_stylesheet(app, ".second { color: blue; }")
    run = vango(app, "build")  # mended: the junk removed, the link replaced
    assert run.returncode == 0, run.stderr
    dist = contents(app / "dist")
    assert "junk.txt" not in dist and not any(p.startswith("deep/") for p in dist)
    assert b"<html" in dist["index.html"].lower() and not (app / "dist" / "index.html").is_symlink()
    robots = spare / "robots.txt"
    robots.unlink()
    robots.mkdir()  # a folder where a file goes: staged afresh instead
    (robots / "inside").write_text("y", encoding="utf-8")
    edit_stylesheet(app, ".third { color: green; }")
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    assert contents(app / "dist")["robots.txt"] == published["robots.txt"]
    # A link where a folder goes, to the folder dist/ serves: a write through it would change a served file.
    shutil.rmtree(spare / "css")
    (spare / "css").symlink_to(app / "dist" / "css", target_is_directory=True)
    served = contents(app / "dist")
    edit_stylesheet(app, ".fourth { color: gray; }")
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    assert contents(spare) == served  # the release it replaced, untouched
    after = contents(app / "dist")
    manifest = json.loads(after["asset-manifest.json"])
    assert all(manifest["assets"][name]["path"] in after for name in manifest["assets"])
    assert not (app / "dist" / "css").is_symlink() and vango(app, "build").executed() == set()
    assert vango(app, "build").executed() == set()


def test_the_spare_is_not_a_source_of_an_app_whose_web_folder_holds_dist(app: Path, vango):
    """With ``web: "."`` the web folder holds dist/ and the spare beside it: neither is walked as sources."""
    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    config.update({"web": ".", "entry": "web/index.html"})
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    for rule in (".a { color: red; }", ".b { color: blue; }"):
        run = vango(app, "build")
        assert run.returncode == 0, run.stderr
        edit_stylesheet(app, rule)
    run = vango(app, "build")
    assert run.returncode == 0 and (app / ".dist.spare").is_dir(), run.stderr
    assert not any(".dist" in str(e.get("msg", "")) for e in run.events), [e["msg"] for e in run.events if ".dist" in
                                                                            str(e.get("msg", ""))]
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))
    assert not any(name.startswith((".dist", "dist/")) for name in manifest["assets"])
    assert vango(app, "build").executed() == set()
    from pipeline.config.context import Context
    from pipeline.config.settings import Settings
    from pipeline.core.fs import WalkRecord

    record = WalkRecord()
    ctx = Context.load(Settings(app=app, dist=app / "dist", build=app / "build"), addons=False)
    names = [name for name, _ in ctx.published_names(ctx.web_dir, record)]
    assert "web/index.html" in names and str(app / "web") in record.folders
    assert not [f for f in record.folders if ".dist" in f or f.startswith(str(app / "dist"))]  # not walked
