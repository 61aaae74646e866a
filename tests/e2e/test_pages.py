"""Pages beyond the shell: nested folders, <base href> and Unicode file names."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from pipeline.assets.rewrite import html

pytestmark = pytest.mark.e2e


def test_nested_page_unicode_names_and_base_href(app: Path, vango):
    web = app / "web"
    (web / "docs").mkdir()
    (web / "img" / "café au lait.png").write_bytes((web / "img" / "favicon.png").read_bytes() + b"\0")
    (web / "css" / "a.css").write_text('@import "b.css";\n.a { background: url("../img/café au lait.png"); }\n')
    (web / "css" / "b.css").write_text('.b { color: red; }\n')  # (a cycle is an error: test_import_cycles)
    (web / "docs" / "about.html").write_text(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>About</title>\n'
        '<link rel="stylesheet" href="../css/a.css">\n<script type="module" src="/js/app.js"></script>\n'
        '</head><body><img src="../img/caf%C3%A9%20au%20lait.png" alt="">'
        '<a href="../index.html">home</a></body></html>\n')
    (web / "docs" / "based.html").write_text(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><base href="/css/"><title>Based</title>\n'
        '<link rel="stylesheet" href="b.css"></head><body></body></html>\n')
    run = vango(app)
    assert run.returncode == 0, run.stderr
    dist = app / "dist"
    manifest = json.loads((dist / "asset-manifest.json").read_text())["assets"]

    about = html.parse((dist / "docs" / "about.html").read_bytes())
    links = {e.get("href"): e.get("integrity") for e in about.iter("link") if e.get("rel") == "stylesheet"}
    a_path = manifest["css/a.css"]["path"]
    assert links == {"../" + a_path: manifest["css/a.css"]["integrity"]}
    image = manifest["img/café au lait.png"]["path"]
    assert (dist / image).is_file()
    assert next(about.iter("img")).get("src") == "../img/" + image.split("/")[-1].replace("é", "%C3%A9").replace(
        " ", "%20")
    assert "data-vango" not in (dist / "docs" / "about.html").read_text()
    based = html.parse((dist / "docs" / "based.html").read_bytes())
    link = next(e for e in based.iter("link") if e.get("rel") == "stylesheet")
    assert link.get("href") == manifest["css/b.css"]["path"].split("/")[-1]
    assert link.get("integrity") == manifest["css/b.css"]["integrity"]

    # a.css carries b.css's rules (its @import is bundled); SRI values are of the final bytes.
    a_text = (dist / a_path).read_text()
    assert ".b{color:red}" in re.sub(r"\s+", "", a_text) and "@import" not in a_text  # bundled (and minified)
    for logical in ("css/a.css", "css/b.css"):
        body = (dist / manifest[logical]["path"]).read_bytes()
        assert manifest[logical]["hash"] == hashlib.sha384(body).hexdigest()
    assert "café au lait" in a_text  # the image reference keeps the author's quoting style


def test_bare_specifiers_resolve_through_the_authors_import_map(app: Path, vango):
    web = app / "web"
    (web / "js" / "lib.js").write_text("export const answer = 42;\n")
    (web / "js" / "uses-lib.js").write_text('import { answer } from "lib";\nglobalThis.answer = answer;\n')
    page = web / "index.html"
    page.write_text(page.read_text().replace(
        "<link data-vango", '<script type="importmap">{"imports": {"lib": "./js/lib.js"}}</script>\n'
        '  <script type="module" src="js/uses-lib.js"></script>\n  <link data-vango'))
    run = vango(app)
    assert run.returncode == 0, run.stderr
    dist = app / "dist"
    manifest = json.loads((dist / "asset-manifest.json").read_text())["assets"]
    tree = html.parse((dist / "index.html").read_bytes())
    maps = [json.loads(e.text) for e in tree.iter("script") if e.get("type") == "importmap"]
    assert len(maps) == 1  # the author's map, extended with integrity
    lib = manifest["js/lib.js"]
    assert maps[0]["imports"]["lib"] == "./" + lib["path"]
    assert maps[0]["integrity"]["/" + lib["path"]] == lib["integrity"]
    assert re.search(r'from\s*"lib"', (dist / manifest["js/uses-lib.js"]["path"]).read_text())  # bare: left to the map


def test_each_page_s_import_map_lists_the_modules_that_page_can_load(app: Path, vango):
    """Not every module of the app: a site of many pages would carry all of them on each (quadratic bytes).
    A page whose modules may load more than they name (a computed import(), a bare specifier) or that has an
    inline module lists every module, so nothing it may load goes unchecked."""
    web = app / "web"
    (web / "docs").mkdir()
    (web / "js" / "shared.js").write_text("export const shared = 1;\n")
    (web / "js" / "a.js").write_text('import { shared } from "./shared.js";\nexport const a = shared;\n')
    (web / "js" / "lazy.js").write_text('export const later = () => import("./shared.js");\n')
    (web / "js" / "computed.js").write_text("export const load = (name) => import(`./${name}.js`);\n")
    pages = {
        "docs/a.html": '<script type="module" src="../js/a.js"></script>',
        "docs/lazy.html": '<link rel="modulepreload" href="../js/lazy.js">',
        "docs/none.html": "<p>no modules</p>",
        "docs/computed.html": '<script type="module" src="../js/computed.js"></script>',
        "docs/inline.html": '<script type="module">import "../js/shared.js";</script>',
        "docs/legacy.html": '<script src="../js/legacy.js"></script>',  # a classic script's import()
        "docs/classic-inline.html": '<script>import("../js/shared.js");</script>',
        "docs/handler.html": '<button onclick="import(\'../js/shared.js\')">go</button>',
        "docs/url.html": '<a href="javascript:import(\'../js/shared.js\')">go</a>',
        "docs/svg.html": '<svg><script>window.x = import("../js/shared.js")</script></svg>',
    }
    (web / "js" / "legacy.js").write_text('window.later = () => import("./shared.js");\n')
    for name, body in pages.items():
        (web / name).write_text(f'<!DOCTYPE html><html><head><title>t</title>{body}</head><body></body></html>\n')
    run = vango(app)
    assert run.returncode == 0, run.stderr
    dist = app / "dist"
    manifest = json.loads((dist / "asset-manifest.json").read_text())["assets"]
    modules = {name for name in manifest if name.startswith("js/")}

    def listed(page: str) -> set[str]:
        tree = html.parse((dist / page).read_bytes())
        maps = [json.loads(e.text) for e in tree.iter("script") if e.get("type") == "importmap"]
        urls = set().union(*(m["integrity"] for m in maps)) if maps else set()
        found = {name for name in modules if "/" + manifest[name]["path"] in urls}
        for name in found:
            assert maps[0]["integrity"]["/" + manifest[name]["path"]] == manifest[name]["integrity"]
        return found

    assert listed("docs/a.html") == {"js/a.js", "js/shared.js"}
    assert listed("docs/lazy.html") == {"js/lazy.js", "js/shared.js"}  # a literal import() is followed
    assert listed("docs/none.html") == set()
    assert listed("docs/computed.html") == modules
    assert listed("docs/inline.html") == modules
    assert listed("docs/legacy.html") == {"js/legacy.js", "js/shared.js"}
    for page in ("classic-inline", "handler", "url", "svg"):
        assert listed(f"docs/{page}.html") == modules, page
    assert {"js/app.js", "js/format.js"} <= listed("index.html") < modules


def test_modules_can_reference_stylesheets_but_nothing_built_after_them(app: Path, vango):
    js = app / "web" / "js" / "style-url.js"
    js.write_text('export const sheet = new URL("../css/theme.css", import.meta.url);\n')
    run = vango(app)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text())["assets"]
    theme = manifest["css/theme.css"]["path"].split("/")[-1]
    assert f'"../css/{theme}"' in (app / "dist" / manifest["js/style-url.js"]["path"]).read_text()

    js.write_text('export const page = new URL("../index.html", import.meta.url);\n')
    run = vango(app)
    assert run.returncode == 1
    failed = next(e for e in run.events if e.get("event") == "task.failed")
    assert failed["task"] == "js"
    assert failed["error"].startswith("web/js/style-url.js:1: '../index.html' names web/index.html, which a file")
