"""The text steps' source memo (pipeline.steps.textcache): a source whose stat is the last run's is not read,
one changed within the racy window is read again next run, and one that changes while the build reads it
is an error rather than a mix of two versions."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipeline.core.errors import PipelineError
from pipeline.steps import textcache
from pipeline.steps.textcache import TextCache, text_digest


def aged(path: Path, seconds: int = 60) -> None:
    past = time.time_ns() - seconds * 1_000_000_000
    os.utime(path, ns=(past, past))


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The racy rule's clock a minute ahead: what was just written (its ctime is now) counts as settled."""
    monkeypatch.setattr(textcache, "now_ns", lambda: time.time_ns() + 60 * 1_000_000_000)


def reopened(tmp_path: Path, cache: TextCache | None = None) -> TextCache:
    if cache is not None:
        cache.save()
    return TextCache(tmp_path / "cache.json", "fp", tmp_path)


def test_an_unchanged_source_is_not_read_again(tmp_path: Path, later):
    sheet, first = stamped(tmp_path)
    assert first.read == 1
    again = reopened(tmp_path, first)
    assert again.source("a.css", sheet) == text_digest("a { color: red }\n") and again.read == 0
    assert again.source_text("a.css", sheet) == "a { color: red }\n" and again.read == 1  # read when asked


def stamped(tmp_path: Path) -> tuple[Path, TextCache]:
    """A stylesheet an hour old, and a cache that has just taken its digest."""
    sheet = tmp_path / "a.css"
    sheet.write_text("a { color: red }\n", encoding="utf-8")
    aged(sheet)
    cache = reopened(tmp_path)
    cache.source("a.css", sheet)
    return sheet, cache


def rewritten(sheet: Path, text: str) -> None:
    """New bytes of the same size with the mtime put back (``rsync -a``, ``tar x``): only the ctime moves."""
    before = sheet.stat()
    sheet.write_text(text, encoding="utf-8")
    os.utime(sheet, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_edit_is_seen_even_with_the_same_size_and_mtime(tmp_path: Path, later):
    sheet, first = stamped(tmp_path)
    time.sleep(0.05)  # past a tick of a coarse ctime clock (what the racy rule covers when the clock is real)
    rewritten(sheet, "a { color: tan }\n")
    again = reopened(tmp_path, first)
    assert again.source("a.css", sheet) == text_digest("a { color: tan }\n") and again.read == 1


@pytest.mark.parametrize("mtime_put_back", [False, True])
def test_a_source_written_within_the_racy_window_is_read_again(tmp_path: Path, mtime_put_back: bool):
    """Just written: its stat is not kept, also when its mtime was put back (rsync -a, tar x): the ctime is
    the write's."""
    sheet = tmp_path / "a.css"
    sheet.write_text("a { color: red }\n", encoding="utf-8")
    if mtime_put_back:
        aged(sheet)
    first = reopened(tmp_path)
    first.source("a.css", sheet)
    again = reopened(tmp_path, first)
    again.source("a.css", sheet)
    assert again.read == 1


def test_a_source_changed_while_the_build_reads_it_is_an_error(tmp_path: Path, later):
    sheet, first = stamped(tmp_path)
    again = reopened(tmp_path, first)
    again.source("a.css", sheet)  # its stat vouches for the last run's digest
    rewritten(sheet, "a { color: tan }\n")
    with pytest.raises(PipelineError, match="changed while the build was reading it"):
        again.source_text("a.css", sheet)
    # The failing step saves nothing, but that digest is gone from the file: building again reads the file.
    third = reopened(tmp_path)
    assert third.source("a.css", sheet) == text_digest("a { color: tan }\n") and third.read == 1


def test_a_missing_source_is_its_one_line_error(tmp_path: Path):
    with pytest.raises(PipelineError, match="not found"):
        reopened(tmp_path).source("gone.css", tmp_path / "gone.css")


def test_a_key_is_reused_only_for_the_same_parts(tmp_path: Path):
    first = reopened(tmp_path)
    first.remember_key("a.css", ["sha", ["img/x.1234.svg"], "settings"], "key1")
    again = reopened(tmp_path, first)
    assert again.fast_key("a.css", ["sha", ["img/x.5678.svg"], "settings"]) is None  # a target renamed
    assert again.fast_key("b.css", ["sha", ["img/x.1234.svg"], "settings"]) is None  # another file
    assert again.fast_key("a.css", ["sha", ["img/x.1234.svg"], "settings"]) == "key1"


def test_a_memo_holding_what_orjson_refuses_is_kept_and_read_back(tmp_path: Path):
    """A stylesheet's CSS escape ``\\d800`` in an external URL reaches the memo as a lone surrogate: the cache
    is still written (by the standard encoder) and read back as it was."""
    cache = reopened(tmp_path)
    cache.keep("csp:x", ["https://example.com/\ud800x.png"])
    again = reopened(tmp_path, cache)
    assert again.recall("csp:x") == ["https://example.com/\ud800x.png"]
