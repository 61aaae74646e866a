"""pipeline.addons.treehash: Go dirhash ``h1:`` tree hashes, diffs, summaries and the stat cache."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from pipeline.addons import treehash
from pipeline.addons.treehash import RACY_NS, StatCache, TreeError, diff, file_lines, h1, parse_summary, summary_text

HELLO_LINE = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  a.txt\n"


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def settle() -> None:
    """Let the racy window pass, so freshly written files may be cached (and a later write gets a new ctime)."""
    time.sleep(RACY_NS / 1e9 + 0.03)


def dirhash_reference(root: Path) -> str:
    """dirhash.Hash1 written out independently: os.walk, sort by UTF-8 bytes, hash the "%x  %s\\n" lines."""
    names = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            names.append(Path(folder, name).relative_to(root).as_posix())
    outer = hashlib.sha256()
    for name in sorted(names, key=lambda n: n.encode("utf-8")):
        inner = hashlib.sha256((root / name).read_bytes()).hexdigest()
        outer.update(f"{inner}  {name}\n".encode())
    return "h1:" + base64.b64encode(outer.digest()).decode()


class CountingReads:
    """Replaces the file hasher to count which files were actually read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = treehash._hash_open

        def counting(path: str):
            self.paths.append(path)
            return real(path)

        monkeypatch.setattr(treehash, "_hash_open", counting)


# --- h1 and ordering ------------------------------------------------------------------------------------------------


def test_single_file_matches_the_fixed_go_vector(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t", {"a.txt": b"hello\n"})
    lines = file_lines(root)
    assert lines == [("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", "a.txt")]
    assert summary_text(lines) == HELLO_LINE
    expected = "h1:" + base64.standard_b64encode(hashlib.sha256(HELLO_LINE.encode()).digest()).decode()
    assert h1(lines) == expected
    assert expected == "h1:" + base64.b64encode(bytes.fromhex(
        hashlib.sha256(HELLO_LINE.encode()).hexdigest())).decode()
    assert len(expected) == 47 and expected.endswith("=")


def test_h1_matches_an_independent_dirhash_of_a_nested_tree(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "t", {
        "pkg/__init__.py": b"",
        "pkg/mod.py": b"x = 1\n",
        "pkg/__pycache__/mod.cpython-311.pyc": b"\x00\x01compiled",
        "pkg-1.0.dist-info/RECORD": b"pkg/mod.py,,\n",
        "data/\u00e9t\u00e9.bin": bytes(range(256)) * 10,
        "big.bin": os.urandom(3 * treehash.CHUNK + 17),
    })
    lines = file_lines(root)
    assert h1(lines) == dirhash_reference(root)
    assert "pkg/__pycache__/mod.cpython-311.pyc" in [name for _, name in lines]  # nothing is excluded
    big = next(hexdigest for hexdigest, name in lines if name == "big.bin")
    assert big == hashlib.sha256((root / "big.bin").read_bytes()).hexdigest()


def test_lines_are_sorted_by_utf8_bytes_of_the_whole_path(tmp_path: Path) -> None:
    names = ["z", "a/b", "a.txt", "a-b/x", "B", "\u00e9", "a/a/deep", "_"]
    root = make_tree(tmp_path / "t", {n: n.encode() for n in names})
    got = [name for _, name in file_lines(root)]
    # "a-b/x" < "a.txt" < "a/a/deep" < "a/b": "-" 0x2d < "." 0x2e < "/" 0x2f, which a per-folder walk would get wrong
    assert got == ["B", "_", "a-b/x", "a.txt", "a/a/deep", "a/b", "z", "\u00e9"]
    assert got == sorted(names, key=lambda n: n.encode("utf-8"))


def test_h1_sorts_like_dirhash_and_summary_round_trips(tmp_path: Path) -> None:
    lines = [("b" * 64, "z.py"), ("a" * 64, "a.py")]
    assert summary_text(lines) == f"{'a' * 64}  a.py\n{'b' * 64}  z.py\n"
    assert h1(lines) == h1(list(reversed(lines)))
    assert parse_summary(summary_text(lines)) == sorted(lines, key=lambda line: line[1])
    assert parse_summary("") == []
    assert h1([]) == "h1:" + base64.b64encode(hashlib.sha256(b"").digest()).decode()


def test_empty_folder_has_the_empty_hash(tmp_path: Path) -> None:
    (tmp_path / "t" / "only-dirs").mkdir(parents=True)
    assert file_lines(tmp_path / "t") == []


# --- changes and diffs ----------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "t", {"web/x.py": b"print(1)\n", "mod.py": b"A = 1\n", "README": b"hi\n"})


def test_changed_byte_changes_hash_and_diff_names_it(tree: Path) -> None:
    before = file_lines(tree)
    (tree / "web/x.py").write_bytes(b"print(2)\n")
    after = file_lines(tree)
    assert h1(after) != h1(before)
    d = diff(before, after)
    assert d.changed == ("web/x.py",) and d.added == () and d.removed == ()
    assert d.first() == "web/x.py changed" and d.count() == 1 and d


def test_added_file_changes_hash_and_diff_names_it(tree: Path) -> None:
    before = file_lines(tree)
    (tree / "evil.pth").write_bytes(b"import os\n")
    after = file_lines(tree)
    assert h1(after) != h1(before)
    d = diff(before, after)
    assert d.added == ("evil.pth",) and d.first() == "evil.pth added"


def test_removed_file_changes_hash_and_diff_names_it(tree: Path) -> None:
    before = file_lines(tree)
    (tree / "mod.py").unlink()
    after = file_lines(tree)
    assert h1(after) != h1(before)
    d = diff(before, after)
    assert d.removed == ("mod.py",) and d.first() == "mod.py removed"


def test_diff_orders_changed_before_added_before_removed() -> None:
    expected = [("1" * 64, "b.py"), ("2" * 64, "gone2"), ("3" * 64, "gone1"), ("4" * 64, "z.py")]
    actual = [("1" * 64, "b.py"), ("9" * 64, "z.py"), ("5" * 64, "new2"), ("6" * 64, "new1")]
    d = diff(expected, actual)
    assert d == treehash.Diff(changed=("z.py",), added=("new1", "new2"), removed=("gone1", "gone2"))
    assert d.first() == "z.py changed" and d.count() == 5
    assert diff(expected[1:], expected).first() == "b.py added"
    same = diff(expected, expected)
    assert not same and same.count() == 0 and same.first() == ""


# --- refusals -------------------------------------------------------------------------------------------------------


def test_symlinked_file_is_refused(tree: Path) -> None:
    (tree / "web" / "link.py").symlink_to(tree / "mod.py")
    with pytest.raises(TreeError, match="symbolic link") as info:
        file_lines(tree)
    assert "link.py" in str(info.value) and info.value.exit_code == 2


def test_symlinked_folder_and_dangling_link_are_refused(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tree / "sub").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(TreeError, match="sub: symbolic link"):
        file_lines(tree)
    (tree / "sub").unlink()
    (tree / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(TreeError, match="dangling: symbolic link"):
        file_lines(tree)


def test_root_that_is_a_symlink_or_missing_is_refused(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(tree, target_is_directory=True)
    with pytest.raises(TreeError, match="symbolic link"):
        file_lines(tmp_path / "alias")
    with pytest.raises(TreeError, match="cannot read addon folder"):
        file_lines(tmp_path / "missing")
    with pytest.raises(TreeError, match="not a folder"):
        file_lines(tree / "mod.py")


def test_name_with_newline_is_refused(tree: Path) -> None:
    (tree / "web" / "bad\nname.py").write_bytes(b"")
    with pytest.raises(TreeError, match="line break") as info:
        file_lines(tree)
    assert "\n" not in str(info.value) and "'bad\\nname.py'" in str(info.value)  # still one line
    with pytest.raises(TreeError, match="line break"):
        h1([("0" * 64, "bad\nname.py")])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tree: Path) -> None:
    os.mkfifo(tree / "web" / "pipe")
    with pytest.raises(TreeError, match="special file") as info:
        file_lines(tree)
    assert "pipe" in str(info.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX byte file names")
def test_name_that_is_not_utf8_is_refused(tree: Path) -> None:
    try:
        fd = os.open(os.fsencode(tree) + b"/bad\xff.py", os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    os.close(fd)
    with pytest.raises(TreeError, match="not valid UTF-8"):
        file_lines(tree)


@pytest.mark.parametrize("text, what", [
    ("nothex  a.py\n", "malformed"),
    (f"{'a' * 64} a.py\n", "malformed"),
    (f"{'a' * 64}  a.py", "line break"),
    (f"{'a' * 64}  /etc/passwd\n", "plain relative"),
    (f"{'a' * 64}  a/../b\n", "plain relative"),
    (f"{'a' * 64}  a//b\n", "plain relative"),
    (f"{'a' * 64}  b\n{'a' * 64}  a\n", "sorted"),
    (f"{'a' * 64}  a\n{'b' * 64}  a\n", "sorted"),
])
def test_malformed_summary_is_refused(text: str, what: str) -> None:
    with pytest.raises(TreeError, match=what) as info:
        parse_summary(text, path="x.sum")
    assert str(info.value).startswith("x.sum:") and "\n" not in str(info.value)


def test_summary_keeps_carriage_returns_in_names() -> None:
    lines = [("a" * 64, "odd\rname")]
    assert parse_summary(summary_text(lines)) == lines


# --- stat cache -----------------------------------------------------------------------------------------------------


def test_cache_avoids_rereading_unchanged_files(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = CountingReads(monkeypatch)
    settle()
    cache = StatCache.load(tmp_path / "cache.json")
    first = file_lines(tree, cache, cache_prefix="demo")
    assert len(reads.paths) == 3 and cache.misses == 3
    assert "demo/web/x.py" in cache and len(cache) == 3
    reads.paths.clear()
    assert file_lines(tree, cache, cache_prefix="demo") == first
    assert reads.paths == [] and cache.hits == 3
    assert cache.save() is True

    reloaded = StatCache.load(tmp_path / "cache.json")
    assert file_lines(tree, reloaded, cache_prefix="demo") == first
    assert reads.paths == [] and reloaded.hits == 3
    assert file_lines(tree) == first  # and the cached digests are the true ones
    assert len(reads.paths) == 3


def test_cache_hit_returns_the_cached_digest_without_reading(tree: Path) -> None:
    cache = StatCache(racy_ns=0)
    st = os.stat(tree / "mod.py")
    assert cache.store("p/mod.py", st, "f" * 64) is True
    assert cache.lookup("p/mod.py", st) == "f" * 64
    lines = {name: hexdigest for hexdigest, name in file_lines(tree, cache, cache_prefix="p")}
    assert lines["mod.py"] == "f" * 64  # the file was not read: its real digest is different
    assert lines["README"] == hashlib.sha256(b"hi\n").hexdigest()


def test_same_size_rewrite_with_restored_mtime_is_rehashed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settle()
    cache = StatCache()
    before = file_lines(tree, cache)
    assert len(cache) == 3
    path = tree / "web" / "x.py"
    old = path.stat()
    path.write_bytes(b"print(9)\n")  # same size
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    new = path.stat()
    assert (new.st_size, new.st_mtime_ns, new.st_ino) == (old.st_size, old.st_mtime_ns, old.st_ino)
    assert new.st_ctime_ns != old.st_ctime_ns
    reads = CountingReads(monkeypatch)
    after = file_lines(tree, cache)
    assert reads.paths == [str(path)]
    assert diff(before, after).first() == "web/x.py changed"


def test_each_stat_field_invalidates_an_entry(tree: Path) -> None:
    cache = StatCache(racy_ns=0)
    st = os.stat(tree / "mod.py")
    for attr in ("st_ino", "st_size", "st_mtime_ns", "st_ctime_ns"):
        assert cache.store("k", st, "a" * 64) is True
        assert cache.lookup("k", FakeStat(st, **{attr: getattr(st, attr) + 1})) is None
        assert "k" not in cache  # a stale entry is forgotten
    cache.store("k", st, "a" * 64)
    assert cache.lookup("k", FakeStat(st)) == "a" * 64  # only these four fields count (not atime, say)


class FakeStat:
    """A stat result with chosen nanosecond times (os.stat_result cannot be built with them)."""

    def __init__(self, st: os.stat_result, **override: int) -> None:
        for attr in ("st_ino", "st_size", "st_mtime_ns", "st_ctime_ns"):
            setattr(self, attr, override.get(attr, getattr(st, attr)))


def test_racily_fresh_file_is_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "fresh.txt"
    path.write_bytes(b"new")
    cache = StatCache()
    st = path.stat()
    assert cache.store("fresh", st, "a" * 64, checked_ns=st.st_ctime_ns + RACY_NS // 2) is False
    assert cache.lookup("fresh", st) is None
    assert cache.store("fresh", st, "a" * 64, checked_ns=st.st_ctime_ns + RACY_NS + 1) is True
    assert cache.lookup("fresh", st) == "a" * 64


def test_save_drops_entries_not_used_and_skips_unchanged(tree: Path, tmp_path: Path) -> None:
    settle()
    cache_path = tmp_path / "cache.json"
    cache = StatCache.load(cache_path)
    file_lines(tree, cache, cache_prefix="one")
    file_lines(tree, cache, cache_prefix="two")
    assert cache.save() is True
    assert len(json.loads(cache_path.read_text())["entries"]) == 6

    again = StatCache.load(cache_path)
    file_lines(tree, again, cache_prefix="one")
    assert again.save() is True  # the "two" entries were not used: dropped
    assert sorted(json.loads(cache_path.read_text())["entries"]) == ["one/README", "one/mod.py", "one/web/x.py"]

    third = StatCache.load(cache_path)
    file_lines(tree, third, cache_prefix="one")
    stamp = cache_path.stat().st_mtime_ns
    assert third.save() is False  # nothing changed: the file is not rewritten
    assert cache_path.stat().st_mtime_ns == stamp
    assert StatCache.load(cache_path).save() is False  # a process that never used it leaves it alone


@pytest.mark.parametrize("content", [
    b"not json at all",
    b"\xff\xfe",
    b"[]",
    b'{"version": 99, "entries": {}}',
    b'{"version": 1, "entries": []}',
    b'{"version": 1, "entries": {"t/mod.py": [1, 2]}}',
    b'{"version": 1, "entries": {"t/mod.py": [1, 2, 3, 4, "nothex"]}}',
    b'{"version": 1, "entries": {"t/mod.py": [true, 2, 3, 4, "' + b"a" * 64 + b'"]}}',
])
def test_corrupt_cache_file_is_ignored(tree: Path, tmp_path: Path, content: bytes) -> None:
    cache_path = tmp_path / "cache.json"
    cache_path.write_bytes(content)
    cache = StatCache.load(cache_path)
    assert len(cache) == 0
    assert file_lines(tree, cache, cache_prefix="t") == file_lines(tree)


def test_corrupt_cache_file_is_replaced_on_save(tree: Path, tmp_path: Path) -> None:
    settle()
    cache_path = tmp_path / "cache.json"
    cache_path.write_bytes(b"{garbage")
    cache = StatCache.load(cache_path)
    file_lines(tree, cache, cache_prefix="t")
    assert cache.save() is True
    assert len(StatCache.load(cache_path)) == 3
    assert list(tmp_path.glob(".cache.json.*")) == []  # the atomic write left no temporary file behind


def test_missing_cache_file_and_unwritable_location_are_not_errors(tree: Path, tmp_path: Path) -> None:
    settle()
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    cache = StatCache.load(blocker / "cache.json")  # parent is a file: cannot be read or written
    assert len(cache) == 0
    file_lines(tree, cache)
    assert cache.save() is False


def test_sha256_file_reads_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "wheel.whl"
    data = os.urandom(2 * treehash.CHUNK + 5)
    path.write_bytes(data)
    assert treehash.sha256_file(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(TreeError, match="cannot read"):
        treehash.sha256_file(tmp_path / "missing.whl")


def test_two_thousand_cached_files_are_checked_without_reading(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "t"
    for folder in range(40):
        sub = root / f"pkg{folder}" / "__pycache__"
        sub.mkdir(parents=True)
        for index in range(25):
            (sub.parent / f"m{index}.py").write_bytes(b"x")
            (sub / f"m{index}.pyc").write_bytes(b"y")
    settle()
    cache = StatCache()
    expected = file_lines(root, cache)
    assert len(expected) == 2000 and len(cache) == 2000
    reads = CountingReads(monkeypatch)
    started = time.perf_counter()
    assert file_lines(root, cache) == expected
    elapsed = time.perf_counter() - started
    assert reads.paths == []
    assert elapsed < 1.0  # generous for slow CI; locally it takes a few milliseconds
