"""pipeline.core.jsonio's documents memo: a file is decoded once per version of it in a process."""

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
