"""``vango docs build`` end to end, as a user runs it: the site it publishes (hashed theme files with SRI, CSP,
precompressed siblings, sitemap, 404, search index), what a rebuild touches, and what bad input does."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import brotli
import lxml.html
import pytest
from support import REPO, run_pipeline, snapshot

PAGES = {
    "index.md": "---\ntitle: Home\n---\n# Welcome\n\nStart with [the guide](guide/setup.md#install).\n",
    "guide/index.md": "---\ntitle: Guide\norder: 1\n---\n# The guide\n\n[Setup](setup.md) then [usage](usage.md).\n",
    "guide/setup.md": ("---\ntitle: Setup\norder: 1\ndescription: Installing it.\n---\n# Setup\n\n## Install\n\n"
                       "```sh\npip install thing\n```\n\nA unique word: zanzibarite.\n![logo](../img/logo.svg)\n"),
    "guide/usage.md": "---\ntitle: Usage\norder: 2\n---\n# Usage\n\nBack to [setup](setup.md#install).\n",
    "about.md": "---\ntitle: About\norder: 9\n---\n# About\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
}
TOML = 'title = "Test docs"\nrepository = "https://example.org/acme/docs"\nsite_url = "https://docs.example.org/"\n'
SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>\n' * 8


def write_docs(root: Path, pages: dict[str, str] = PAGES) -> Path:
    docs = root / "docs"
    for name, text in pages.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text)
    (docs / "docs.toml").write_text(TOML)
    (docs / "img").mkdir(exist_ok=True)
    (docs / "img" / "logo.svg").write_text(SVG)
    return docs


def build(root: Path, *extra: str):
    return run_pipeline(["pipeline.cli", "docs", "build", "docs", "--site", "site", "--build-dir", "build/docs",
                         *extra], cwd=root)


def steps(run) -> dict[str, dict]:
    return {e["step"]: e for e in run.events if e.get("event") == "docs.step"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_docs(tmp_path)
    run = build(tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    return tmp_path / "site"


def test_the_site_has_every_page_hashed_theme_files_with_sri_a_csp_and_precompressed_siblings(site: Path):
    assert {p.relative_to(site).as_posix() for p in site.rglob("index.html")} == {
        "index.html", "guide/index.html", "guide/setup/index.html", "guide/usage/index.html", "about/index.html"}
    page = (site / "guide" / "setup" / "index.html").read_text()
    csp = lxml.html.fromstring(page.encode()).xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert csp and csp[0].startswith("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';")
    assert 'href="../../img/logo.svg"' not in page and 'src="../../img/logo.svg"' in page
    assert 'href="https://example.org/acme/docs/edit/main/docs/guide/setup.md"' in page
    assert '<link rel="canonical" href="https://docs.example.org/guide/setup/">' in page
    assert 'aria-current="page">Setup</a>' in page and 'rel="next" href="../usage/"' in page
    assert '<span class="kn">' not in page and 'class="language-sh"' in page
    for name in ("theme.css", "theme.js", "init.js"):
        stem, suffix = name.rsplit(".", 1)
        match = re.search(rf'(?:href|src)="\.\./\.\./(_assets/{stem}\.([0-9a-f]{{16}})\.{suffix})" integrity="([^"]+)"',
                          page)
        assert match, name
        data = (site / match.group(1)).read_bytes()
        assert hashlib.sha384(data).hexdigest()[:16] == match.group(2)
        assert match.group(3) == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    raw = (site / "guide" / "setup" / "index.html").read_bytes()
    assert brotli.decompress((site / "guide" / "setup" / "index.html.br").read_bytes()) == raw
    assert gzip.decompress((site / "guide" / "setup" / "index.html.gz").read_bytes()) == raw
    headers = (site / "_headers").read_text()
    assert "frame-ancestors 'self'" in headers and "/_assets/*\n  Cache-Control: public, max-age=31536000, immutable" \
        in headers
    sitemap = (site / "sitemap.xml").read_text()
    assert "<loc>https://docs.example.org/guide/usage/</loc>" in sitemap and sitemap.count("<url>") == 5
    not_found = (site / "404.html").read_text()
    assert 'href="/guide/"' in not_found and "/_assets/theme." in not_found  # absolute: served at any depth
    shards = json.loads((site / "pagefind" / "shards.json").read_text())
    assert (site / "pagefind" / shards[0] / "pagefind.js").is_file()
    assert not list(site.rglob("pagefind-ui.js"))  # Pagefind's own UI is not shipped


def test_a_rebuild_with_nothing_changed_runs_nothing_and_keeps_every_file(site: Path):
    before = snapshot(site)
    run = build(site.parent)
    assert run.returncode == 0 and not run.executed(), run.stderr[-2000:]
    assert snapshot(site) == before


def test_editing_a_page_renders_that_page_and_republishes_only_its_files(site: Path):
    before = snapshot(site)
    setup = site.parent / "docs" / "guide" / "setup.md"
    setup.write_text(setup.read_text() + "\nOne more sentence.\n")
    run = build(site.parent)
    assert run.returncode == 0, run.stderr[-2000:]
    assert steps(run)["docs:pages"]["rendered"] == ["guide/setup.md"]
    assert steps(run)["docs:pages"]["templated"] == ["guide/setup.md"]
    after = snapshot(site)
    changed = {name for name in after if before.get(name) != after[name]}
    assert {"guide/setup/index.html", "guide/setup/index.html.br", "guide/setup/index.html.gz"} <= changed
    assert all(name.startswith(("guide/setup/", "pagefind/")) for name in changed), changed
    assert before["about/index.html"] == after["about/index.html"]  # same bytes, same inode, same mtime
    build_dir = site.parent / "build" / "docs"
    def caches() -> list[int]:
        return [sum(1 for p in (build_dir / name).rglob("*") if p.is_file()) for name in ("fragments", "compressed")]

    before_caches = caches()
    for round_ in range(2):
        setup.write_text(setup.read_text() + f"\nRound {round_}.\n")
        assert build(site.parent).returncode == 0
    # the previous versions' cached bodies and compressed siblings are dropped, not kept for ever
    assert caches() == before_caches


def test_a_new_title_rewrites_the_pages_that_show_it_and_no_others(site: Path):
    usage = site.parent / "docs" / "guide" / "usage.md"
    usage.write_text(usage.read_text().replace("title: Usage", "title: Using it"))
    run = build(site.parent)
    assert run.returncode == 0, run.stderr[-2000:]
    fields = steps(run)["docs:pages"]
    assert fields["rendered"] == ["guide/usage.md"]
    # The guide's pages show the guide's folder opened (so the new title), About links back to it as its
    # previous page; the home page shows the folder closed, so it is not written again.
    assert sorted(fields["templated"]) == ["about.md", "guide/index.md", "guide/setup.md", "guide/usage.md"]
    assert ">Using it</a>" in (site / "guide" / "setup" / "index.html").read_text()


def test_bad_front_matter_fails_with_the_file_line_and_key_and_keeps_the_site(site: Path):
    before = snapshot(site)
    (site.parent / "docs" / "about.md").write_text("---\ntitle: About\nordre: 3\n---\n# About\n")
    run = build(site.parent)
    assert run.returncode == 2
    assert "docs/about.md:3: front matter: ordre: unknown key" in run.stderr
    assert "Traceback" not in run.stderr
    assert snapshot(site) == before


def test_broken_links_fail_the_build_one_line_each_and_keep_the_site(site: Path):
    before = snapshot(site)
    docs = site.parent / "docs"
    (docs / "guide" / "usage.md").write_text("# Usage\n\nSee [nothing](nowhere.md)\n"
                                             "and [a gap](setup.md#no-such-part).\n"
                                             "[a file](../img/missing.png) [here](#usage)\n")
    run = build(site.parent)
    assert run.returncode == 1, run.stderr[-2000:]
    lines = [line for line in run.stderr.splitlines() if "broken link" in line]
    messages = [json.loads(line)["msg"] if line.startswith("{") else line for line in lines]
    text = "\n".join(messages)
    assert "docs/guide/usage.md:3: broken link 'nowhere.md': no page guide/nowhere.md" in text
    assert "docs/guide/usage.md:4: broken link 'setup.md#no-such-part': no heading or id #no-such-part in " \
           "guide/setup.md" in text
    assert "docs/guide/usage.md:5: broken link '../img/missing.png': no file or page img/missing.png" in text
    assert "#usage" not in text and "Traceback" not in run.stderr
    assert "the site was left as it was" in run.stderr
    assert snapshot(site) == before
    assert build(site.parent).returncode == 1  # still failing: a failed check is never up to date


def test_two_sources_with_one_url_are_reported(tmp_path: Path):
    write_docs(tmp_path, {**PAGES, "guide/setup/index.md": "# Another setup\n"})
    run = build(tmp_path)
    assert run.returncode == 1
    assert "docs/guide/setup/index.md: duplicate slug 'guide/setup/': docs/guide/setup.md already becomes " \
           "guide/setup/index.html" in run.stderr


def test_drafts_are_left_out_unless_asked_for_and_links_to_them_are_broken(tmp_path: Path):
    write_docs(tmp_path, {**PAGES, "wip.md": "---\ndraft: true\n---\n# Work in progress\n"})
    assert build(tmp_path).returncode == 0
    assert not (tmp_path / "site" / "wip").exists()
    assert build(tmp_path, "--drafts").returncode == 0
    assert (tmp_path / "site" / "wip" / "index.html").is_file()
    (tmp_path / "docs" / "about.md").write_text("# About\n\n[soon](wip.md)\n")
    run = build(tmp_path)
    assert run.returncode == 1 and "broken link 'wip.md': wip.md is a draft (not published)" in run.stderr


def test_a_template_override_is_used_and_its_errors_name_the_template(tmp_path: Path):
    docs = write_docs(tmp_path)
    templates = docs / "_theme" / "templates"
    templates.mkdir(parents=True)
    (templates / "page.html").write_text('{% extends "base.html" %}{% block content %}<p class="mine">{{ page.title }}'
                                         '</p>{{ page.content }}{% endblock %}')
    assert build(tmp_path).returncode == 0
    assert '<p class="mine">Setup</p>' in (tmp_path / "site" / "guide" / "setup" / "index.html").read_text()
    (templates / "page.html").write_text('{% extends "base.html" %}{% block content %}{% if %}{% endblock %}')
    run = build(tmp_path)
    assert run.returncode == 2 and "_theme/templates/page.html:1: template: " in run.stderr
    assert "Traceback" not in run.stderr


def test_a_file_name_with_a_control_character_is_refused(tmp_path: Path):
    docs = write_docs(tmp_path)
    (docs / "bad\nname.md").write_text("# Bad\n")
    run = build(tmp_path)
    assert run.returncode == 2 and "contains a control character" in run.stderr and "Traceback" not in run.stderr


def test_vangos_own_documentation_builds_with_no_broken_link(tmp_path: Path):
    """CI builds the project's docs/ (the README links the built site): a broken link fails here."""
    run = run_pipeline(["pipeline.cli", "docs", "build", str(REPO / "docs"), "--site", str(tmp_path / "site"),
                        "--build-dir", str(tmp_path / "build")], cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    site = tmp_path / "site"
    for page in ("index.html", "adr/index.html", "tutorials/index.html", "tutorials/first-app/index.html",
                 "docs-sites/index.html", "observability/index.html"):
        assert (site / page).is_file(), page


@pytest.mark.parametrize(("site", "message"), [
    (".", "would contain the docs folder"),
    ("docs/site", "is inside the docs folder"),
    ("mine", "exists and was not made by vango docs"),
])
def test_a_site_folder_that_would_replace_the_sources_or_someone_elses_files_is_refused(tmp_path: Path, site: str,
                                                                                        message: str):
    write_docs(tmp_path)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    run = run_pipeline(["pipeline.cli", "docs", "build", "docs", "--site", site], cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me" and (tmp_path / "docs" / "index.md").is_file()


def test_a_linked_repository_file_that_goes_away_fails_the_next_build(tmp_path: Path):
    """Repository files are not doit dependencies of the check (a missing one would stop doit before the check
    could name the page), so the check looks for them again on every run."""
    write_docs(tmp_path, {**PAGES, "about.md": "# About\n\nThe [code](../src/app.py).\n"})
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hi')\n")
    assert build(tmp_path).returncode == 0
    assert 'href="https://example.org/acme/docs/blob/main/src/app.py"' in (tmp_path / "site" / "about" /
                                                                          "index.html").read_text()
    assert not build(tmp_path).executed()
    (tmp_path / "src" / "app.py").unlink()
    run = build(tmp_path)
    assert run.returncode == 1 and "docs/about.md:3: broken link '../src/app.py': no file src/app.py" in run.stderr


def test_vango_clean_removes_the_docs_build_folder_and_keeps_the_site(site: Path):
    root = site.parent
    (root / "vango.json").write_text('{"name": "docs-only"}')
    run = run_pipeline(["pipeline.cli", "clean"], root)
    assert run.returncode == 0 and not (root / "build" / "docs").exists()
    assert (site / "index.html").is_file()
