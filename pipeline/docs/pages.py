"""The ``docs:pages`` step: markdown files to finished HTML pages, doing only what changed.

Per page it keeps (in ``build/docs/pages.state``) the source's stat and hash, its front matter, headings and
links, and the key of its finished HTML: the rendered body, the navigation the page shows, its neighbours,
the templates, the theme's asset names and the settings. A page is re-rendered only when its source changed,
and re-templated only when its key changed, so editing a page's text touches that page alone, and changing a
title or an order touches the pages whose navigation shows it.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, PipelineError, display_path
from pipeline.core.fs import write_if_changed
from pipeline.docs import markdown, nav, theme, urls
from pipeline.docs.config import DocsConfig
from pipeline.docs.paths import DocsPaths
from pipeline.docs.rendering import cached, render_all
from pipeline.docs.sources import Sources, discover
from pipeline.docs.state import Entry, State, load_state, save_state, sha, stat_key
from pipeline.docs.templating import Frame, Templating, frame_for, load_template, page_context, render, template_all

NOT_FOUND = "404.html"
SITEMAP = "sitemap.xml"


@dataclass
class PagesResult:
    rendered: list[str]  # sources whose markdown was rendered again
    templated: list[str]  # pages whose HTML was written again
    pages: int
    written: list[Path]


def _repo_prefix(paths: DocsPaths, config: DocsConfig) -> str:
    root = (paths.source / config.repository_root).resolve()
    try:
        prefix = paths.source.relative_to(root).as_posix()
    except ValueError:
        return ""
    return "" if prefix == "." else prefix


def _fallback_title(src: str) -> str:
    stem = posixpath.splitext(posixpath.basename(src))[0]
    if stem.lower() in ("index", "readme"):
        stem = posixpath.basename(posixpath.dirname(src)) or "Home"
    return stem.replace("-", " ").replace("_", " ").strip().capitalize()


class _Collector:
    def __init__(self) -> None:
        self.errors: list[PipelineError] = []

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first, *rest = self.errors
        error_class = ConfigError if any(isinstance(e, ConfigError) for e in self.errors) else PipelineError
        raise error_class(str(first), more=tuple(str(e) for e in rest))


def _copy_files(paths: DocsPaths, sources: Sources, state: State) -> dict[str, str]:
    """The docs' own files into the site when they changed; their digests."""
    digests: dict[str, str] = {}
    kept: dict[str, tuple[tuple[int, int, int], str]] = {}
    for relative in sources.files:
        source = paths.source / relative
        stat = stat_key(source)
        old = state.files.get(relative)
        target = paths.out / relative
        if old is not None and old[0] == stat and target.exists():
            kept[relative] = old
        else:
            data = source.read_bytes()
            write_if_changed(target, data)
            kept[relative] = (stat, sha(data))
        digests[relative] = kept[relative][1]
    for stale in set(state.files) - set(kept):
        (paths.out / stale).unlink(missing_ok=True)
    state.files = kept
    return digests


def build(paths: DocsPaths, config: DocsConfig, *, drafts: bool = False) -> PagesResult:
    """Bring ``build/docs/html`` up to date with the docs folder; raises on bad front matter (exit 2) and on
    pages that would share a URL (exit 1). Nothing is published here."""
    sources = discover(paths.source, config.exclude)
    state = load_state(paths.state)
    repo_prefix = _repo_prefix(paths, config)
    blob = config.blob_url if config.repository else None
    render_key = sha(json.dumps([markdown.RENDERER_VERSION, repo_prefix, config.repository, config.branch]).encode())
    errors = _Collector()
    entries: dict[str, Entry] = {}
    jobs: list[tuple[Any, ...]] = []
    for src in sources.pages:
        entry, job = cached(paths, src, render_key, state.entries.get(src))
        if entry is not None:
            entries[src] = entry
        else:
            jobs.append(job)
    places = [markdown.Place(job[0], repo_prefix, blob) for job in jobs]
    for job, (status, value) in zip(jobs, render_all(jobs, places), strict=True):
        if status == "ok":
            entries[job[0]] = value
        else:
            errors.errors.append((ConfigError if value[0] else PipelineError)(value[1]))
    entries = dict(sorted(entries.items()))
    rendered = [job[0] for job in jobs]
    errors.raise_if_any()

    published = {src: e for src, e in entries.items() if drafts or not e.meta.draft}
    infos = {src: nav.PageInfo(src, urls.page_url(src), e.meta.title or e.title or _fallback_title(src),
                               e.meta.order, e.meta.section, e.meta.status, e.meta.description)
             for src, e in published.items()}
    _check_duplicates(paths, infos, sources)
    root = nav.tree(list(infos.values()))
    order = nav.reading_order(root)
    position = {info.src: i for i, info in enumerate(order)}
    frame = frame_for(paths, config)
    env = theme.environment(paths.source)
    page_template = load_template(env, "page.html", paths)
    nav_template = load_template(env, "nav.html", paths)
    nav_cache: dict[str, str] = {}

    shared: dict[str, tuple[list[dict[str, Any]], str]] = {}  # per source folder: its plain view, and its digest
    jobs: list[tuple[Any, ...]] = []
    for src, info in infos.items():
        entry = entries[src]
        i = position[src]
        previous = order[i - 1] if i > 0 else None
        following = order[i + 1] if i + 1 < len(order) else None
        folder = posixpath.dirname(src)
        if folder not in shared:
            plain = nav.view(root, nav.PageInfo(f"{folder}/\0" if folder else "\0", "", ""))
            shared[folder] = plain, sha(repr(plain).encode())  # plain dicts and lists: repr is deterministic
        crumbs = nav.breadcrumbs(root, info)
        edit_url = config.edit_url(f"{repo_prefix}/{src}" if repo_prefix else src)
        neighbours = [(p.url, p.title) if p else None for p in (previous, following)]
        key = sha("\0".join([entry.digest, entry.render_key, repr(info), shared[folder][1], repr(crumbs),
                               repr(neighbours), edit_url, frame.digest]).encode())
        if key != entry.output_key or not (paths.html / urls.output_file(info.url)).exists():
            jobs.append((src, info, key, previous, following, crumbs, edit_url, folder))
    templating = Templating(paths, config, frame, page_template, nav_template, root, entries, shared, nav_cache)
    written: list[Path] = []
    for src, key, digest, index_digest, wrote in template_all(templating, jobs):
        entries[src] = entries[src]._replace(output_key=key, output_digest=digest, index_digest=index_digest)
        if wrote:
            written.append(paths.html / urls.output_file(infos[src].url))
    templated = [job[0] for job in jobs]

    written += _special_pages(paths, config, state, frame, env, root, infos)
    _remove_stale(paths, state, infos)
    files = _copy_files(paths, sources, state)
    state.entries = entries
    with_digest = {infos[src].url: [urls.output_file(infos[src].url), entries[src].output_digest,
                                    entries[src].index_digest] for src in infos}
    pages_map = {"pages": dict(sorted(with_digest.items())), "files": dict(sorted(files.items())),
                 "special": sorted(state.special)}
    write_if_changed(paths.pages_map, json.dumps(pages_map, indent=0, sort_keys=True).encode("utf-8"))
    _write_links(paths, entries, infos, sources, repo_prefix)
    save_state(paths.state, state)
    if rendered:  # the bodies of previous versions are never read again
        wanted = {entry.fragment for entry in entries.values()}
        for fragment in paths.fragments.iterdir():
            if fragment.name not in wanted:
                fragment.unlink(missing_ok=True)
    return PagesResult(rendered, templated, len(infos), written)


RESERVED = ("pagefind/", NOT_FOUND, SITEMAP, "_headers")  # what the site itself writes


def _check_duplicates(paths: DocsPaths, infos: dict[str, nav.PageInfo], sources: Sources) -> None:
    """Two sources with one URL (``a.md`` and ``a/index.md``; ``A.md`` and ``a.md`` on a case-insensitive
    disk) would overwrite each other, as would a file named like a page's output or one the site writes:
    report each."""
    seen: dict[str, str] = {}
    errors = _Collector()
    outputs = {urls.output_file(info.url).lower(): src for src, info in infos.items()}
    for relative in sources.files:
        if relative.lower() in outputs or relative.startswith(RESERVED[0]) or relative in RESERVED[1:]:
            clash = outputs.get(relative.lower())
            errors.errors.append(PipelineError(
                f"duplicate slug: {display_path(paths.source / clash)} becomes {relative}" if clash else
                f"{relative} is a name the site writes itself; rename it", path=paths.source / relative))
    for src in sorted(infos):
        key = infos[src].url.lower()
        if key in seen:
            errors.errors.append(PipelineError(
                f"duplicate slug '{infos[src].url or '/'}': {display_path(paths.source / seen[key])} already "
                f"becomes {urls.output_file(infos[src].url)}; rename one of them", path=paths.source / src))
        else:
            seen[key] = src
    errors.raise_if_any()


def _special_pages(paths: DocsPaths, config: DocsConfig, state: State, frame: Frame, env: Any,
                   root: nav.Folder, infos: dict[str, nav.PageInfo]) -> list[Path]:
    """404.html (links from the site's root: it is served at any depth) and sitemap.xml (needs site_url)."""
    written = []
    home = nav.PageInfo("404.md", "", "Page not found")
    view = nav.view(root, home)
    key = sha(json.dumps([view, frame.digest, config.site_url], sort_keys=True).encode())
    target = paths.html / NOT_FOUND
    if state.special.get(NOT_FOUND) != key or not target.exists():
        root_url = (config.site_url.split("://", 1)[-1].partition("/")[2] if config.site_url else "")
        context = page_context(frame, "", page={"title": "Page not found", "url": "404", "description": ""},
                           nav=view, canonical="")
        from markupsafe import Markup

        base = "/" + root_url.strip("/") + "/" if root_url.strip("/") else "/"
        context["rel"] = lambda target_url: base + target_url
        context["asset"] = lambda name: base + frame.assets[name].path
        context["root"] = base
        context["nav_html"] = Markup(render(load_template(env, "nav.html", paths), {**context, "nav": view}, paths))
        html = render(env.get_template("404.html"), context, paths)
        if write_if_changed(target, html.encode("utf-8")):
            written.append(target)
        state.special[NOT_FOUND] = key
    sitemap = paths.html / SITEMAP
    if config.site_url:
        base = config.site_url.rstrip("/")
        lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
                 *(f"<url><loc>{_xml(base + '/' + info.url)}</loc></url>" for info in
                   sorted(infos.values(), key=lambda p: p.url)), "</urlset>", ""]
        if write_if_changed(sitemap, "\n".join(lines).encode("utf-8")):
            written.append(sitemap)
        state.special[SITEMAP] = "written"
    else:
        sitemap.unlink(missing_ok=True)
        state.special.pop(SITEMAP, None)
    return written


def _xml(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def _remove_stale(paths: DocsPaths, state: State, infos: dict[str, nav.PageInfo]) -> None:
    wanted = {urls.output_file(i.url) for i in infos.values()}
    for src, entry in state.entries.items():
        url = urls.page_url(src)
        if urls.output_file(url) not in wanted:
            stale = paths.html / urls.output_file(url)
            stale.unlink(missing_ok=True)
            for folder in stale.parents:
                if folder == paths.html or not folder.is_dir() or any(folder.iterdir()):
                    break
                folder.rmdir()
        del entry


def _write_links(paths: DocsPaths, entries: dict[str, Entry], infos: dict[str, nav.PageInfo], sources: Sources,
                 repo_prefix: str) -> None:
    """What ``docs:check`` verifies: written only when a link or an anchor changed, so it re-runs only then."""
    pages = {src: {"ids": sorted(set(e.ids)), "links": e.links,
                   "draft": src not in infos}
             for src, e in sorted(entries.items())}
    data = {"pages": pages, "files": list(sources.files), "repo_prefix": repo_prefix}
    write_if_changed(paths.links, json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8"))
