"""pipeline.assets.asset_manifest: building, validating and listing dist/asset-manifest.json."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest

from pipeline.assets import asset_manifest as manifest
from pipeline.assets import manifest_lines
from pipeline.assets.manifest_lines import lend
from pipeline.config.model import AppConfig
from pipeline.core.hashing import fingerprint
from pipeline.engine.maps import OutputFile

CONTENTS = {
    "index.html": (b"<!DOCTYPE html><title>x</title>", False),
    "css/app.css": (b"body{color:red}", True),
    "main.wasm": (b"\0asm\x01\0\0\0", True),
    "site.webmanifest": (b"{}", True),
}


def output(logical: str, data: bytes, hashed: bool) -> OutputFile:
    fp = fingerprint(data)
    if hashed:
        stem, _, ext = logical.rpartition(".")
        path = f"{stem}.{hashlib.sha384(data).hexdigest()[:16]}.{ext}"
    else:
        path = logical
    return OutputFile.from_fingerprint(logical, path, fp, hashed)


@pytest.fixture
def built() -> dict:
    files = {name: output(name, data, hashed) for name, (data, hashed) in CONTENTS.items()}
    encodings = {
        "css/app.css": {
            "br": {"path": files["css/app.css"].path + ".br", "size": 10},
            "gzip": {"path": files["css/app.css"].path + ".gz", "size": 12},
        },
        "main.wasm": {"gzip": {"path": files["main.wasm"].path + ".gz", "size": 3}},
    }
    return manifest.build_manifest(AppConfig(name="demo", base="/app/"), files, encodings)


def test_build_manifest_shape(built: dict) -> None:
    assert built["version"] == 1
    assert (built["app"], built["base"], built["entry"]) == ("demo", "/app/", "index.html")
    assert list(built["assets"]) == sorted(CONTENTS)
    for name, (data, hashed) in CONTENTS.items():
        asset = built["assets"][name]
        digest = hashlib.sha384(data).digest()
        assert asset["hash"] == digest.hex()
        assert asset["integrity"] == "sha384-" + base64.b64encode(digest).decode()
        assert asset["size"] == len(data)
        assert asset["hashed"] is hashed
        assert (asset["path"] != name) is hashed
    assert built["assets"]["main.wasm"]["type"] == "application/wasm"
    assert built["assets"]["site.webmanifest"]["type"] == "application/manifest+json"
    assert built["assets"]["css/app.css"]["type"] == "text/css"
    assert built["assets"]["index.html"]["encodings"] == {}
    assert set(built["assets"]["css/app.css"]["encodings"]) == {"br", "gzip"}


def test_built_manifest_is_valid(built: dict) -> None:
    assert manifest.validate_manifest(built) == []


def test_encodings_are_copied_not_shared() -> None:
    files = {"a.css": output("a.css", b"a", True)}
    encodings = {"a.css": {"br": {"path": "a.br", "size": 1}}}
    built = manifest.build_manifest(AppConfig(name="x"), files, encodings)
    built["assets"]["a.css"]["encodings"]["gzip"] = {"path": "a.gz", "size": 1}
    assert "gzip" not in encodings["a.css"]


def mutate(doc: dict, path: list, value: object = None, delete: bool = False) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "delete", "expected_path"),
    [
        (["version"], 2, False, "$.version"),
        (["app"], "", False, "$.app"),
        (["base"], "app/", False, "$.base"),
        (["entry"], None, True, "$"),
        (["extra"], 1, False, "$"),
        (["assets", "css/app.css", "hash"], "ABC", False, "$.assets['css/app.css'].hash"),
        (["assets", "css/app.css", "hash"], "0" * 64, False, "$.assets['css/app.css'].hash"),
        (["assets", "css/app.css", "integrity"], "sha256-" + "A" * 43 + "=", False,
         "$.assets['css/app.css'].integrity"),
        (["assets", "css/app.css", "size"], -1, False, "$.assets['css/app.css'].size"),
        (["assets", "css/app.css", "hashed"], "yes", False, "$.assets['css/app.css'].hashed"),
        (["assets", "css/app.css", "type"], None, True, "$.assets['css/app.css']"),
        (["assets", "css/app.css", "encodings", "deflate"], {"path": "x", "size": 1}, False,
         "$.assets['css/app.css'].encodings"),
        (["assets", "css/app.css", "encodings", "br", "size"], None, True, "$.assets['css/app.css'].encodings.br"),
    ],
)
def test_validate_manifest_reports_json_paths(built: dict, path: list, value: object, delete: bool,
                                              expected_path: str) -> None:
    errors = manifest.validate_manifest(mutate(built, path, value, delete))
    assert errors, "the mutation must be reported"
    assert any(e.startswith(expected_path + ": ") for e in errors), errors


def test_served_files_lists_every_path_once_sorted(built: dict) -> None:
    served = manifest.served_files(built)
    expected = {manifest.MANIFEST_NAME}
    for asset in built["assets"].values():
        expected.add(asset["path"])
        expected.update(e["path"] for e in asset["encodings"].values())
    assert served == sorted(expected)
    assert len(served) == len(CONTENTS) + 3 + 1
    assert "index.html" in served and manifest.MANIFEST_NAME in served


def test_served_files_of_empty_manifest() -> None:
    empty = {"version": 1, "app": "x", "base": "/", "entry": "index.html", "assets": {}}
    assert manifest.validate_manifest(empty) == []
    assert manifest.served_files(empty) == [manifest.MANIFEST_NAME]


def test_dumps_is_stable_sorted_utf8_json(built: dict) -> None:
    built["app"] = "café"
    data = manifest.dumps(built)
    assert data.endswith(b"}\n")
    assert "café".encode() in data
    assert json.loads(data) == built
    assert data == manifest.dumps(json.loads(data))
    orders: list[list[str]] = []
    json.loads(data, object_pairs_hook=lambda pairs: orders.append([k for k, _ in pairs]) or dict(pairs))
    assert len(orders) > 5
    assert all(keys == sorted(keys) for keys in orders)  # every object, at every depth


def test_dumps_writes_one_asset_per_line(built: dict) -> None:
    built["retained"] = {"old.1234.css": {"releases_ago": 1}}
    lines = manifest.dumps(built).decode().splitlines()
    for name, asset in built["assets"].items():
        (line,) = [line for line in lines if line.lstrip().startswith(json.dumps(name) + ":")]
        assert json.loads(line.strip().rstrip(",").split(": ", 1)[1]) == asset
    assert '    "old.1234.css": {"releases_ago": 1}' in lines
    assert lines[0] == "{" and lines[-1] == "}"


def test_dumps_lends_the_previous_lines_of_equal_entries_and_writes_the_same_bytes(built: dict) -> None:
    built["assets"]['odd "name"\\\n.css'] = dict(built["assets"]["css/app.css"], path="odd.css")
    built["assets"]["é.css"] = dict(built["assets"]["css/app.css"], path="e.css")
    built["retained"] = {"old.1234.css": {"releases_ago": 1}, "older.99.js": {"releases_ago": 2}}
    before = manifest.dumps(built)
    edited = copy.deepcopy(built)
    edited["assets"]["css/app.css"]["size"] += 1  # changed
    del edited["assets"]["main.wasm"]  # removed
    edited["assets"]["new.js"] = dict(built["assets"]["css/app.css"], path="new.1.js")  # added
    edited["retained"]["older.99.js"]["releases_ago"] = 3
    for document in (built, edited, {**edited, "retained": {}}, {k: v for k, v in edited.items() if k != "retained"}):
        assert manifest.dumps(document, lend(document, before)) == manifest.dumps(document)
    # A line that is not the one the encoder writes for that entry shows it was lent, and from where.
    marked = before.replace(b'"size": 15, "type": "text/css"}', b'"size": 15,  "type": "text/css"}', 1)
    assert b"15,  " in manifest.dumps(built, lend(built, marked))
    assert b"15,  " not in manifest.dumps(edited, lend(edited, marked))  # that entry changed: encoded again


@pytest.mark.parametrize("chunk", [1, 2, 3, 1000])
def test_lend_gives_spans_of_equal_lines_and_names_the_rest(monkeypatch, built: dict, chunk: int) -> None:
    """Lines lent one after another are one span, whatever the chunks the old block is decoded in; what is
    not lent is what the schema checks again."""
    monkeypatch.setattr(manifest_lines, "CHUNK", chunk)
    for i in range(6):
        built["assets"][f"x{i}.css"] = dict(built["assets"]["css/app.css"], path=f"x{i}.1.css")
    before = manifest.dumps(built)
    edited = copy.deepcopy(built)
    edited["assets"]["x2.css"]["size"] += 1
    del edited["assets"]["x4.css"]
    edited["assets"]["x30.css"] = dict(built["assets"]["css/app.css"], path="x30.1.css")
    lent = lend(edited, before)
    runs = lent.blocks["assets"]
    assert [run for run in runs if isinstance(run, str)] == ["x2.css", "x30.css"]
    spans = [before[a:b].decode() for a, b in (run for run in runs if isinstance(run, tuple))]
    assert len(spans) == 3  # before x2, between x2 and x30, after x4 was dropped
    (x3,) = [line for line in before.decode().splitlines() if line.startswith('    "x3.css"')]
    assert spans[1] == x3.rstrip(",")
    assert lent.changed(edited)["assets"] == {name: edited["assets"][name] for name in ("x2.css", "x30.css")}
    assert manifest.dumps(edited, lent) == manifest.dumps(edited)
    assert lend(built, before).blocks["assets"] == [(before.index(b'    "css/'), before.index(b'\n  }'))]


def test_entries_reads_the_blocks_a_chunk_at_a_time(monkeypatch, built: dict) -> None:
    monkeypatch.setattr(manifest_lines, "CHUNK", 2)
    built["retained"] = {"old.1234.css": {"releases_ago": 1}, "older.99.js": {"releases_ago": 2}}
    data = manifest.dumps(built)
    assert dict(manifest_lines.entries(data, "assets")) == built["assets"]
    assert dict(manifest_lines.entries(data, "retained")) == built["retained"]
    del built["retained"]
    assert list(manifest_lines.entries(manifest.dumps(built), "retained")) == []
    assert list(manifest_lines.entries(manifest.dumps({**built, "assets": {}}), "assets")) == []


@pytest.mark.parametrize("shape", ["indented", "one line", "unsorted", "two a line", "missing comma"])
def test_entries_refuses_text_of_another_shape(built: dict, shape: str) -> None:
    """The publish reads the last release's manifest this way only while dist/ holds it as published; text of
    any other layout is refused (and then decoded whole), never misread."""
    data = manifest.dumps(built)
    lines = data.decode().split("\n")
    assets = [i for i, line in enumerate(lines) if line.startswith("    ")]
    if shape == "indented":
        data = json.dumps(built, indent=2, sort_keys=True).encode()
    elif shape == "one line":
        data = json.dumps(built, sort_keys=True).encode()
    elif shape == "unsorted":
        lines[assets[0]], lines[assets[1]] = lines[assets[1]].rstrip(",") + ",", lines[assets[0]]
        data = "\n".join(lines).encode()
    elif shape == "two a line":
        lines[assets[0]] = lines[assets[0]] + " " + lines[assets[1]].strip()
        del lines[assets[1]]
        data = "\n".join(lines).encode()
    else:
        lines[assets[0]] = lines[assets[0]].rstrip(",")
        data = "\n".join(lines).encode()
    with pytest.raises(ValueError):
        list(manifest_lines.entries(data, "assets"))


@pytest.mark.parametrize("previous", [
    b"", b"\xff\xfe", b"[]", json.dumps({"assets": {"x": 1}}, indent=2).encode(), b'{\n  "assets": {\n  }\n}\n',
])
def test_dumps_lends_nothing_from_bytes_it_did_not_write(built: dict, previous: bytes) -> None:
    try:
        document = json.loads(previous)
    except ValueError:
        document = {"assets": {"css/app.css": built["assets"]["css/app.css"]}}
    assert manifest.dumps(built, lend(built, previous, written_from=document)) == manifest.dumps(built)
    assert manifest.dumps(built, lend(built, previous)) == manifest.dumps(built)


def test_dumps_takes_the_text_of_a_block_it_wrote_for_that_very_object(built: dict) -> None:
    """The publish writes the index step's assets again with its retained files: that block is the previous
    document's own object, and its text is taken as it is; the bytes are what encoding it gives."""
    before = manifest.dumps(built)
    published = {**built, "retained": {"old.1234.css": {"releases_ago": 1}}}
    assert manifest.dumps(published, lend(published, before, written_from=built)) == manifest.dumps(published)
    marked = before.replace(b'"size": 15, "type": "text/css"}', b'"size": 15,  "type": "text/css"}', 1)
    lent = lend(published, marked, written_from=built)
    assert b"15,  " in manifest.dumps(published, lent)  # taken from the previous bytes
    assert lent.blocks["assets"] == [(marked.index(b'    "css/'), marked.index(b'\n  }'))]  # one span, not decoded
    # Bytes of another shape, or of other names as many, for the same object lend nothing.
    indented = json.dumps(built, indent=2).encode()
    assert manifest.dumps(published, lend(published, indented, written_from=built)) == manifest.dumps(published)
    renamed = manifest.dumps({**built, "assets": {f"{k}x": v for k, v in built["assets"].items()}})
    assert manifest.dumps(published, lend(published, renamed, written_from=built)) == manifest.dumps(published)
