"""Release builds minify; a file the minifier cannot parse fails the build cleanly, and a kind can be turned
off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import snapshot

pytestmark = pytest.mark.e2e


def served(app: Path, logical: str) -> str:
    assets = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    return (app / "dist" / assets[logical]["path"]).read_text(encoding="utf-8")


def test_a_module_the_minifier_cannot_parse_fails_with_its_line_and_leaves_dist(app: Path, vango):
    assert vango(app).returncode == 0
    before = snapshot(app / "dist")
    module = app / "web" / "js" / "format.js"
    module.write_text(module.read_text(encoding="utf-8") + "\nexport const broken = @;\n", encoding="utf-8")
    line = module.read_text(encoding="utf-8").splitlines().index("export const broken = @;") + 1

    run = vango(app)
    assert run.returncode == 1
    errors = [e["msg"] for e in run.events if e.get("level") == "error"]
    assert any(f"web/js/format.js:{line}: unexpected @" in m and "cannot minify" in m for m in errors), errors
    assert "Traceback" not in run.stderr
    assert snapshot(app / "dist") == before


def test_minified_output_and_a_kind_turned_off(app: Path, vango):
    assert vango(app).returncode == 0
    source = (app / "web" / "js" / "format.js").read_text(encoding="utf-8")
    minified = served(app, "js/format.js")
    assert "Small text helpers" not in minified and len(minified) < len(source) / 2
    assert "pluralize" in minified and "joinParts" in minified  # exported names stay
    page = (app / "dist" / "index.html").read_text(encoding="utf-8")
    assert "\n  " not in page

    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    config["minify"] = {"js": False, "html": False}
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    assert vango(app).returncode == 0
    assert served(app, "js/format.js") == source  # nothing of it to rewrite: the author's bytes
    assert "\n" in (app / "dist" / "index.html").read_text(encoding="utf-8").strip()
    assert "/*" not in served(app, "css/app.css")  # CSS is still minified
