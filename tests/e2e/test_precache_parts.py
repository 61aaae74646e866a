"""A large app's service worker: its precache list in parts (``sw-precache-<n>.<hash>.js``, imported by
``sw.js``), which together list every file of the release, and an edit of one file changes one part."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from pipeline.pwa.serviceworker import PART_ENTRIES

pytestmark = pytest.mark.e2e

PART = re.compile(r"^sw-precache-(\d+)\.[0-9a-f]{16}\.js$")


def parts_of(dist: Path) -> dict[str, str]:
    """The parts in dist/, by logical name, from the manifest."""
    assets = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    return {name: asset["path"] for name, asset in assets.items() if PART.match(asset["path"])}


def listed(dist: Path, parts: dict[str, str]) -> list[str]:
    """Every URL the parts list, as the worker joins them."""
    urls = []
    for path in parts.values():
        text = (dist / path).read_text(encoding="utf-8")
        named, checked = json.loads(text.removeprefix("self.VANGO_PRECACHE.push(").removesuffix(");\n"))
        urls += named + [url for url, _ in checked]
    return urls


@pytest.mark.parametrize("base", ["/", "/app/"])
def test_a_large_app_lists_its_files_in_parts_and_an_edit_changes_one(app: Path, vango, base: str):
    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    (app / "vango.json").write_text(json.dumps({**config, "base": base}), encoding="utf-8")
    data = app / "web" / "data"
    data.mkdir()
    for i in range(PART_ENTRIES + 100):
        (data / f"f{i}.txt").write_text(f"file {i}\n", encoding="utf-8")
    assert vango(app, "build").returncode == 0
    dist = app / "dist"
    parts = parts_of(dist)
    # two parts of files named by their hash, then one of those that carry their SRI value (the pages)
    assert sorted(parts) == ["sw-precache-0.js", "sw-precache-1.js", "sw-precache-2.js"]
    pages = (dist / parts["sw-precache-2.js"]).read_text(encoding="utf-8")
    assert f'"{base}index.html"' in pages and f'"{base}data/' not in pages
    worker = (dist / "sw.js").read_text(encoding="utf-8")
    imported = re.search(r"importScripts\(([^)]*)\)", worker)
    assert imported is not None and json.loads(f"[{imported.group(1)}]") == [f"{base}{p}" for p in parts.values()]
    assets = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    # The worker and its parts are not precached, nor the server's files (they come after the worker)
    everything = {f"{base}{a['path']}" for name, a in assets.items()
                  if name not in {"sw.js", "_headers", "nginx.conf", *parts}}
    urls = listed(dist, parts)
    assert len(urls) == len(everything) and set(urls) == everything
    assert f'"{base}data/f7.' not in worker  # sw.js itself lists no file

    stats = {path: os.stat(dist / path) for path in parts.values()}
    (data / "f7.txt").write_text("file 7, edited\n", encoding="utf-8")
    assert vango(app, "build").returncode == 0
    after = parts_of(dist)
    changed = [name for name in parts if after[name] != parts[name]]
    assert len(changed) == 1
    for kept in set(parts) - set(changed):
        stat = os.stat(dist / after[kept])
        assert (stat.st_ino, stat.st_mtime_ns) == (stats[parts[kept]].st_ino, stats[parts[kept]].st_mtime_ns)
    edited = next(url for url in listed(dist, {changed[0]: after[changed[0]]}) if url.startswith(f"{base}data/f7."))
    assert f"{base}{json.loads((dist / 'asset-manifest.json').read_text())['assets']['data/f7.txt']['path']}" == edited
    assert after[changed[0]] in (dist / "sw.js").read_text(encoding="utf-8")


def test_the_names_of_the_parts_are_reserved_whatever_the_apps_size(app: Path, vango):
    """A file of the app named like a part fails the build with one line naming it, as soon as it is added
    (not the day the app outgrows one list), and dist/ stays as it was."""
    assert vango(app, "build").returncode == 0
    before = {p: p.read_bytes() for p in (app / "dist").rglob("*") if p.is_file()}
    (app / "public" / "sw-precache-0.js").write_text("// mine\n", encoding="utf-8")
    run = vango(app, "build")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    failed = next(e for e in run.events if e.get("event") == "task.failed")
    assert failed["task"] == "sw" and failed["error"] == (
        "'sw-precache-0.js' is reserved for the service worker's precache parts (sw-precache-<n>.js); "
        "rename that file")
    assert {p: p.read_bytes() for p in (app / "dist").rglob("*") if p.is_file()} == before
