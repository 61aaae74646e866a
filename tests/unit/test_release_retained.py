"""The publish's view of the last release (pipeline.steps.release._retained): the manifest dist/ serves is read
a block of lines at a time while dist/ holds it as published, else decoded whole, and both give the files a
release retains."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.assets import asset_manifest
from pipeline.steps.release import _retained


def served(tmp_path: Path) -> tuple[Path, bytes]:
    """A dist/ whose manifest lists two hashed files (one with a sibling), a page, and one retained file."""
    entry = {"encodings": {}, "hash": "0" * 96, "hashed": True, "integrity": "sha384-x", "size": 1, "type": "text/css"}
    manifest = {"version": 1, "app": "x", "base": "/", "entry": "index.html",
                "assets": {"a.css": {**entry, "path": "a.1111111111111111.css",
                                     "encodings": {"br": {"path": "a.1111111111111111.css.br", "size": 1}}},
                           "b.css": {**entry, "path": "b.2222222222222222.css"},
                           "index.html": {**entry, "hashed": False, "path": "index.html"}},
                "retained": {"old.3333333333333333.css": {"releases_ago": 1}}}
    dist = tmp_path / "dist"
    dist.mkdir()
    data = asset_manifest.dumps(manifest)
    (dist / asset_manifest.MANIFEST_NAME).write_bytes(data)
    return dist, data


EXPECTED = {"a.1111111111111111.css": 1, "a.1111111111111111.css.br": 1, "old.3333333333333333.css": 2}


@pytest.mark.parametrize("intact", [True, False])
def test_the_last_release_gives_the_same_retained_files_read_by_lines_or_whole(tmp_path: Path, intact: bool):
    dist, _ = served(tmp_path)
    untouched = {asset_manifest.MANIFEST_NAME: 1} if intact else {}
    assert _retained(dist, ["b.2222222222222222.css", "index.html"], 2, untouched) == EXPECTED


@pytest.mark.parametrize("edit", ["bom", "indented", "nan"])
def test_a_manifest_edited_by_hand_is_decoded_whole_as_before(tmp_path: Path, edit: str):
    """Not as published (or of another shape): the standard decoder's reading, a BOM or a NaN included."""
    import json

    dist, data = served(tmp_path)
    path = dist / asset_manifest.MANIFEST_NAME
    if edit == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + data)
    elif edit == "indented":
        path.write_text(json.dumps(json.loads(data), indent=2))
    else:
        path.write_bytes(data.replace(b'"version": 1', b'"version": NaN'))
    for untouched in ({}, {asset_manifest.MANIFEST_NAME: 1}):  # an indented one is refused by lines, then decoded
        assert _retained(dist, ["b.2222222222222222.css", "index.html"], 2, untouched) == EXPECTED, untouched
