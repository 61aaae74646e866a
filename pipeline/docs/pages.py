"""The ``docs:pages`` step: markdown files to finished HTML pages, doing only what changed.

Per page it keeps (in ``build/docs/pages.state``) the source's stat and hash, its front matter, headings and
links, and the key of its finished HTML: the rendered body, the navigation the page shows, its neighbours,
the templates, the theme's asset names and the settings. A page is re-rendered only when its source changed,
and re-templated only when its key changed, so editing a page's text touches that page alone, and changing a
title or an order touches the pages whose navigation shows it.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.assets.sri.csp import build_policy, serialize
from pipeline.core.errors import ConfigError, PipelineError, display_path
from pipeline.core.fs import write_atomic, write_if_changed
from pipeline.docs import frontmatter, markdown, nav, search, theme, urls
from pipeline.docs.config import DocsConfig
from pipeline.docs.paths import DocsPaths
from pipeline.docs.sources import Sources, discover

STATE_VERSION = 2
NOT_FOUND = "404.html"
SITEMAP = "sitemap.xml"


class Entry(NamedTuple):
    """One source page as last seen (a tuple: the state of 1,000 pages pickles in milliseconds)."""

    stat: tuple[int, int, int]
    digest: str
    render_key: str
    meta: frontmatter.Meta
    title: str
    headings: tuple[tuple[int, str, str], ...]  # markdown.Heading fields: level, id, text
    links: tuple[tuple[int, str, str, str, str], ...]  # markdown.Link fields: line, href, kind, target, anchor
    ids: tuple[str, ...]
    fragment: str
    output_key: str = ""
    output_digest: str = ""
    index_digest: str = ""  # of the part of the page the search index reads


@dataclass
class State:
    version: int = STATE_VERSION
    entries: dict[str, Entry] = field(default_factory=dict)
    special: dict[str, str] = field(default_factory=dict)  # 404/sitemap -> their last key
    files: dict[str, tuple[tuple[int, int, int], str]] = field(default_factory=dict)  # static: stat, digest


@dataclass
class PagesResult:
    rendered: list[str]  # sources whose markdown was rendered again
    templated: list[str]  # pages whose HTML was written again
    pages: int
    written: list[Path]


def load_state(path: Path) -> State:
    """The last build's state (plain tuples on disk: they pickle and unpickle in C); empty when unreadable."""
    try:
        with path.open("rb") as handle:
            raw = pickle.load(handle)
        if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
            return State()
        entries = {src: Entry(v[0], v[1], v[2], frontmatter.Meta._make(v[3]), *v[4:])
                   for src, v in raw["entries"].items()}
        return State(STATE_VERSION, entries, raw["special"], raw["files"])
    except (OSError, pickle.PickleError, EOFError, AttributeError, TypeError, ValueError, ImportError, KeyError,
            IndexError):
        return State()


def save_state(path: Path, state: State) -> None:
    entries = {src: (*e[:3], tuple(e.meta), *e[4:]) for src, e in state.entries.items()}
    raw = {"version": state.version, "entries": entries, "special": state.special, "files": state.files}
    write_atomic(path, pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stat_key(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


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


PARALLEL_FROM = 48  # pages to render before it pays to start worker processes


def _cached(paths: DocsPaths, src: str, render_key: str, old: Entry | None) -> tuple[Entry | None, Any]:
    """(the cached entry when the page's bytes did not change, else None; the job that renders it)."""
    file = paths.source / src
    stat = _stat_key(file)
    if old is not None and old.stat == stat and old.render_key == render_key:
        return old, None
    data = file.read_bytes()
    digest = _sha(data)
    if old is not None and old.digest == digest and old.render_key == render_key:
        return old._replace(stat=stat), None
    return None, (src, str(file), data, stat, digest, render_key, str(paths.fragments))


def render_job(job: tuple[Any, ...], place: markdown.Place) -> tuple[str, Any]:
    """Front matter and markdown of one page (a pure function of its bytes, run in a worker process for full
    builds); the rendered body goes to the fragment cache. ('ok', entry) or ('error', (config?, line))."""
    _src, file, data, stat, digest, render_key, fragments = job
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "error", (False, str(PipelineError(f"not UTF-8 text (byte {exc.start})", path=file)))
    yaml_text, body, offset = frontmatter.split(text.lstrip("\ufeff"))
    try:
        meta = frontmatter.parse(yaml_text, file)
    except ConfigError as exc:
        return "error", (True, str(exc))
    rendered = markdown.render(body, place, offset)
    fragment = f"{_sha((digest + render_key).encode())[:32]}.html"
    write_if_changed(Path(fragments) / fragment, rendered.html.encode("utf-8"))
    return "ok", Entry(stat, digest, render_key, meta, rendered.title, tuple(map(tuple, rendered.headings)),
                       tuple(map(tuple, rendered.links)), tuple(rendered.ids), fragment)


def _render_all(jobs: list[tuple[Any, ...]], places: list[markdown.Place]) -> list[tuple[str, Any]]:
    """Every job's result, in order: in worker processes (one per core) when there are many."""
    import os

    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return [render_job(job, place) for job, place in zip(jobs, places, strict=True)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        return list(pool.map(render_job, jobs, places, chunksize=max(1, len(jobs) // (workers * 4))))


def _copy_files(paths: DocsPaths, sources: Sources, state: State) -> dict[str, str]:
    """The docs' own files into the site when they changed; their digests."""
    digests: dict[str, str] = {}
    kept: dict[str, tuple[tuple[int, int, int], str]] = {}
    for relative in sources.files:
        source = paths.source / relative
        stat = _stat_key(source)
        old = state.files.get(relative)
        target = paths.out / relative
        if old is not None and old[0] == stat and target.exists():
            kept[relative] = old
        else:
            data = source.read_bytes()
            write_if_changed(target, data)
            kept[relative] = (stat, _sha(data))
        digests[relative] = kept[relative][1]
    for stale in set(state.files) - set(kept):
        (paths.out / stale).unlink(missing_ok=True)
    state.files = kept
    return digests


@dataclass(frozen=True)
class _Frame:
    """What every page's template gets besides its own content."""

    site: dict[str, Any]
    csp: str
    assets: dict[str, theme.Asset]
    search: bool
    digest: str  # of all of the above, the templates and the settings


def _frame(paths: DocsPaths, config: DocsConfig) -> _Frame:
    assets = theme.read_assets_map(paths.assets_map)
    csp = serialize(build_policy(), for_meta=True)
    site = {"title": config.title, "description": config.description, "language": config.language,
            "repository": config.repository}
    digest = _sha(json.dumps([site, csp, {k: v.__dict__ for k, v in sorted(assets.items())},
                              config.settings(), theme.templates_digest(paths.source)],
                             sort_keys=True, default=str).encode())
    return _Frame(site, csp, assets, config.search.enabled, digest)


def _context(frame: _Frame, url: str, **values: Any) -> dict[str, Any]:
    def rel(target: str) -> str:
        return urls.relative(url, target)

    return {"site": frame.site, "csp": frame.csp, "search": frame.search, "root": urls.root_prefix(url),
            "rel": rel, "asset": lambda name: rel(frame.assets[name].path),
            "integrity": lambda name: frame.assets[name].integrity, **values}


def build(paths: DocsPaths, config: DocsConfig, *, drafts: bool = False) -> PagesResult:
    """Bring ``build/docs/html`` up to date with the docs folder; raises on bad front matter (exit 2) and on
    pages that would share a URL (exit 1). Nothing is published here."""
    sources = discover(paths.source, config.exclude)
    state = load_state(paths.state)
    repo_prefix = _repo_prefix(paths, config)
    blob = config.blob_url if config.repository else None
    render_key = _sha(json.dumps([markdown.RENDERER_VERSION, repo_prefix, config.repository, config.branch]).encode())
    errors = _Collector()
    entries: dict[str, Entry] = {}
    jobs: list[tuple[Any, ...]] = []
    for src in sources.pages:
        entry, job = _cached(paths, src, render_key, state.entries.get(src))
        if entry is not None:
            entries[src] = entry
        else:
            jobs.append(job)
    places = [markdown.Place(job[0], repo_prefix, blob) for job in jobs]
    for job, (status, value) in zip(jobs, _render_all(jobs, places), strict=True):
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
    frame = _frame(paths, config)
    env = theme.environment(paths.source)
    page_template = _template(env, "page.html", paths)
    nav_template = _template(env, "nav.html", paths)
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
            shared[folder] = plain, _sha(repr(plain).encode())  # plain dicts and lists: repr is deterministic
        crumbs = nav.breadcrumbs(root, info)
        edit_url = config.edit_url(f"{repo_prefix}/{src}" if repo_prefix else src)
        neighbours = [(p.url, p.title) if p else None for p in (previous, following)]
        key = _sha("\0".join([entry.digest, entry.render_key, repr(info), shared[folder][1], repr(crumbs),
                               repr(neighbours), edit_url, frame.digest]).encode())
        if key != entry.output_key or not (paths.html / urls.output_file(info.url)).exists():
            jobs.append((src, info, key, previous, following, crumbs, edit_url, folder))
    templating = _Templating(paths, config, frame, page_template, nav_template, root, entries, shared, nav_cache)
    written: list[Path] = []
    for src, key, digest, index_digest, wrote in _template_all(templating, jobs):
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


def _nav_html(template: Any, cache: dict[str, str], frame: _Frame, info: nav.PageInfo,
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
        html = cache[key] = _render(template, _context(frame, virtual, nav=plain[0]), paths)
    own = f'<a href="{urls.relative(virtual, info.url)}">'
    return Markup(html.replace(own, own[:-1] + ' aria-current="page">', 1))


@dataclass
class _Templating:
    """Everything a page's template needs besides the page itself (shared with worker processes by fork)."""

    paths: DocsPaths
    config: DocsConfig
    frame: _Frame
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
        heading, rest = _split_h1(body)
        page = {"title": info.title, "description": info.description, "url": info.url, "status": info.status,
                "content": _markup(body), "heading": _markup(heading), "body": _markup(rest),
                "has_h1": any(h[0] == 1 for h in entry.headings), "edit_url": edit_url, "src": src}
        canonical = f"{self.config.site_url.rstrip('/')}/{info.url}" if self.config.site_url else ""
        nav_html = _nav_html(self.nav_template, self.nav_cache, self.frame, info, self.shared[folder], self.paths)
        context = _context(self.frame, info.url, page=page, nav=nav.view(self.root, info), nav_html=nav_html,
                           breadcrumbs=crumbs, toc=toc, previous=previous, next=following, canonical=canonical)
        return _render(self.page_template, context, self.paths).encode("utf-8")

    def result(self, job: tuple[Any, ...], data: bytes, wrote: bool) -> tuple[str, str, str, str, bool]:
        return job[0], job[2], _sha(data), _sha(search.indexed_part(data)), wrote


_ACTIVE: _Templating | None = None  # what forked template workers inherit


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


def _template_all(templating: _Templating, jobs: list[tuple[Any, ...]]) -> list[tuple[str, str, str, str, bool]]:
    """Template and write the pages of ``jobs``: in forked worker processes (one per core) for many pages,
    else here, with the file writes in threads (a folder, a temporary file and a rename per page wait on the
    disk, not on the CPU)."""
    import multiprocessing
    import os

    global _ACTIVE
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) >= PARALLEL_FROM and workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor

        size = max(1, len(jobs) // (workers * 4))
        chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
        _ACTIVE = templating
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
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


def _template(env: Any, name: str, paths: DocsPaths) -> Any:
    import jinja2

    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"template: {exc.message}", path=exc.filename or name, location=exc.lineno) from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"template {name}: {exc}", path=paths.source / "_theme" / "templates") from None


def _render(template: Any, context: dict[str, Any], paths: DocsPaths) -> str:
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


def _split_h1(body: str) -> tuple[str, str]:
    """(the page's leading ``<h1>``, the rest) when the body starts with one, else ('', body): the theme puts
    the status badge between them."""
    if not body.startswith("<h1"):
        return "", body
    end = body.find("</h1>")
    return (body[:end + 5], body[end + 5:]) if end >= 0 else ("", body)


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)


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


def _special_pages(paths: DocsPaths, config: DocsConfig, state: State, frame: _Frame, env: Any,
                   root: nav.Folder, infos: dict[str, nav.PageInfo]) -> list[Path]:
    """404.html (links from the site's root: it is served at any depth) and sitemap.xml (needs site_url)."""
    written = []
    home = nav.PageInfo("404.md", "", "Page not found")
    view = nav.view(root, home)
    key = _sha(json.dumps([view, frame.digest, config.site_url], sort_keys=True).encode())
    target = paths.html / NOT_FOUND
    if state.special.get(NOT_FOUND) != key or not target.exists():
        root_url = (config.site_url.split("://", 1)[-1].partition("/")[2] if config.site_url else "")
        context = _context(frame, "", page={"title": "Page not found", "url": "404", "description": ""},
                           nav=view, canonical="")
        from markupsafe import Markup

        base = "/" + root_url.strip("/") + "/" if root_url.strip("/") else "/"
        context["rel"] = lambda target_url: base + target_url
        context["asset"] = lambda name: base + frame.assets[name].path
        context["root"] = base
        context["nav_html"] = Markup(_render(_template(env, "nav.html", paths), {**context, "nav": view}, paths))
        html = _render(env.get_template("404.html"), context, paths)
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
