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
    assert jsonio.loads(data) == document


def test_cache_json_of_an_integer_beyond_64_bits_takes_the_standard_encoder() -> None:
    """An mtime past the year 2554 in nanoseconds (``touch -d``) is such an integer: written all the same."""
    document = {"stamp": [2**64 + 1, 3]}
    assert json.loads(jsonio.cache_dumps(document)) == document


@pytest.mark.parametrize("data", [b"", b"{", b"[1,]", b"\xff"])
def test_cache_json_that_is_not_json_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        jsonio.loads(data)
