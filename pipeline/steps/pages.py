"""HTML pages: parsed once, then every page transform runs on them in its phase (see
:mod:`pipeline.engine.pages`), and the result is written under the pages' own names.

The built-in transforms, in order: ``classic-loader`` (rewrite: a hand-written Go loader is an error naming
the page and line), ``urls`` (rewrite: references to hashed names), ``loader`` (inject: the
wasm loader replaces each ``<link data-vango rel="go">`` marker, or goes at the end of the entry page's
``<head>`` when no page has one), ``sri`` then ``importmap-integrity`` then ``guard`` (protect: integrity on
every script, stylesheet and preload, on modules through the import map, and the inline error guard), then
``minify`` and ``csp`` (policy: inline code minified in release builds, then the Content-Security-Policy
derived from the result, recorded for the deploy files). Release builds then minify each page's HTML.
"""

from __future__ import annotations

import hashlib
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.addons.manager import guarded
from pipeline.assets import minify
from pipeline.assets.resolve import resolver
from pipeline.assets.sri import csp
from pipeline.config.context import Context
from pipeline.core import urls
from pipeline.core.errors import PipelineError, display_path
from pipeline.core.fs import logical
from pipeline.core.hashing import Fingerprint
from pipeline.core.lazy import lazy_module
from pipeline.engine.maps import OutputFile, emit, integrity_of
from pipeline.engine.pages import PageSet, PageTransform, Phase
from pipeline.engine.step import Role, Step, StepResult, StepRun
from pipeline.observe import spans
from pipeline.steps import pagememo
from pipeline.steps.text import open_cache
from pipeline.steps.textcache import TextCache, digest
from pipeline.steps.wasm import BOOTSTRAP_NAME
from pipeline.wasm.bootstrap import render_guard, template_paths

if TYPE_CHECKING:
    from lxml import etree

# lxml and the parsers load when pages are built, not when a no-op run lists the tasks
html = lazy_module("pipeline.assets.rewrite.html")
sri_html = lazy_module("pipeline.assets.sri.html")
blocked = lazy_module("pipeline.assets.sri.blocked")


def _parse(path: Path, data: bytes) -> etree._ElementTree:
    try:
        return html.parse(data)
    except html.HtmlError as exc:
        raise PipelineError(str(exc), path=path) from None


def build_pages(run: StepRun) -> StepResult:
    """Every page transformed, or, when every transform is tracked, those whose source or reads changed, the
    others taken from the last run as they were (:mod:`pipeline.steps.pagememo`)."""
    from pipeline.addons.manager import INSTALLED
    from pipeline.engine.registry import Registry

    ctx = run.ctx
    pages = {logical(p, ctx.web_dir): p for p in run.sources}
    sources = {name: path.read_bytes() for name, path in pages.items()}
    transforms = Registry.from_addons(ctx).transforms
    cache = open_cache(run)
    installed = ctx.addons is not None and any(a.kind == INSTALLED for a in ctx.addons.addons)
    known = run.known()
    minifying = [ctx.config.minify.html, ctx.config.csp.enabled, minify.versions() if ctx.config.minify.html else None]
    key = pagememo.memo_key(PageSet(run, {}, pages, known), transforms, installed, minifying)
    reused = cache.reused
    page_set, settled = _transform(run, pages, sources, known, transforms, cache, key)
    if settled and pagememo.cross_changed(page_set, {name: entry for name, (entry, _) in settled.items()}):
        cache.reused = reused  # the pages settled at first are transformed now: not reused
        page_set, settled = _transform(run, pages, sources, known, transforms, cache, None)
    report_blocked(page_set)
    written: dict[str, str] = {}
    with spans.span("html.write", **{"vango.pages": len(pages)}) as measured:
        outputs = [settled[name][1] if name in settled
                   else page_output(ctx, cache, name, page_set.trees[name], minifying, written) for name in pages]
        measured.set(**{"vango.reused": cache.reused})
    if key is not None:
        pagememo.remember(cache, key, page_set, sources, {n: entry for n, (entry, _) in settled.items()}, written)
    cache.save()
    return StepResult(files=tuple(outputs), facts=page_set.facts)


def _transform(run: StepRun, pages: dict[str, Path], sources: dict[str, bytes], known: dict[str, OutputFile],
               transforms: list[PageTransform], cache: TextCache,
               key: str | None) -> tuple[PageSet, dict[str, tuple[Any, OutputFile]]]:
    """The page set after every transform ran on the pages not taken from the last run (all, with no
    ``key``), and the settled pages' entries and files."""
    ctx = run.ctx
    page_set = PageSet(run, {}, pages, known)
    settled: dict[str, tuple[Any, OutputFile]] = {}
    if key is not None:
        for name, entry in pagememo.settled_pages(cache, key, page_set, sources).items():
            found = cache.written(entry["written"]) if isinstance(entry.get("written"), str) else None
            if found is not None:
                settled[name] = (entry, OutputFile.from_fingerprint(name, found[0], found[1], hashed=False))
    page_set.settled = {name: entry.get("notes") or {} for name, (entry, _) in settled.items()}
    page_set.trees = {name: _parse(path, sources[name]) for name, path in pages.items() if name not in settled}
    for transform in transforms:
        with spans.span("html.transform", **{"vango.transform.name": transform.name,
                                             "vango.transform.phase": str(transform.phase.value),
                                             "vango.transform.owner": transform.owner,
                                             "vango.pages": len(page_set.trees)}):
            guarded(transform.owner, ctx.settings.debug, transform.apply, page_set)
    return page_set, settled


def report_blocked(pages: PageSet) -> None:
    """A warning for each element the policy will block, page by page in order, those of a page taken from the
    last run too (its notes): once the pages are final, so a step that transforms every page again reports
    each once."""
    ctx = pages.ctx
    if not ctx.config.csp.enabled:
        return
    for name in pages.sources:
        for line, message in pages.notes_of(name).get("blocked") or ():
            ctx.logger.warning("%s:%d: %s", display_path(pages.sources[name]), line, message,
                               extra={"event": "csp.blocked"})


def page_output(ctx: Context, cache: TextCache, name: str, tree: etree._ElementTree, minifying: list[Any],
                written: dict[str, str]) -> OutputFile:
    """The page's file in build/out. Minifying a page and parsing the result again to check its inline code
    is most of what a page costs once transformed, so a page whose serialized tree is the last run's, with its
    file still in build/out as written, is taken as it is: an edit of one page of 500 minifies one. The key
    names the page, its serialized bytes and what minifying depends on (``minifying``: the settings and the
    minifiers' versions; the pipeline's code is the cache's)."""
    data = html.serialize(tree)
    key = written[name] = digest("page", name, hashlib.sha256(data).hexdigest(), minifying)
    found = cache.written(key)
    if found is not None:
        return OutputFile.from_fingerprint(name, found[0], found[1], hashed=False)
    record = emit(ctx.out_dir, name, final_bytes(ctx, name, tree, data), hashed=False)
    cache.remember_text(key, record.path, Fingerprint(bytes.fromhex(record.hash), record.size))
    return record


def final_bytes(ctx: Context, name: str, tree: etree._ElementTree, data: bytes | None = None) -> bytes:
    """The page as served: serialized (``data``, when the caller has it), and minified in release builds. The
    policy hashed the inline code of the tree, so a minified page whose inline code reads differently is
    refused rather than served broken."""
    data = html.serialize(tree) if data is None else data
    if not ctx.config.minify.html:
        return data
    minified = minify.html(data)
    if ctx.config.csp.enabled:
        after = html.parse(minified)
        if (sorted(sri_html.inline_script_hashes(after)) != sorted(sri_html.inline_script_hashes(tree))
                or sorted(sri_html.inline_style_hashes(after)) != sorted(sri_html.inline_style_hashes(tree))):
            raise PipelineError("minifying the page changed the text of an inline script or style, so its CSP hash "
                                'would not match; set "minify": {"html": false} in vango.json and report it',
                                path=ctx.web_dir / name)
    return minified


# ---------------------------------------------------------------- the built-in transforms


def refuse_classic_loaders(pages: PageSet) -> None:
    """A hand-written Go loader would start the program twice or fetch a wasm that does not exist: an error
    naming the page, the line and the edit (``vango init`` makes it)."""
    from pipeline.adopt.loaders import MARKER, find_loaders
    from pipeline.core.errors import ConfigError

    ctx = pages.ctx
    for name, tree in pages.trees.items():
        def read(src: str, page: str = name, base_href: str | None = html.base_href(tree)) -> str | None:
            try:
                target = urls.to_logical(src, page, ctx.config.base, base_href)
            except urls.EscapesRoot:
                return None
            return pages.source_text(page, target) if target else None  # a site's pages share their scripts

        found = find_loaders(tree, read)
        if found:
            first = found[0]
            raise ConfigError(f"{first.describe()}: the build adds its own loader, so this page would start Go "
                              f"twice or fetch a wasm that does not exist; delete it (put {MARKER} where the "
                              "loader should go) or run 'vango init', which makes that edit",
                              path=pages.sources[name], location=first.line)


def rewrite_urls(pages: PageSet) -> None:
    config = pages.ctx.config

    for name, tree in pages.trees.items():
        def lookup(target: str, page: str = name) -> str | None:
            record = pages.record(page, target)
            if record is not None:
                return record.path
            return target if pages.is_page(page, target) else None

        new_url = resolver(name, pages.sources[name], lookup, base=config.base, web_dir=pages.ctx.web_dir,
                           base_href=html.base_href(tree))
        html.rewrite(tree, new_url)


def insert_loader(pages: PageSet) -> None:
    """After rewriting: the loader's URL is already the served one. Whether any page has a marker is a
    fact of every page (``cross``): the entry page gets the loader only when none has."""
    def loader(page: str) -> etree._Element:  # a read of the pages that get it (a Go edit changes its name)
        return html.script_element(pages.url(BOOTSTRAP_NAME, page=page))

    marked = {name for name, tree in pages.trees.items()
              if html.replace_marker(tree, lambda name=name: loader(name))}
    for name in pages.trees:
        pages.note(name, "marked", name in marked)
    pages.cross["marked"] = bool(marked) or any(notes.get("marked") for notes in pages.settled.values())
    entry = pages.ctx.config.entry
    if not pages.cross["marked"] and entry in pages.trees:
        html.append_to_head(pages.trees[entry], loader(entry))


def protect(pages: PageSet) -> None:
    """Integrity for every script/stylesheet/preload of every page, from the final bytes of its target."""
    ctx = pages.ctx
    for name, tree in pages.trees.items():
        base_href = html.base_href(tree)

        def integrity_for(url: str, name: str = name, base_href: str | None = base_href) -> str | None:
            try:
                target = urls.to_logical(url, name, ctx.config.base, base_href)
            except urls.EscapesRoot:
                return None
            record = pages.served(name, target) if target else None  # the URL is already the served path
            return integrity_of(record, ctx.out_dir, ctx.config.sri.algorithms) if record else None

        try:
            with spans.span("sri.hash", **{"vango.page": name, "vango.sri.algorithms": ",".join(
                    ctx.config.sri.algorithms)}):
                sri_html.add_integrity(tree, integrity_for, ctx.config.sri.allow)
        except sri_html.SriError as exc:
            raise PipelineError(str(exc), path=pages.sources[name], location=exc.line) from None


def importmap_integrity(pages: PageSet) -> None:
    """Modules loaded by ``import`` have no attribute for a hash: the import map carries it, for the modules
    the page can load (its module scripts and preloads, and what they import, from the script steps'
    ``imports``). A page whose modules may load others too (a bare specifier, a computed ``import()``, a
    module of a step that lists no imports), with an inline module script or an import map of its own, lists
    every module, so nothing it may load goes unchecked."""
    from pipeline.addons.manager import INSTALLED

    ctx = pages.ctx
    # An installed addon's transforms may add scripts to a page after this one: list every module then.
    everything = ctx.addons is not None and any(a.kind == INSTALLED for a in ctx.addons.addons)
    hashes: dict[str, str] = {}

    def entry(path: str, record: OutputFile) -> tuple[str, str]:
        if path not in hashes:
            hashes[path] = integrity_of(record, ctx.out_dir, ctx.config.sri.algorithms)
        return ctx.config.base + path, hashes[path]

    for name, tree in pages.trees.items():
        loaded = None if everything else _loadable(pages, name, tree)
        if loaded is None:
            loaded = pages.all_modules(name)
        try:
            sri_html.add_importmap_integrity(tree, dict(entry(p, loaded[p]) for p in sorted(loaded)))
        except sri_html.SriError as exc:
            raise PipelineError(str(exc), path=pages.sources[name], location=exc.line) from None


def _loadable(pages: PageSet, name: str, tree: etree._ElementTree) -> dict[str, OutputFile] | None:
    """The served paths of the modules a page can load, or None when that cannot be known: from each script it
    loads (a classic one's ``import()`` goes through the import map too) and module preload, what those import,
    transitively. An import map of the page's own, an inline module, or inline code that mentions ``import``
    (a classic script's ``import()``, an event handler's) is not followed: None."""
    ctx = pages.ctx
    base_href = html.base_href(tree)
    pending = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for key, value in element.attrib.items():  # an event handler's code, a javascript: URL's
            if "import" in value and (str(key).lower().startswith("on")
                                      or value.strip().lower().startswith("javascript:")):
                return None
        if element.tag == "script" or str(element.tag).endswith("}script"):  # an SVG one too
            kind = (element.get("type") or "").strip().lower()
            url = element.get("src")
            code = unescape(element.text or "")  # an SVG script's text is decoded by the browser
            if kind == "importmap" or (url is None and (kind == "module" or "import" in code)):
                return None
        elif element.tag == "link":
            url = element.get("href") if "modulepreload" in (element.get("rel") or "").lower().split() else None
        else:
            continue
        if not url:
            continue
        try:
            target = urls.to_logical(url.strip(), name, ctx.config.base, base_href)
        except urls.EscapesRoot:
            continue
        if target and pages.module(name, target) is not None:
            pending.append(target)
    loaded: dict[str, OutputFile] = {}
    while pending:
        path = pending.pop()
        if path in loaded:
            continue
        found = pages.module(name, path)
        if found is None:  # an import the script step named that serves no module
            continue
        record, imports, opens = found
        if opens:
            return None
        loaded[path] = record
        pending.extend(imports)
    return loaded


def insert_guard(pages: PageSet) -> None:
    guard = render_guard(app_name=pages.ctx.config.name)
    for tree in pages.trees.values():
        html.insert_before_resources(tree, html.inline_script(guard))


def minify_inline_code(pages: PageSet) -> None:
    """Release builds: inline scripts and styles minified before the policy hashes them (see
    :mod:`pipeline.assets.minify`)."""
    settings = pages.ctx.config.minify
    if not settings.html:
        return
    for name, tree in pages.trees.items():
        try:
            minify.inline_code(tree, scripts=settings.js, styles=settings.css)
        except minify.MinifyError as exc:
            raise PipelineError(f"{exc}: the release build cannot minify this inline code (a syntax error?)",
                                path=pages.sources[name], location=exc.line) from None


def content_security_policy(pages: PageSet) -> None:
    """The policy of every page: the inline code's hashes and the sources each page uses (its ``csp`` note,
    so pages taken from the last run count too), and the sources transforms asked for. Each page's findings
    (what the policy would block) are noted as well, so a page taken from the last run reports them again. What
    a page's output depends on is ``cross``: the policy when a meta element holds it, else only the switches
    the findings read, so a new inline script re-transforms one page, not all."""
    ctx = pages.ctx
    for name, tree in pages.trees.items():
        pages.note(name, "csp", {"scripts": sorted(sri_html.inline_script_hashes(tree)),
                                 "styles": sorted(sri_html.inline_style_hashes(tree)),
                                 "attributes": sri_html.has_style_attributes(tree),
                                 "sources": sri_html.cross_origin_sources(tree)})
    scripts, styles, attributes = set(), set(), False
    for name in pages.sources:
        used = pages.notes_of(name).get("csp") or {}
        pages.allow_all(used.get("sources") or {})  # what the build accepted, the policy allows
        scripts.update(used.get("scripts") or ())
        styles.update(used.get("styles") or ())
        attributes = attributes or bool(used.get("attributes"))
    policy = csp.build_policy(script_hashes=scripts, style_hashes=styles, style_attributes=attributes,
                              extra=dict(ctx.config.csp.directives))
    if pages.allowed:
        policy = csp.merge([policy, pages.allowed])
    if ctx.config.csp.enabled and ctx.config.csp.meta:
        pages.cross["csp"] = policy  # in every page's meta element
    if ctx.config.csp.enabled:
        pages.cross["blocking"] = blocked.html_switches(policy)  # what each page's findings depend on
        for name, tree in pages.trees.items():  # reported once the pages are final (report_blocked)
            pages.note(name, "blocked", [list(found) for found in blocked.html_findings(tree, policy)])
    if ctx.config.csp.enabled and ctx.config.csp.meta:
        for tree in pages.trees.values():
            _meta_policy(tree, csp.serialize(policy, for_meta=True))
    pages.facts["csp"] = policy if ctx.config.csp.enabled else None


def _meta_policy(tree: etree._ElementTree, policy: str) -> None:
    """First in <head>, so it applies to everything the page loads."""
    from lxml import etree

    meta = etree.Element("meta")
    meta.set("http-equiv", "Content-Security-Policy")
    meta.set("content", policy)
    head = tree.getroot().find("head")
    if head is None:
        head = etree.Element("head")
        tree.getroot().insert(0, head)
    charset = next((m for m in head.iter("meta") if m.get("charset") is not None), None)
    if charset is not None:  # <meta charset> must stay within the first 1024 bytes
        meta.tail = charset.tail
        charset.addnext(meta)
    else:
        meta.tail = head.text
        head.insert(0, meta)


def page_inputs(ctx: Context) -> list[Path]:
    return list(template_paths())


def page_settings(ctx: Context) -> dict[str, Any]:
    config = ctx.config
    return {"base": config.base, "entry": config.entry, "sri": config.sri, "csp": config.csp,
            "minify": minify.task_settings(config.minify)}


STEP = Step("pages", Role.PAGE, "Rewrite HTML pages to hashed names, insert the wasm loader, add SRI", build_pages,
            claims=("*.html", "*.htm"), inputs=page_inputs, settings=page_settings, config="sri, csp")
TRANSFORMS = [
    PageTransform("classic-loader", Phase.REWRITE, refuse_classic_loaders, tracked=True,
                  doc="refuse a hand-written Go loader (vango init removes it)"),
    PageTransform("urls", Phase.REWRITE, rewrite_urls, after=("classic-loader",), tracked=True,
                  doc="references to hashed names"),
    PageTransform("loader", Phase.INJECT, insert_loader, tracked=True,
                  doc="the wasm loader at the marker or in the entry page"),
    PageTransform("sri", Phase.PROTECT, protect, tracked=True, doc="integrity on every script, stylesheet and preload"),
    PageTransform("importmap-integrity", Phase.PROTECT, importmap_integrity, after=("sri",), tracked=True,
                  doc="integrity of imported modules through the import map"),
    PageTransform("guard", Phase.PROTECT, insert_guard, after=("importmap-integrity",), tracked=True,
                  doc="the inline guard that reports a refused script or stylesheet"),
    PageTransform("minify", Phase.POLICY, minify_inline_code, tracked=True,
                  doc="minify inline scripts and styles (release builds)"),
    PageTransform("csp", Phase.POLICY, content_security_policy, after=("minify",), tracked=True,
                  doc="the Content-Security-Policy of the pages"),
]


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]


@hookimpl
def vango_page_transforms() -> list[PageTransform]:
    return TRANSFORMS
