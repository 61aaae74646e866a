"""The docs generator's pure parts: front matter, settings, markdown with its links and anchors, navigation,
URLs and search shards; each bytes (or text) in, values out, without doit."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import ConfigError
from pipeline.docs import config, frontmatter, markdown, nav, search, urls


def test_front_matter_is_split_from_the_body_with_the_line_offset():
    yaml_text, body, offset = frontmatter.split("---\ntitle: A\norder: 2\n---\n# Heading\n")
    assert yaml_text == "title: A\norder: 2\n" and body == "# Heading\n" and offset == 4
    assert frontmatter.split("# No front matter\n") == ("", "# No front matter\n", 0)
    meta = frontmatter.parse(yaml_text, "a.md")
    assert meta.title == "A" and meta.order == 2.0 and not meta.draft


@pytest.mark.parametrize(("text", "line", "message"), [
    ("title: A\ncolour: red\n", 3, "colour: unknown key"),
    ("title: A\norder: soon\n", 3, "order: must be a number"),
    ("draft: maybe\n", 2, "draft: must be true or false"),
    ("status: approved\n", 2, "status: must be one of proposed"),
    ("order: 1\nweight: 2\n", 3, "weight: give one of order and weight"),
    ("title: [unclosed\n", 3, "front matter:"),
    ("- a list\n", 2, "must be a mapping"),
])
def test_bad_front_matter_names_the_file_line_and_key(text, line, message):
    with pytest.raises(ConfigError) as caught:
        frontmatter.parse(text, "docs/page.md")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"docs/page.md:{line}: ") and message in str(caught.value)


def test_docs_toml_is_optional_and_checked_key_by_key(tmp_path: Path):
    assert config.load(tmp_path) == config.DocsConfig()
    (tmp_path / "docs.toml").write_text('title = "T"\nrepository = "https://example.org/r"\n'
                                        '[search]\nshard_pages = 8\n')
    loaded = config.load(tmp_path)
    assert loaded.title == "T" and loaded.search.shard_pages == 8
    assert loaded.edit_url("docs/a.md") == "https://example.org/r/edit/main/docs/a.md"
    for text, where in [('title = 3\n', ":1: title: must be a string"),
                        ('\n\ncolour = "x"\n', ":3: colour: unknown key"),
                        ('repository = "github.com/x"\n', "repository: must be an absolute"),
                        ('brotli_quality = 12\n', "between 0 and 11"),
                        ('[search]\nshard_pages = 0\n', "search.shard_pages"),
                        ('title = \n', "not valid TOML"), ('search = 3\n', ":1: search: must be a table")]:
        (tmp_path / "docs.toml").write_text(text)
        with pytest.raises(ConfigError, match=None) as caught:
            config.load(tmp_path)
        assert where in str(caught.value) and str(caught.value).startswith(str(tmp_path / "docs.toml"))


@pytest.mark.parametrize(("src", "url"), [("index.md", ""), ("README.md", ""), ("guide/index.md", "guide/"),
                                          ("guide/setup.md", "guide/setup/"), ("a/b/c.md", "a/b/c/")])
def test_page_urls_are_folders(src, url):
    assert urls.page_url(src) == url
    assert urls.output_file(url) == f"{url}index.html"


def test_relative_references_work_from_any_depth():
    assert urls.relative("guide/setup/", "guide/other/") == "../other/"
    assert urls.relative("guide/setup/", "") == "../../"
    assert urls.relative("", "guide/") == "guide/"
    assert urls.relative("guide/", "guide/img/a.png") == "img/a.png"
    assert urls.relative("a/", "a/") == "./"


def place(src: str = "guide/setup.md") -> markdown.Place:
    return markdown.Place(src, "docs", lambda path: f"https://example.org/blob/main/{path}")


def test_links_are_rewritten_to_page_urls_and_recorded_with_their_lines():
    body = ("# Set up\n\nSee [the other page](other.md#usage),\n[home](../index.md) and [an image](img/a.png).\n\n"
            "[the code](../../pipeline/cli.py) [outside](../../../etc/passwd) [web](https://example.com/x.md)\n"
            "[here](#set-up)\n")
    rendered = markdown.render(body, place(), first_line=3)
    assert 'href="../other/#usage"' in rendered.html and 'href="../../"' in rendered.html
    assert 'href="../img/a.png"' in rendered.html  # the page is served from guide/setup/
    assert 'href="https://example.org/blob/main/pipeline/cli.py"' in rendered.html
    assert 'href="https://example.com/x.md"' in rendered.html  # external: untouched, not checked
    kinds = [(link.line, link.kind, link.target, link.anchor) for link in rendered.links]
    assert kinds == [(6, "page", "guide/other.md", "usage"), (7, "page", "index.md", ""),
                     (7, "file", "guide/img/a.png", ""), (9, "repo", "pipeline/cli.py", ""),
                     (9, "outside", "../etc/passwd", ""), (10, "anchor", "", "set-up")]


def test_headings_get_github_style_ids_and_the_first_h1_is_the_title():
    rendered = markdown.render('# The *Title*\n\n## Usage & more\n\n## Usage & more\n\n<a id="raw"></a>\n',
                               place())
    assert rendered.title == "The Title"
    assert [h.id for h in rendered.headings] == ["the-title", "usage--more", "usage--more-1"]
    assert "raw" in rendered.ids and "usage--more-1" in rendered.ids


def test_code_is_highlighted_with_classes_and_a_file_name_caption():
    html = markdown.render('```go title="main.go"\npackage main\n```\n\n```nosuchlang\n<b>\n```\n', place()).html
    assert '<figcaption>main.go</figcaption>' in html and '<span class="kn">package</span>' in html
    assert "&lt;b&gt;" in html and "style=" not in html  # unknown language: escaped text; never inline styles


def test_tables_footnotes_admonitions_and_task_lists_render():
    html = markdown.render("| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1].\n\n[^1]: Note.\n\n"
                           "!!! warning\n    Careful.\n\n"
                           "- [x] done\n", place()).html
    assert "<table>" in html and 'class="footnote-ref"' in html
    assert 'class="admonition warning"' in html and 'type="checkbox"' in html


def info(src: str, title: str, order: float | None = None, section: str = "") -> nav.PageInfo:
    return nav.PageInfo(src, urls.page_url(src), title, order, section)


def test_navigation_sorts_by_order_then_title_and_groups_sections():
    pages = [info("index.md", "Home"), info("b.md", "Bravo"), info("a.md", "Alpha", 5), info("c.md", "Charlie", 1),
             info("g1.md", "Guide one", 3, "Guides"), info("g2.md", "Guide two", 2, "Guides"),
             info("tut/index.md", "Tutorials", 4), info("tut/first.md", "First", 1)]
    root = nav.tree(pages)
    assert [p.title for p in nav.reading_order(root)] == ["Home", "Charlie", "Guide two", "Guide one", "Tutorials",
                                                          "First", "Alpha", "Bravo"]
    view = nav.view(root, pages[7])
    assert [item["title"] for item in view] == ["Charlie", "Guides", "Tutorials", "Alpha", "Bravo"]
    tutorials = view[2]
    assert tutorials["open"] and tutorials["children"][0] == {"title": "First", "url": "tut/first/", "current": True,
                                                              "status": ""}
    assert not nav.view(root, pages[1])[2]["children"]  # a folder off the page's path stays closed
    assert nav.breadcrumbs(root, pages[7]) == [{"title": "Home", "url": ""}, {"title": "Tutorials", "url": "tut/"}]


def test_search_shards_are_a_power_of_two_and_stable_per_url():
    assert [search.shard_count(n, 32) for n in (1, 32, 33, 100, 1000)] == [1, 1, 2, 4, 32]
    pages = {f"p{i}/": ["", "", ""] for i in range(100)}
    plan = search.plan(pages, 32)
    assert len(plan) <= 4 and sorted(u for members in plan.values() for u in members) == sorted(pages)
    moved = search.plan({**pages, "new/": ["", "", ""]}, 32)
    same = [name for name in plan if set(plan[name]) <= set(moved.get(name, []))]
    assert len(same) >= len(plan) - 1  # adding a page changes one shard, not all


def test_the_search_reads_only_the_indexed_part_of_a_page():
    page = (b'<!DOCTYPE html>\n<html lang="en" data-root=""><head><title>T</title><link rel="stylesheet"></head>'
            b'<body><nav>' + b"<a href=x>nav</a>" * 50 + b'</nav><article class="markdown" data-pagefind-body>'
            b"<h1>T</h1><p>text</p></article><footer>f</footer></body></html>")
    part = search.indexed_part(page)
    assert part.startswith(b'<!DOCTYPE html><html lang="en" data-root=""><head><title>T</title></head>')
    assert b"<nav>" not in part and b"<p>text</p></article></body></html>" in part
    unmarked = b"<html><body>no body marker</body></html>"
    assert search.indexed_part(unmarked) == unmarked


@pytest.mark.parametrize(("language", "code"), [
    ("go", "package main\n\nfunc main() {}\n"), ("js", "export const x = 1;\n"), ("toml", '[a]\nb = "c"\n'),
    ("json", '{"a": 1}\n'), ("shell", "vango build --app .\n"), ("sh", "doit gate:size\n"),
    ("proto", 'syntax = "proto3";\nmessage Todo { string title = 1; }\n'),
])
def test_the_languages_vango_docs_use_are_highlighted(language: str, code: str):
    html = markdown.render(f"```{language}\n{code}```\n", place()).html
    assert f'class="language-{language}"' in html and '<span class="' in html


def test_docs_serve_starts_with_a_broken_docs_toml_and_follows_its_search_setting(tmp_path: Path):
    """The session is made before the first build: a bad docs.toml is that build's to report (the overlay),
    not a traceback; turning search off while serving makes the builds stop at the link check."""
    from pipeline.docs.paths import DocsPaths
    from pipeline.docs.serve import DocsSession

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "docs.toml").write_text("title = 3\n")
    session = DocsSession(DocsPaths.default(docs, tmp_path / "site", tmp_path / "build"))
    assert session.target == "docs:search"
    (docs / "docs.toml").write_text("[search]\nenabled = false\n")
    assert session.target == "docs:check"
