"""Stylesheets reached through @import are bundled into their importer: their rules keep the import's
conditions and their url()s still point at the right files from the importer's folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_imports_from_other_folders_are_bundled_with_their_urls_relocated(app: Path, vango):
    web = app / "web"
    (web / "styles" / "deep").mkdir(parents=True)
    (web / "main.css").write_text('@import "styles/extra.css" screen;\n.main { color: blue; }\n', encoding="utf-8")
    (web / "styles" / "extra.css").write_text('@import url("deep/more.css") layer(base);\n'
                                              '.extra { background: url("../img/check.svg"); }\n', encoding="utf-8")
    more = '@charset "utf-8";\n.more { background: url(../../img/logo.svg); }\n'
    (web / "styles" / "deep" / "more.css").write_text(more, encoding="utf-8")
    page = web / "index.html"
    link = '<link rel="stylesheet" href="main.css">\n</head>'
    page.write_text(page.read_text(encoding="utf-8").replace("</head>", link), encoding="utf-8")
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    assets = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    main = (app / "dist" / assets["main.css"]["path"]).read_text(encoding="utf-8")
    check, logo = assets["img/check.svg"]["path"], assets["img/logo.svg"]["path"]
    assert "@import" not in main and "@charset" not in main
    # (release builds minify: whitespace may go)
    assert re.search(r"@media screen\s*\{.*\.extra\s*\{\s*background:\s*url\(\"?" + re.escape(check) + r"\"?\)", main,
                     re.S)
    assert re.search(r"@layer base\s*\{.*\.more\s*\{\s*background:\s*url\(" + re.escape(logo) + r"\)", main, re.S)
    assert main.index(".more") < main.index(".extra") < main.index(".main")  # the cascade order of @import
    # The imported file on its own (if a page links it) keeps its own folder's URLs.
    extra = (app / "dist" / assets["styles/extra.css"]["path"]).read_text(encoding="utf-8")
    assert re.search(r'url\("?' + re.escape(f"../{check}") + r'"?\)', extra)
