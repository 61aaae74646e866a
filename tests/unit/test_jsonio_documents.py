"""pipeline.core.jsonio: the documents memo (decoded once per version of a file) and the caches' JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.core import jsonio


def test_a_document_is_decoded_once_per_version_of_its_file(tmp_path: Path):
    path = tmp_path / "doc.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    first = jsonio.read_document(path)
    assert first == {"a": 1} and jsonio.read_document(path) is first
    path.write_text('{"a": 2}', encoding="utf-8")  # same size, new bytes: another mtime or ctime
    assert jsonio.read_document(path) == {"a": 2}
    replaced = tmp_path / "new.json"
    replaced.write_text('{"a": 3}', encoding="utf-8")
    stat = path.stat()
    os.replace(replaced, path)  # another inode
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert jsonio.read_document(path) == {"a": 3}


def test_a_remembered_document_is_taken_while_its_file_is_unchanged(tmp_path: Path):
    path = tmp_path / "doc.json"
    written = {"assets": {"x": 1}}
    path.write_text(json.dumps(written), encoding="utf-8")
    jsonio.remember_document(path, written)
    assert jsonio.read_document(path) is written
    path.write_text('{"assets": {}}', encoding="utf-8")
    assert jsonio.read_document(path) == {"assets": {}}
    jsonio.remember_document(tmp_path / "missing.json", written)  # nothing to stamp: not remembered
    with pytest.raises(OSError):
        jsonio.read_document(tmp_path / "missing.json")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError):
        jsonio.read_document(path)


def test_cache_json_is_sorted_and_compact_and_reads_back() -> None:
    document = {"b": [1, "é\u2028", None, True], "a": {"z": 2**63 + 5, "y": -(2**63)}}
    data = jsonio.cache_dumps(document)
    assert data == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert jsonio.cache_loads(data) == document


@pytest.mark.parametrize("value", [2**64 + 1, -(2**63) - 1, "\ud800x", {"a": [2**70, "\udfff"]}])
def test_cache_json_that_orjson_refuses_takes_the_standard_encoder_and_reads_back_exactly(value) -> None:
    """An mtime past the year 2554 in nanoseconds (``touch -d``) is an integer beyond 64 bits; a stylesheet's
    CSS escape ``\\d800`` a lone surrogate. Both are written, and read back as they were, not as a float."""
    data = jsonio.cache_dumps({"stamp": value})
    assert data.startswith(b" ") and data.isascii()
    found = jsonio.cache_loads(data)["stamp"]
    assert found == value and type(found) is type(value)


def test_cache_json_written_before_by_the_standard_encoder_still_reads() -> None:
    assert jsonio.cache_loads(json.dumps({"s": "\ud800", "n": 5}).encode()) == {"s": "\ud800", "n": 5}


@pytest.mark.parametrize("data", [b"", b"{", b"[1,]", b"\xff", b" {"])
def test_cache_json_that_is_not_json_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        jsonio.cache_loads(data)
