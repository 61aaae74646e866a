"""Safe publishing defaults: what never belongs on a web server stays out of dist/ unless the app lists it,
and ``publish.include``/``publish.exclude`` change the rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

JUNK = {"web/main.go": "package main\n", "web/.env": "SECRET=1\n", "web/stale.wasm": "\0asm",
        "web/js/wasm_exec.js": "// an old runtime\n", "web/vango.json": "{}", "public/go.mod": "module x\n",
        "public/.secret": "x", "public/addons.lock": "", "public/.well-known/security.txt": "Contact: a@b.c\n",
        "public/.nojekyll": ""}


def test_the_default_rule_and_its_override(app: Path, vango):
    for name, text in JUNK.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text, encoding="utf-8")
    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    config["publish"] = {"include": [".nojekyll"]}
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    dist = app / "dist"
    published = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    assert ".well-known/security.txt" in published and ".nojekyll" in published and "robots.txt" in published
    leaked = {n for n in published if n.split("/")[-1] in {"main.go", ".env", "stale.wasm", "go.mod", ".secret",
                                                           "vango.json", "addons.lock"}}
    assert not leaked and not any(n.startswith("js/wasm_exec") for n in published)
    manifest = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))
    assert not any(name.endswith(("main.go", ".env", "stale.wasm")) for name in manifest["assets"])
    warnings = sorted(e["msg"] for e in run.events if e.get("event") == "publish.left_out")
    assert warnings == [
        "web/js/wasm_exec.js is not published: a copy of wasm_exec.js: the build ships its toolchain's own "
        "(delete this copy); list it in publish.include to publish it anyway",
        "web/stale.wasm is not published: a .wasm the build did not make (the app's wasm is compiled from its Go "
        "code); list it in publish.include to publish it anyway"]

    config["publish"] = {"include": [".nojekyll", "stale.wasm"], "exclude": ["robots.txt"]}
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    again = vango(app, "build")
    assert again.returncode == 0, again.stderr
    published = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    assert "robots.txt" not in published and any(n.startswith("stale.") and n.endswith(".wasm") for n in published)


def test_a_large_file_nothing_references_is_a_warning_with_its_size(app: Path, vango):
    (app / "public" / "backup.zip").write_bytes(b"PK" + b"\0" * (3 * 1024 * 1024))
    (app / "web" / "img" / "hero.jpg").write_bytes(b"\xff\xd8" + b"\1" * (2 * 1024 * 1024))
    page = app / "web" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", '<img src="img/hero.jpg" alt=""></body>'),
                    encoding="utf-8")
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    warnings = [e["msg"] for e in run.events if e.get("event") == "publish.unreferenced"]
    assert warnings == ["backup.zip (3.0 MiB) is published but nothing in the app references it; if it is not "
                        "meant to be served, leave it out with publish.exclude"]
