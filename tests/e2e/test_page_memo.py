"""The pages step transforms only the pages whose source or reads changed (pipeline.steps.pagememo): after
every kind of edit, dist/ holds the bytes a clean build of the same sources gives, and the spans show how
many pages were transformed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
PAGES = 6


def release_files(dist: Path) -> dict[str, bytes]:
    assets = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    return {a["path"]: (dist / a["path"]).read_bytes() for a in assets.values()}


def transformed(run) -> list[int]:
    """The pages the transforms ran on: each transform's count (they all see the same pages) once, in order
    (a second number: every page was transformed again)."""
    counts = [e["attributes"]["vango.pages"] for e in run.events
              if e.get("event") == "span.finished" and e.get("name") == "html.transform"]
    return sorted(set(counts), key=counts.index)


@pytest.fixture
def site(app: Path) -> Path:
    """The example plus pages in a folder, each with a stylesheet and a module of its own that imports a shared
    one."""
    web = app / "web"
    (web / "docs").mkdir()
    (web / "js" / "shared.js").write_text("export const shared = 1;\n", encoding="utf-8")
    for i in range(PAGES):
        (web / "css" / f"p{i}.css").write_text(f".p{i} {{ margin: {i}px; }}\n", encoding="utf-8")
        module = f'import {{ shared }} from "./shared.js";\nexport const p = {i} + shared;\n'
        (web / "js" / f"p{i}.js").write_text(module, encoding="utf-8")
        (web / "docs" / f"p{i}.html").write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Page {i}</title>\n'
            f'<link rel="stylesheet" href="../css/p{i}.css"><script type="module" src="../js/p{i}.js"></script>\n'
            f'</head><body><p class="p{i}">Page {i}</p><a href="../index.html">home</a></body></html>\n',
            encoding="utf-8")
    return app


def clean_build(app: Path, vango, scratch: Path) -> dict[str, bytes]:
    fresh = scratch / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(app, fresh, ignore=shutil.ignore_patterns("build", "dist"))
    run = vango(fresh)
    assert run.returncode == 0, run.stderr
    return release_files(fresh / "dist")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_each_edit_transforms_the_pages_it_reaches_and_gives_a_clean_builds_bytes(site: Path, vango,
                                                                                   tmp_path: Path):
    web, debug = site / "web", {"VANGO_LOG_LEVEL": "DEBUG"}  # spans are logged at debug level
    first = vango(site, env=debug)
    assert first.returncode == 0, first.stderr
    everything = PAGES + 1
    assert transformed(first) == [everything]
    config = json.loads((site / "vango.json").read_text(encoding="utf-8"))
    edits = [
        # (what changes, the pages transformed: those whose source or reads changed, then every page when that
        # changed what all pages depend on)
        (lambda: edit(web / "css" / "p2.css", "margin: 2px", "margin: 20px"), [1]),
        # a new wasm: the loader's name changes in the page that has it
        (lambda: edit(site / "main.go", 'const storageKey = "vango-todo/v1"', 'const storageKey = "vango-todo/v2"'),
         [1]),
        (lambda: edit(web / "js" / "p3.js", "+ shared", "+ shared + 1"), [1]),
        # shared.js is in every docs page's import map (what the page can load), not in the entry page's
        (lambda: edit(web / "js" / "shared.js", "= 1", "= 2"), [PAGES]),
        (lambda: edit(web / "js" / "p4.js", 'from "./shared.js";', 'from "./shared.js";\nimport "./p5.js";'), [1]),
        (lambda: edit(web / "docs" / "p1.html", "</body>", "<script>console.log(1)</script></body>"), [1]),
        # no page has a marker now: the entry page gets the loader at the end of its head, so every page is
        # transformed again (any of them could have been the one with a marker)
        (lambda: edit(web / "index.html", '<link data-vango rel="go">', ""), [1, everything]),
        (lambda: edit(web / "docs" / "p0.html", "</head>", '<link data-vango rel="go"></head>'), [1, everything]),
        (lambda: (web / "docs" / "p9.html").write_text((web / "docs" / "p2.html").read_text(encoding="utf-8"),
                                                       encoding="utf-8"), [1]),
        (lambda: (web / "docs" / "p9.html").unlink(), [0]),
        # the policy in a meta element: every page holds every page's inline hashes (a module's import map
        # entry is one), so a module's edit reaches them all, a stylesheet's still one page
        (lambda: (site / "vango.json").write_text(json.dumps({**config, "csp": {"meta": True}}), encoding="utf-8"),
         [everything]),
        (lambda: edit(web / "js" / "p3.js", "+ shared + 1", "+ shared + 2"), [1, everything]),
        (lambda: edit(web / "css" / "p2.css", "margin: 20px", "margin: 21px"), [1]),
    ]
    for number, (change, expected) in enumerate(edits):
        change()
        run = vango(site, env=debug)
        assert run.returncode == 0, (number, run.stderr)
        assert transformed(run) == expected, number
        written = next(e["attributes"] for e in run.events
                       if e.get("event") == "span.finished" and e.get("name") == "html.write")
        assert written["vango.reused"] <= written["vango.pages"], number  # a page counted once
        assert release_files(site / "dist") == clean_build(site, vango, tmp_path), number


def test_a_page_file_changed_in_build_out_and_a_page_warning_are_not_lost(site: Path, vango):
    """A settled page is taken only while its file in build/out is the one written; what the policy would block
    on a page is reported on every run that builds the pages, not only when that page is transformed."""
    web, debug = site / "web", {"VANGO_LOG_LEVEL": "DEBUG"}
    edit(web / "docs" / "p3.html", "<p class", '<p onclick="go()" class')
    first = vango(site)
    assert first.returncode == 0, first.stderr
    assert "docs/p3.html" in first.stderr and "onclick" in first.stderr
    assert vango(site).stderr.count("onclick") == 0  # nothing ran
    out = site / "build" / "out" / "docs" / "p4.html"
    written = out.read_bytes()
    out.write_bytes(b"<!DOCTYPE html><p>edited by hand</p>")
    edit(web / "css" / "p2.css", "margin: 2px", "margin: 22px")
    run = vango(site, env=debug)
    assert run.returncode == 0, run.stderr
    assert transformed(run) == [2]  # the edited one's page, and the one whose file was changed
    assert out.read_bytes() == written
    assert run.stderr.count("onclick") == 1  # a settled page's finding, again
    edit(web / "index.html", '<link data-vango rel="go">', "")  # every page is transformed again: still once
    run = vango(site, env=debug)
    assert run.returncode == 0, run.stderr
    assert transformed(run) == [1, PAGES + 1] and run.stderr.count("onclick") == 1


def test_a_manifest_changed_by_hand_in_build_out_lends_no_lines(site: Path, vango, tmp_path: Path):
    """The manifest step encodes only the entries that changed, taking the others' lines from the manifest it
    wrote last: never from one that was changed since."""
    assert vango(site).returncode == 0
    written = site / "build" / "out" / "asset-manifest.json"
    text = written.read_text(encoding="utf-8")
    assert '"hash": ' in text
    written.write_text(text.replace('"hash": ', '"hash":'), encoding="utf-8")  # the same document
    edit(site / "web" / "css" / "p2.css", "margin: 2px", "margin: 23px")
    assert vango(site).returncode == 0
    assert (site / "dist" / "asset-manifest.json").read_text(encoding="utf-8").count('"hash":"') == 0
    assert release_files(site / "dist") == clean_build(site, vango, tmp_path)
