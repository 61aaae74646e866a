"""HTML pages: references rewritten to hashed names, the wasm loader put in place, and every script and
stylesheet protected by Subresource Integrity; the Content-Security-Policy is derived from the result.

Pages keep their names (they are what users navigate to). The loader replaces each
``<link data-vango rel="go">`` marker, or goes at the end of the entry page's ``<head>`` when no page
has a marker.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from pipeline.assets.resolve import resolver
from pipeline.assets.rewrite import html
from pipeline.assets.sri import csp
from pipeline.assets.sri.html import (
    SriError,
    add_importmap_integrity,
    add_integrity,
    has_style_attributes,
    inline_script_hashes,
    inline_style_hashes,
)
from pipeline.config.context import Project
from pipeline.core import urls
from pipeline.core.errors import PipelineError
from pipeline.core.fs import logical
from pipeline.engine.maps import OutputFile, emit, integrity_of, map_path, read_files, read_map
from pipeline.engine.tasks import action, step_task, written
from pipeline.pwa.icons import APPLE_TOUCH_ICON, FAVICON
from pipeline.steps.pwa import MANIFEST_NAME, REGISTER_NAME
from pipeline.steps.sources import PAGE_SUFFIXES, by_suffix
from pipeline.steps.wasm import BOOTSTRAP_NAME
from pipeline.wasm.bootstrap import render_guard, template_paths

CONTENT_STEP = "pages"
UPSTREAM = ["static", "css", "js", "wasm", "pwa"]


def _parse(path: Path) -> etree._ElementTree:
    try:
        return html.parse(path.read_bytes())
    except html.HtmlError as exc:
        raise PipelineError(str(exc), path=path) from None


def _protect(project: Project, name: str, source: Path, tree: etree._ElementTree,
             served: dict[str, OutputFile]) -> None:
    """Integrity for every script/stylesheet/preload of the page, from the final bytes of its target."""
    base_href = html.base_href(tree)

    def integrity_for(url: str) -> str | None:
        try:
            target = urls.to_logical(url, name, project.config.base, base_href)
        except urls.EscapesRoot:
            return None
        record = served.get(target or "")
        return integrity_of(record, project.out_dir, project.config.sri.algorithms) if record else None

    try:
        add_integrity(tree, integrity_for, project.config.sri.allow)
    except SriError as exc:
        raise PipelineError(str(exc), path=source, location=exc.line) from None


def content_security_policy(project: Project, trees: dict[str, etree._ElementTree]) -> csp.Policy:
    scripts, styles, attributes = set(), set(), False
    for tree in trees.values():
        scripts.update(inline_script_hashes(tree))
        styles.update(inline_style_hashes(tree))
        attributes = attributes or has_style_attributes(tree)
    return csp.build_policy(script_hashes=scripts, style_hashes=styles, style_attributes=attributes,
                            extra=dict(project.config.csp.directives))


def _meta_policy(tree: etree._ElementTree, policy: str) -> None:
    """First in <head>, so it applies to everything the page loads."""
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


def _link_pwa(tree: etree._ElementTree, base: str, known: dict[str, OutputFile], theme_color: str) -> None:
    """Manifest, theme colour, touch icon and the worker registration (external, so SRI and CSP apply);
    anything the author already declared is kept."""
    head = tree.getroot().find("head")
    if head is None:
        head = etree.Element("head")
        tree.getroot().insert(0, head)

    def has(xpath: str) -> bool:
        return bool(head.xpath(xpath))

    additions = []
    if not has("link[contains(concat(' ', normalize-space(@rel), ' '), ' manifest ')]"):
        additions.append(("link", {"rel": "manifest", "href": base + known[MANIFEST_NAME].path}))
    if not has("meta[@name='theme-color']"):
        additions.append(("meta", {"name": "theme-color", "content": theme_color}))
    if not has("link[@rel='apple-touch-icon']"):
        additions.append(("link", {"rel": "apple-touch-icon", "href": base + known[APPLE_TOUCH_ICON].path}))
    if not has("link[contains(concat(' ', normalize-space(@rel), ' '), ' icon ')]"):
        additions.append(("link", {"rel": "icon", "href": base + known[FAVICON].path, "sizes": "48x48"}))
    additions.append(("script", {"src": base + known[REGISTER_NAME].path, "defer": ""}))
    for tag, attributes in additions:
        element = etree.Element(tag, attributes)
        if tag == "script":
            element.text = ""
        html.append_to_head(tree, element)


@action
def build_pages(project: Project) -> list[Path]:
    web, config = project.web_dir, project.config
    known = read_files(project.maps_dir, UPSTREAM)
    pages = {logical(p, web): p for p in by_suffix(web, PAGE_SUFFIXES)}
    trees = {name: _parse(path) for name, path in pages.items()}
    loader_src = config.base + known[BOOTSTRAP_NAME].path

    def lookup(target: str) -> str | None:
        if target in known:
            return known[target].path
        return target if target in pages else None

    for name, tree in trees.items():
        new_url = resolver(name, pages[name], lookup, base=config.base, web_dir=web, base_href=html.base_href(tree))
        html.rewrite(tree, new_url)
    # The loader goes in after rewriting: its URL is already the served one.
    marked = {name for name, tree in trees.items()
              if html.replace_marker(tree, lambda: html.script_element(loader_src))}
    if not marked:
        html.append_to_head(trees[config.entry], html.script_element(loader_src))

    pwa = read_map(project.maps_dir, "pwa")
    if pwa["files"]:
        for tree in trees.values():
            _link_pwa(tree, config.base, known, pwa["theme_color"])

    served = {record.path: record for record in known.values()}
    algorithms = config.sri.algorithms
    modules = {config.base + r.path: integrity_of(r, project.out_dir, algorithms)
               for r in read_files(project.maps_dir, ["js"]).values()}
    guard = render_guard(app_name=config.name)
    for name, tree in trees.items():
        _protect(project, name, pages[name], tree, served)
        try:
            add_importmap_integrity(tree, modules)
        except SriError as exc:
            raise PipelineError(str(exc), path=pages[name], location=exc.line) from None
        html.insert_before_resources(tree, html.inline_script(guard))
    policy = content_security_policy(project, trees)
    if config.csp.enabled and config.csp.meta:
        for tree in trees.values():
            _meta_policy(tree, csp.serialize(policy, for_meta=True))
    outputs = [emit(project.out_dir, name, html.serialize(tree), hashed=False) for name, tree in trees.items()]
    return written(project, CONTENT_STEP, outputs, csp=policy if config.csp.enabled else None)


def task_pages(project: Project) -> dict:
    deps = [*by_suffix(project.web_dir, PAGE_SUFFIXES), *(map_path(project.maps_dir, s) for s in UPSTREAM),
            *template_paths()]
    config = project.config
    return step_task(project, CONTENT_STEP, "Rewrite HTML pages to hashed names, insert the wasm loader, add SRI",
                     build_pages, file_dep=deps,
                     settings={"base": config.base, "entry": config.entry, "sri": config.sri, "csp": config.csp})
