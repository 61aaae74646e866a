"""The records every no-op run reads: what the last publish put into dist/ (``build/published.json``) and the
outputs listing kept next to each step's map (``build/maps/<step>.outputs``)."""

from __future__ import annotations

import base64
import json
import os
import shutil
from array import array
from pathlib import Path

import pytest

from pipeline.core.dirswap import PublishedFiles, drifted, published_state, record_published, served_state
from pipeline.engine.checks import listing_path, outputs_exist, read_listing
from pipeline.engine.maps import OutputFile, write_map

# Sorted, these interleave the folders: "a.txt" < "css/x.css" < "index.html" < "js/m.js" < "z.txt"
FILES = {"a.txt": b"a", "css/x.css": b"x{}", "index.html": b"<p>", "js/m.js": b"m()", "z.txt": b"zz",
         "css/deep/y.css": b"y{}"}


def publish(tmp_path: Path) -> tuple[Path, Path]:
    build, dist = tmp_path / "build", tmp_path / "dist"
    build.mkdir()
    for relative, data in FILES.items():
        (dist / relative).parent.mkdir(parents=True, exist_ok=True)
        (dist / relative).write_bytes(data)
    record_published(build, dist, list(FILES))
    return build, dist


def test_the_record_keeps_each_files_digest_whatever_the_folders_order(tmp_path: Path):
    import hashlib

    build, dist = publish(tmp_path)
    state = published_state(build, dist)
    assert state is not None and set(state) == set(FILES)
    for relative, data in FILES.items():
        assert state[relative][2] == hashlib.sha384(data).hexdigest(), relative
    assert drifted(build, dist) == []


def test_a_touched_file_is_hashed_and_an_edited_one_is_drift(tmp_path: Path):
    build, dist = publish(tmp_path)
    for relative in FILES:  # every file touched: each is compared with its own digest
        os.utime(dist / relative, ns=(1_000_000_000, 1_000_000_000))
    assert drifted(build, dist) == []
    (dist / "z.txt").write_bytes(b"ZZ")  # same size, other bytes
    (dist / "css" / "deep" / "y.css").unlink()
    (dist / "a.txt").write_bytes(b"longer")
    assert drifted(build, dist) == ["a.txt", "css/deep/y.css", "z.txt"]


def test_a_missing_folder_a_foreign_dist_or_a_broken_record_is_no_record(tmp_path: Path):
    build, dist = publish(tmp_path)
    assert drifted(build, tmp_path / "elsewhere") == [""]
    for name in ("css/x.css", "css/deep/y.css"):
        (dist / name).unlink()
    (dist / "css" / "deep").rmdir()
    assert drifted(build, dist) == ["css/deep/y.css", "css/x.css"]
    record = json.loads((build / "published.json").read_text())
    record["digests"] = record["digests"][:-1]
    (build / "published.json").write_text(json.dumps(record))
    assert published_state(build, dist) is None and drifted(build, dist) == [""]
    (build / "published.json").write_text('{"dist": 1}')
    assert drifted(build, dist) == [""]
    good = json.loads(json.dumps({"dist": str(dist), "layout": 3, "folders": [["", "a.txt"]],
                                  "stats": base64.b64encode(array("q", [1, 2, 3]).tobytes()).decode(),
                                  "digests": "0" * 96}))
    (build / "published.json").write_text(json.dumps(good))
    assert published_state(build, dist) == {"a.txt": [1, 2, "0" * 96, 3]}
    for field, value in (("folders", [[3, "a.txt"]]), ("folders", [["", "a.txt", 1]]), ("folders", [["", ""]]),
                         ("folders", [["", "a.txt\0\0b"]]), ("folders", {"": "a.txt"}), ("stats", "not base64!"),
                         ("stats", base64.b64encode(b"short").decode()), ("stats", 7), ("digests", "0" * 95),
                         ("layout", 2)):  # edited by hand
        (build / "published.json").write_text(json.dumps({**good, field: value}))
        assert drifted(build, dist) == [""] and published_state(build, dist) is None, (field, value)


def test_an_older_pipeline_s_record_keeps_the_inodes_of_the_next_publish(tmp_path: Path):
    build, dist = publish(tmp_path)
    state = published_state(build, dist)
    assert state is not None
    (build / "published.json").write_text(json.dumps({"dist": str(dist), "files": dict(state)}))
    assert published_state(build, dist) == state  # what the next publish links from
    assert drifted(build, dist) == [""]  # and that publish writes the record anew
    folders: dict[str, list[list[object]]] = {}  # the layout before: stats by folder, the digests in one string
    for relative in sorted(state, key=lambda r: (r.rpartition("/")[0], r)):
        size, mtime, _, ctime = state[relative]
        folder, _, name = relative.rpartition("/")
        folders.setdefault(folder, []).append([name, size, mtime, ctime])
    digests = "".join(str(state[f"{f}/{e[0]}" if f else e[0]][2]) for f, entries in folders.items() for e in entries)
    (build / "published.json").write_text(json.dumps({"dist": str(dist), "folders": folders, "digests": digests}))
    assert published_state(build, dist) == state and drifted(build, dist) == [""]


def test_the_record_is_the_json_of_its_fields_written_in_parts(tmp_path: Path):
    """The long strings go in as they are, part by part; the bytes are what json.dumps gives for the record,
    and a digest kept from a record edited by hand (not hex) is escaped as json.dumps escapes it."""
    build, dist = publish(tmp_path)
    data = (build / "published.json").read_bytes()
    record = json.loads(data)
    assert list(record) == ["dist", "layout", "byteorder", "folders", "stats", "digests"]
    assert data == json.dumps(record, separators=(",", ":")).encode()
    state = dict(published_state(build, dist))
    state["a.txt"] = [*state["a.txt"][:2], 'x"\\é' + "0" * 92, state["a.txt"][3]]  # linked: its digest is kept
    record_published(build, dist, list(FILES), known=state)
    data = (build / "published.json").read_bytes()
    assert json.loads(data)["digests"].startswith('x"\\é') and data == json.dumps(json.loads(data),
                                                                                   separators=(",", ":")).encode()


@pytest.mark.parametrize("kind", ["record", "mapping"])
def test_a_file_kept_from_the_last_publish_is_not_hashed_again(tmp_path: Path, monkeypatch, kind: str):
    """A file the last publish listed with this size and mtime takes its digest from there (the record's
    ``PublishedFiles.kept``, or any mapping's entry); a file whose size or mtime changed is read and hashed."""
    import hashlib

    build, dist = publish(tmp_path)
    state = published_state(build, dist)
    known = state if kind == "record" else dict(state)
    st = os.stat(dist / "z.txt")
    assert state.kept("z.txt", st.st_size, st.st_mtime_ns) == hashlib.sha384(b"zz").hexdigest()
    assert state.kept("z.txt", st.st_size + 1, st.st_mtime_ns) is None
    assert state.kept("z.txt", st.st_size, st.st_mtime_ns + 1) is None and state.kept("nope", 0, 0) is None
    (dist / "a.txt").write_bytes(b"aa")  # another size
    hashed: list[bytes] = []
    real = hashlib.sha384
    monkeypatch.setattr(hashlib, "sha384", lambda data=b"": hashed.append(data) or real(data))
    record_published(build, dist, list(FILES), known=known)
    assert hashed == [b"aa"]
    monkeypatch.undo()
    assert published_state(build, dist)["a.txt"][2] == hashlib.sha384(b"aa").hexdigest()
    assert drifted(build, dist) == []


def test_published_files_are_made_from_the_record_as_asked_for(tmp_path: Path):
    """``PublishedFiles``: each entry a list made from the record when asked for; ``unchanged`` gives the files
    published with the digests wanted, with their stats as published (what a publish leaves as it is)."""
    import hashlib

    build, dist = publish(tmp_path)
    state = published_state(build, dist)
    assert isinstance(state, PublishedFiles) and len(state) == len(FILES) and "a.txt" in state
    st = os.stat(dist / "z.txt")
    assert state["z.txt"] == state.get("z.txt") == [st.st_size, st.st_mtime_ns, hashlib.sha384(b"zz").hexdigest(),
                                                     st.st_ctime_ns]
    assert state.get("nope.txt") is None and "nope.txt" not in state
    with pytest.raises(KeyError):
        state["nope.txt"]
    hashes = {relative: hashlib.sha384(data).hexdigest() for relative, data in FILES.items()}
    hashes["a.txt"] = "0" * 96  # this release wants other bytes there
    unchanged = state.unchanged(["a.txt", "z.txt", "js/m.js", "nope.txt"], hashes)
    assert unchanged == {relative: (state[relative][0], state[relative][1], state[relative][3])
                         for relative in ("z.txt", "js/m.js")}


def test_the_publish_knows_which_files_dist_holds_untouched_and_their_inodes(tmp_path: Path):
    """What the publish step keeps as it is (``served_state``): each published file dist/ still holds with its
    size, mtime and ctime, by inode; a file touched, edited, replaced or deleted is left out (it is copied)."""
    build, dist = publish(tmp_path)
    state, intact = served_state(build, dist)
    assert state == published_state(build, dist)
    assert intact == {relative: os.stat(dist / relative).st_ino for relative in FILES}
    os.utime(dist / "css" / "x.css", ns=(1_000_000_000, 1_000_000_000))
    (dist / "z.txt").write_bytes(b"ZZ")
    (dist / "css" / "deep" / "y.css").unlink()
    (dist / "js" / "m.2").write_bytes(b"m()")
    os.replace(dist / "js" / "m.2", dist / "js" / "m.js")  # the same bytes, another inode
    state, intact = served_state(build, dist)
    assert state == published_state(build, dist)
    assert intact == {relative: os.stat(dist / relative).st_ino for relative in ("a.txt", "index.html")}
    (build / "published.json").write_text(json.dumps({"dist": str(dist), "files": dict(state)}))  # an older layout
    assert served_state(build, dist) == (state, None)  # the publish stats each file
    assert served_state(build, tmp_path / "elsewhere") is None


def test_only_changed_stats_are_looked_at(tmp_path: Path, monkeypatch):
    """A no-op compares the packed stats in one step: no file is opened; after a touch, only that file is."""
    from pipeline.core import dirswap

    build, dist = publish(tmp_path)
    opened: list[str] = []
    real = dirswap._digest
    monkeypatch.setattr(dirswap, "_digest", lambda path: opened.append(path) or real(path))
    assert drifted(build, dist) == [] and opened == []
    os.utime(dist / "css" / "x.css", ns=(1_000_000_000, 1_000_000_000))
    assert drifted(build, dist) == [] and opened == [str(dist / "css" / "x.css")]


def test_a_folder_found_whole_is_not_listed_again_while_its_stamp_holds(tmp_path: Path, monkeypatch):
    """The outputs check stats a folder it found holding all its names before, rather than listing it, unless
    the folder changed since (an entry added, removed or renamed) or had changed within two seconds of the
    listing that found it whole (the same clock tick could hide a later change)."""
    from pipeline.engine import checks

    maps, out = tmp_path / "maps", tmp_path / "out"
    (out / "css").mkdir(parents=True)
    (out / "css" / "a.1.css").write_text("a")
    (out / "index.html").write_text("<p>")
    files = [OutputFile("css/a.css", "css/a.1.css", "0" * 96, "sha384-x", 1, True),
             OutputFile("index.html", "index.html", "0" * 96, "sha384-x", 3, False)]
    map_file = write_map(maps, "pages", files)
    listed: list[str] = []
    real = checks.all_named
    monkeypatch.setattr(checks, "all_named", lambda root, folders: listed.extend(folders) or real(root, folders))
    check = outputs_exist(map_file, out)
    assert check() and sorted(listed) == ["", "css"]
    assert json.loads(listing_path(map_file).read_text())["verified"] == {}  # both changed just now: racy
    old = 1_000_000_000
    for folder in (out, out / "css"):
        os.utime(folder, ns=(old, old))  # the ctime stays recent: still racy
    listed.clear()
    assert check() and sorted(listed) == ["", "css"]
    monkeypatch.setattr(checks, "RACY_NS", 0)  # as if the folders were listed long after their last change
    listed.clear()
    assert check() and sorted(listed) == ["", "css"]
    assert set(json.loads(listing_path(map_file).read_text())["verified"]) == {"", "css"}
    listed.clear()
    assert check() and listed == []  # one stat per folder, no listing
    (out / "css" / "a.1.css").unlink()  # changes the folder's stamp
    assert not check() and listed == ["css"]
    (out / "css" / "a.1.css").write_text("a")
    listed.clear()
    assert check() and listed == ["css"]
    shutil.rmtree(out / "css")
    assert not check()


def test_the_outputs_check_reads_the_listing_of_this_very_map(tmp_path: Path):
    maps, out = tmp_path / "maps", tmp_path / "out"
    (out / "css").mkdir(parents=True)
    (out / "css" / "a.1.css").write_text("a")
    (out / "css" / "a.1.css.br").write_text("b")
    files = [OutputFile("css/a.css", "css/a.1.css", "0" * 96, "sha384-x", 1, True)]
    map_file = write_map(maps, "css", files, encodings={"css/a.css": {"br": {"path": "css/a.1.css.br"}}})
    assert read_listing(map_file) == {"css": ["a.1.css", "a.1.css.br"]}
    check = outputs_exist(map_file, out)
    assert check()
    (out / "css" / "a.1.css.br").unlink()
    assert not check()
    (out / "css" / "a.1.css.br").write_text("b")
    # A map rewritten by hand lists another file: the listing is not this map's, so the map is read.
    body = json.loads(map_file.read_text())
    body["files"][0]["path"] = "css/gone.css"
    map_file.write_text(json.dumps(body))
    assert read_listing(map_file) is None
    assert not check()
    listing_path(map_file).write_text("not json")
    assert read_listing(map_file) is None and not check()
    stamp = json.loads(json.dumps([map_file.stat().st_mtime_ns, map_file.stat().st_ctime_ns, map_file.stat().st_ino,
                                   map_file.stat().st_size]))
    for folders in ({"css": [1]}, {"css": "a.1.css"}, [["css"]]):  # the right stamp, the wrong shape
        listing_path(map_file).write_text(json.dumps({"map": stamp, "folders": folders}))
        assert read_listing(map_file) is None and not check(), folders


def test_a_staging_folder_left_behind_is_mended_never_written_through(tmp_path: Path):
    """What an earlier run left in a staging folder (or a spare changed by hand): a link where a folder goes,
    a file where a folder goes, a stale file. The release's files go in as new files; nothing outside changes."""
    from pipeline.steps.release import _Stage

    outside, staging, dist = tmp_path / "outside", tmp_path / "staging", tmp_path / "dist"
    outside.mkdir()
    (outside / "m.js").write_text("outside\n")
    (staging / "img").mkdir(parents=True)
    (staging / "js").symlink_to(outside, target_is_directory=True)  # a link where a folder goes
    (staging / "css").write_text("a file where a folder goes\n")
    (staging / "img" / "stale.png").write_bytes(b"stale")
    source = tmp_path / "source.js"
    source.write_text("new\n")
    stage = _Stage(staging, dist, {}, {})
    stage.reuse()
    for relative in ("js/m.js", "css/a.css", "img/new.png"):
        assert not stage.keep(relative, None)  # nothing published before
        stage.copy(source, relative)
    stage.sweep()
    assert (outside / "m.js").read_text() == "outside\n" and sorted(p.name for p in outside.iterdir()) == ["m.js"]
    assert not (staging / "js").is_symlink() and (staging / "js" / "m.js").read_text() == "new\n"
    found = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    assert found == ["css/a.css", "img/new.png", "js/m.js"]
    assert oct((staging / "js" / "m.js").stat().st_mode & 0o777) != oct(0o600)  # readable by a server


def test_an_mtime_past_2262_is_recorded_and_checked(tmp_path: Path):
    build, dist = tmp_path / "build", tmp_path / "dist"
    build.mkdir()
    dist.mkdir()
    (dist / "far.js").write_text("x", encoding="utf-8")
    try:
        os.utime(dist / "far.js", ns=(0, 2**63 + 10))
    except (OSError, OverflowError, ValueError):
        import pytest

        pytest.skip("this file system cannot hold an mtime past 2262")
    record_published(build, dist, ["far.js"])
    assert drifted(build, dist) == []
    (dist / "far.js").write_text("y", encoding="utf-8")
    os.utime(dist / "far.js", ns=(0, 2**63 + 10))
    assert drifted(build, dist) == ["far.js"]


def test_a_record_from_a_machine_of_the_other_byte_order_is_read_in_its_order(tmp_path: Path, monkeypatch):
    import sys

    build, dist = publish(tmp_path)
    record = json.loads((build / "published.json").read_text())
    stats = array("q")
    stats.frombytes(base64.b64decode(record["stats"]))
    stats.byteswap()
    other = "big" if sys.byteorder == "little" else "little"
    record.update(stats=base64.b64encode(stats.tobytes()).decode(), byteorder=other)
    (build / "published.json").write_text(json.dumps(record))
    assert drifted(build, dist) == []


def test_the_publish_takes_the_stats_the_check_just_took(tmp_path: Path, monkeypatch):
    """The release's check stats every published file right before the publish, which needs the same stats
    (with the inodes): taken once. Older than ``FRESH_S``, or for another record, they are taken again."""
    import time
    import types

    from pipeline.core import dirswap

    build, dist = publish(tmp_path)
    calls: list[str] = []
    real = dirswap.packed_stats
    monkeypatch.setattr(dirswap, "packed_stats", lambda *a, **k: calls.append("stat") or real(*a, **k))
    monkeypatch.setattr(dirswap, "FRESH_S", 600.0)  # however slow the machine, these calls are "right after"
    inodes = {relative: os.stat(dist / relative).st_ino for relative in FILES}
    assert drifted(build, dist) == [] and calls == ["stat"]
    _, intact = served_state(build, dist)
    assert calls == ["stat"] and intact == inodes
    assert served_state(build, dist)[1] == intact and calls == ["stat", "stat"]  # taken once, then stat'ed

    (dist / "z.txt").write_bytes(b"ZZZ")  # drift: the check's stats (with the inodes) serve the publish too
    assert drifted(build, dist) == ["z.txt"] and calls.count("stat") == 3
    assert served_state(build, dist)[1] == {k: v for k, v in inodes.items() if k != "z.txt"}
    assert calls.count("stat") == 3

    record_published(build, dist, list(FILES))
    drifted(build, dist)
    monkeypatch.setattr(dirswap, "time", types.SimpleNamespace(monotonic=lambda: time.monotonic() + 601))
    (dist / "a.txt").write_bytes(b"aaaa")  # after the check: seen because the publish stats again
    assert "a.txt" not in served_state(build, dist)[1] and calls.count("stat") == 5

    monkeypatch.setattr(dirswap, "time", time)
    drifted(build, dist)
    record_published(build, dist, list(FILES))  # a.txt as it is now: a new record, whose files are stat'ed
    assert served_state(build, dist)[1]["a.txt"] == os.stat(dist / "a.txt").st_ino
