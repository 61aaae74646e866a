"""pipeline.steps.pagememo: which pages may be taken from the last run as they were."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from pipeline.config.model import AppConfig
from pipeline.engine.maps import OutputFile
from pipeline.engine.pages import PageSet, PageTransform, Phase
from pipeline.steps import pagememo
from pipeline.steps.textcache import TextCache

RECORD = OutputFile("css/a.css", "css/a.1234.css", "ab" * 48, "sha384-x", 10, True)


def page_set(tmp_path: Path, config: AppConfig | None = None, known: dict | None = None) -> PageSet:
    run = SimpleNamespace(ctx=SimpleNamespace(config=config or AppConfig(name="demo"), web_dir=tmp_path))
    known = known if known is not None else {"css/a.css": RECORD}
    return PageSet(run, {}, {"index.html": tmp_path / "index.html"}, known)


def tracked(name: str) -> PageTransform:
    return PageTransform(name, Phase.REWRITE, lambda pages: None, tracked=True)


def test_the_key_names_the_transforms_and_the_config_and_an_untracked_transform_gives_none(tmp_path: Path):
    def key(pages: PageSet, transforms: list[PageTransform], installed: bool = False, minifying: object = None):
        return pagememo.memo_key(pages, transforms, installed, minifying)

    pages = page_set(tmp_path)
    first = key(pages, [tracked("a")])
    assert first is not None and first == key(page_set(tmp_path), [tracked("a")])
    assert first != key(pages, [tracked("a"), tracked("b")])
    assert first != key(pages, [tracked("a")], installed=True)
    assert first != key(pages, [tracked("a")], minifying=["minify-html 0.16"])  # an upgrade of a minifier
    assert first != key(page_set(tmp_path, AppConfig(name="other")), [tracked("a")])
    untracked = PageTransform("banner", Phase.INJECT, lambda pages: None)
    assert key(pages, [tracked("a"), untracked]) is None


def test_a_page_is_settled_only_with_its_key_source_and_reads_unchanged(tmp_path: Path):
    cache = TextCache(tmp_path / "cache.json", "fp", tmp_path)
    pages = page_set(tmp_path)
    assert pages.record("index.html", "css/a.css") is RECORD and not pages.is_page("index.html", "b.html")
    sources = {"index.html": b"<p>x</p>"}
    pagememo.remember(cache, "k", pages, sources, {}, {"index.html": "text-key"})
    cache.save()

    def settled(key: str = "k", data: bytes = b"<p>x</p>", known: dict | None = None) -> set[str]:
        again = TextCache(tmp_path / "cache.json", "fp", tmp_path)
        return set(pagememo.settled_pages(again, key, page_set(tmp_path, known=known), {"index.html": data}))

    assert settled() == {"index.html"}
    assert settled(key="other") == set()
    assert settled(data=b"<p>y</p>") == set()
    changed = OutputFile("css/a.css", "css/a.5678.css", "cd" * 48, "sha384-y", 10, True)
    assert settled(known={"css/a.css": changed}) == set()
    assert settled(known={}) == set()


def test_an_entry_this_code_did_not_write_is_not_taken(tmp_path: Path):
    cache = TextCache(tmp_path / "cache.json", "fp", tmp_path)
    pages = page_set(tmp_path)
    source = pagememo.source_digest(b"x")
    for entry in ({"key": "k", "source": source, "reads": {"nonsense\0a": 1}},
                  {"key": "k", "source": source, "reads": ["not", "a", "mapping"]},
                  {"key": "k", "source": source}, "a string"):
        cache.old["memo"]["page:index.html"] = entry
        assert pagememo.settled_pages(cache, "k", pages, {"index.html": b"x"}) == {}
