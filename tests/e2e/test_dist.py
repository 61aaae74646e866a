"""What a deploy gets: a dist/ where every reference resolves, names match contents, the manifest is
exact, and precompressed siblings decode to their originals."""

from __future__ import annotations

import gzip
import hashlib
import json
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

import brotli
import pytest
from jsonschema import Draft202012Validator
from support import EXAMPLE, tags

from pipeline.assets import minify
from pipeline.assets.rewrite import css, html, js
from pipeline.config.model import schema
from pipeline.wasm.toolchain import find_toolchain

pytestmark = pytest.mark.e2e
HASHED = re.compile(r"\.([0-9a-f]{16})(\.[A-Za-z0-9]+)?$")


def manifest(dist: Path) -> dict:
    return json.loads((dist / "asset-manifest.json").read_text())


def local_references(path: Path, dist: Path) -> list[str]:
    """Served paths referenced by a file of dist/, resolved the way a browser would."""
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(dist).as_posix()
    if path.suffix == ".html":
        urls = [r.url for r in html.references(html.parse(path.read_bytes())) if r.kind == html.ASSET]
    elif path.suffix == ".css":
        urls = [r.url for r in css.references(text)]
    else:
        urls = [r.url for r in js.references(text) if js.is_relative_specifier(r.url) or r.kind == "url"]
    resolved = []
    for url in urls:
        clean = unquote(url.split("?")[0].split("#")[0])
        if re.match(r"^[a-z]+:", clean) or clean.startswith("//"):
            continue
        joined = clean.lstrip("/") if clean.startswith("/") else posixpath.join(posixpath.dirname(relative), clean)
        resolved.append(posixpath.normpath(joined))
    return resolved


def test_every_reference_resolves_to_a_file(built_example: Path):
    checked = 0
    for path in built_example.rglob("*"):
        if path.suffix in {".html", ".css", ".js"}:
            for target in local_references(path, built_example):
                assert (built_example / target).is_file(), f"{path.name} references missing {target}"
                checked += 1
    assert checked >= 10  # the shell, stylesheet, font, images, modules and loader are all referenced


def test_the_loader_chain_points_at_hashed_runtime_and_wasm(built_example: Path):
    assets = manifest(built_example)["assets"]
    page = (built_example / "index.html").read_text()
    assert f'/{assets["bootstrap.js"]["path"]}' in [s.get("src") for s in tags(page, "script")]
    assert "data-vango" not in page  # the marker was replaced
    loader = (built_example / assets["bootstrap.js"]["path"]).read_text()
    assert f'"./{assets["wasm_exec.js"]["path"]}"' in loader
    assert f'"./{assets["app.wasm"]["path"]}"' in loader
    assert re.search(rf"WASM_SIZE\s*=\s*{assets['app.wasm']['size']}\b", loader)


def test_hashed_names_are_hashes_of_the_final_bytes(built_example: Path):
    hashed = [p for p in built_example.rglob("*") if HASHED.search(p.name)]
    assert len(hashed) >= 10
    for path in hashed:
        assert HASHED.search(path.name).group(1) == hashlib.sha384(path.read_bytes()).hexdigest()[:16], path


def test_manifest_validates_and_describes_exactly_the_files(built_example: Path):
    data = manifest(built_example)
    Draft202012Validator(schema("asset-manifest.schema.json")).validate(data)
    listed = {"asset-manifest.json"}
    for logical, asset in data["assets"].items():
        body = (built_example / asset["path"]).read_bytes()
        digest = hashlib.sha384(body).digest()
        assert asset["size"] == len(body)
        assert asset["hash"] == digest.hex()
        assert asset["integrity"] == "sha384-" + __import__("base64").b64encode(digest).decode()
        assert asset["hashed"] == (asset["path"] != logical)
        listed.add(asset["path"])
        listed.update(e["path"] for e in asset["encodings"].values())
    on_disk = {p.relative_to(built_example).as_posix() for p in built_example.rglob("*") if p.is_file()}
    assert on_disk == listed
    sources = {p.relative_to(EXAMPLE / "web").as_posix() for p in (EXAMPLE / "web").rglob("*") if p.is_file()}
    assert sources <= set(data["assets"])  # every source file is published
    assert {"app.wasm", "wasm_exec.js", "bootstrap.js", "robots.txt"} <= set(data["assets"])
    assert data["assets"]["app.wasm"]["type"] == "application/wasm"


def test_precompressed_siblings_decode_to_the_original(built_example: Path):
    assets = manifest(built_example)["assets"]
    assert set(assets["app.wasm"]["encodings"]) == {"br", "gzip"}
    compressed = 0
    for asset in assets.values():
        original = (built_example / asset["path"]).read_bytes()
        for encoding, entry in asset["encodings"].items():
            packed = (built_example / entry["path"]).read_bytes()
            assert entry["size"] == len(packed) < len(original)
            assert (brotli.decompress(packed) if encoding == "br" else gzip.decompress(packed)) == original
            compressed += 1
    assert compressed >= 6
    small = [a for a in assets.values() if a["size"] < 1024]
    assert small and all(not a["encodings"] for a in small)  # below min_size: left alone


def test_runtime_comes_from_the_compiling_toolchain(built_example: Path):
    assets = manifest(built_example)["assets"]
    shipped = (built_example / assets["wasm_exec.js"]["path"]).read_bytes()
    # minified (release builds), its copyright notice kept
    original = find_toolchain().wasm_exec().read_text(encoding="utf-8")
    assert shipped.decode() == minify.js_keeping_notice(original)
    assert shipped.startswith(b"/*! Copyright ") and b"The Go Authors" in shipped
    wasm = (built_example / assets["app.wasm"]["path"]).read_bytes()
    assert wasm[:4] == b"\0asm"


def test_public_files_keep_their_names_and_bytes(built_example: Path):
    assert (built_example / "robots.txt").read_bytes() == (EXAMPLE / "public" / "robots.txt").read_bytes()
