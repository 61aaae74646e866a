"""Finished pages from cached bodies: the theme's templates with the page, its navigation and neighbours,
rendered in forked worker processes (one per core) for many pages, else here with the writes in threads."""

from __future__ import annotations

import json
import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pipeline.assets.sri.csp import build_policy, serialize
from pipeline.core.errors import ConfigError, PipelineError
from pipeline.core.fs import write_if_changed
from pipeline.docs import markdown, nav, search, theme, urls
from pipeline.docs.config import DocsConfig
from pipeline.docs.paths import DocsPaths
from pipeline.docs.rendering import forked_pool, worker_processes
from pipeline.docs.state import Entry, sha


@dataclass(frozen=True)
class Frame:
    """What every page's template gets besides its own content."""

    site: dict[str, Any]
    csp: str
    assets: dict[str, theme.Asset]
    search: bool
    digest: str  # of all of the above, the templates and the settings


def frame_for(paths: DocsPaths, config: DocsConfig) -> Frame:
    assets = theme.read_assets_map(paths.assets_map)
    csp = serialize(build_policy(), for_meta=True)
    site = {"title": config.title, "description": config.description, "language": config.language,
            "repository": config.repository}
    digest = sha(json.dumps([site, csp, {k: v.__dict__ for k, v in sorted(assets.items())},
                              config.settings(), theme.templates_digest(paths.source)],
                             sort_keys=True, default=str).encode())
    return Frame(site, csp, assets, config.search.enabled, digest)


def page_context(frame: Frame, url: str, **values: Any) -> dict[str, Any]:
    def rel(target: str) -> str:
        return urls.relative(url, target)

    return {"site": frame.site, "csp": frame.csp, "search": frame.search, "root": urls.root_prefix(url),
            "rel": rel, "asset": lambda name: rel(frame.assets[name].path),
            "integrity": lambda name: frame.assets[name].integrity, **values}


def render_nav(template: Any, cache: dict[str, str], frame: Frame, info: nav.PageInfo,
              plain: tuple[list[dict[str, Any]], str], paths: DocsPaths) -> Any:
    """The navigation as HTML. Pages that share a parent URL and a source folder show the same entries, with
    the same relative links when these are made from a sibling's point of view (``../other/``, never
    ``./``), so it is rendered once per such group and the page's own link marked afterwards."""
    from markupsafe import Markup

    if info.url == "":
        virtual = ""
    else:
        parent = posixpath.dirname(info.url.rstrip("/"))
        virtual = f"{parent}/\x01/" if parent else "\x01/"
    key = f"{virtual}\0{plain[1]}"
    html = cache.get(key)
    if html is None:
        html = cache[key] = render(template, page_context(frame, virtual, nav=plain[0]), paths)
    own = f'<a href="{urls.relative(virtual, info.url)}">'
    return Markup(html.replace(own, own[:-1] + ' aria-current="page">', 1))


@dataclass
class Templating:
    """Everything a page's template needs besides the page itself (shared with worker processes by fork)."""

    paths: DocsPaths
    config: DocsConfig
    frame: Frame
    page_template: Any
    nav_template: Any
    root: nav.Folder
    entries: dict[str, Entry]
    shared: dict[str, tuple[list[dict[str, Any]], str]]
    nav_cache: dict[str, str]

    def html(self, job: tuple[Any, ...]) -> bytes:
        src, info, _key, previous, following, crumbs, edit_url, folder = job
        entry = self.entries[src]
        body = (self.paths.fragments / entry.fragment).read_text(encoding="utf-8")
        toc = [markdown.Heading._make(h) for h in entry.headings if h[0] in (2, 3)]
        heading, rest = split_h1(body)
        page = {"title": info.title, "description": info.description, "url": info.url, "status": info.status,
                "content": markup(body), "heading": markup(heading), "body": markup(rest),
                "has_h1": any(h[0] == 1 for h in entry.headings), "edit_url": edit_url, "src": src}
        canonical = f"{self.config.site_url.rstrip('/')}/{info.url}" if self.config.site_url else ""
        nav_html = render_nav(self.nav_template, self.nav_cache, self.frame, info, self.shared[folder], self.paths)
        context = page_context(self.frame, info.url, page=page, nav=nav.view(self.root, info), nav_html=nav_html,
                           breadcrumbs=crumbs, toc=toc, previous=previous, next=following, canonical=canonical)
        return render(self.page_template, context, self.paths).encode("utf-8")

    def result(self, job: tuple[Any, ...], data: bytes, wrote: bool) -> tuple[str, str, str, str, bool]:
        return job[0], job[2], sha(data), sha(search.indexed_part(data)), wrote


_ACTIVE: Templating | None = None  # what forked template workers inherit


def _template_chunk(jobs: list[tuple[Any, ...]]) -> list[tuple[str, str, str, str, bool]]:
    templating = _ACTIVE
    assert templating is not None
    results = []
    for job in jobs:
        try:
            data = templating.html(job)
        except PipelineError as exc:  # crosses the process boundary as its one line (args only survive pickling)
            raise type(exc)(str(exc)) from None
        wrote = write_if_changed(templating.paths.html / urls.output_file(job[1].url), data)
        results.append(templating.result(job, data, wrote))
    return results


def template_all(templating: Templating, jobs: list[tuple[Any, ...]]) -> list[tuple[str, str, str, str, bool]]:
    """Template and write the pages of ``jobs``: in forked worker processes (one per core) for many pages,
    else here, with the file writes in threads (a folder, a temporary file and a rename per page wait on the
    disk, not on the CPU)."""
    global _ACTIVE
    workers = worker_processes(len(jobs))
    if workers > 1:
        size = max(1, len(jobs) // (workers * 4))
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        _ACTIVE = templating  # the workers are forked: they inherit it, compiled templates included
        try:
            with forked_pool(workers) as pool:
                return [result for chunk in pool.map(_template_chunk, chunks) for result in chunk]
        finally:
            _ACTIVE = None
    with ThreadPoolExecutor(max_workers=4) as writer:
        pending = []
        for job in jobs:
            data = templating.html(job)
            target = templating.paths.html / urls.output_file(job[1].url)
            pending.append((job, data, writer.submit(write_if_changed, target, data)))
        return [templating.result(job, data, done.result()) for job, data, done in pending]


def load_template(env: Any, name: str, paths: DocsPaths) -> Any:
    import jinja2

    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"template: {exc.message}", path=exc.filename or name, location=exc.lineno) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"template {name}: {exc}", path=paths.source / "_theme" / "templates") from None


def render(template: Any, context: dict[str, Any], paths: DocsPaths) -> str:
    """A theme template's error is the theme author's to fix: its file and line, not a traceback."""
    import jinja2

    try:
        return template.render(**context)
    except jinja2.TemplateError as exc:
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]
        where = frames[-1] if frames else None
        raise ConfigError(f"template: {exc}", path=where.filename if where else template.filename,
                          location=where.lineno if where else None) from None


def split_h1(body: str) -> tuple[str, str]:
    """(the page's leading ``<h1>``, the rest) when the body starts with one, else ('', body): the theme puts
    the status badge between them."""
    if not body.startswith("<h1"):
        return "", body
    end = body.find("</h1>")
    return (body[:end + 5], body[end + 5:]) if end >= 0 else ("", body)


def markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)
