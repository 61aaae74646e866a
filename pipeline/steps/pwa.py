"""The Progressive Web App's static parts: icons from one source image, the web app manifest and the
service-worker registration script (all hashed, except ``favicon.ico`` which browsers ask for by name).

Its ``pwa-links`` page transform links them from every page (in the inject phase, so they get SRI); the
worker itself (``sw.js``) is rendered by the ``sw`` aggregate step. With the PWA off, this step records
no files and the transform adds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import minify
from pipeline.config.context import Context
from pipeline.core.errors import ConfigError
from pipeline.core.lazy import lazy_module
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.pages import PageSet, PageTransform, Phase
from pipeline.engine.step import Role, Step, StepRun
from pipeline.pwa.serviceworker import SW_NAME, render_register_script, template_paths
from pipeline.pwa.webmanifest import build_webmanifest, dumps, validate_webmanifest

# Pillow and lxml load when the PWA files or pages are built, not when a no-op run lists the tasks
icons = lazy_module("pipeline.pwa.icons")
html = lazy_module("pipeline.assets.rewrite.html")
WEBMANIFEST_NAME = "manifest.webmanifest"
REGISTER_NAME = "sw-register.js"


def build_pwa(run: StepRun) -> list[OutputFile]:
    ctx = run.ctx
    settings, base = ctx.config.pwa, ctx.config.base
    if settings is None:
        return []
    images = icons.render_icons(ctx.pwa_icon.read_bytes(), background=settings.background_color,
                                source_path=ctx.pwa_icon)
    outputs: dict[str, OutputFile] = {name: emit(ctx.out_dir, name, data, hashed=name != icons.FAVICON)
                                      for name, data in images.items()}
    entries = [{**entry, "src": base + outputs[entry["src"]].path} for entry in icons.ICON_ENTRIES]
    manifest = build_webmanifest(settings, ctx.config.name, entries)
    problems = validate_webmanifest(manifest, manifest_url=base + WEBMANIFEST_NAME)
    if problems:
        raise ConfigError(f"$.pwa: the web app manifest would not be installable: {problems[0]}",
                            path=ctx.config_path)
    outputs[WEBMANIFEST_NAME] = emit(ctx.out_dir, WEBMANIFEST_NAME, dumps(manifest))
    register = render_register_script(sw_url=base + SW_NAME, scope=settings.scope,
                                      update=settings.service_worker.update)
    outputs[REGISTER_NAME] = emit(ctx.out_dir, REGISTER_NAME, minify.generated_script(register, ctx.config.minify.js))
    return list(outputs.values())


def pwa_inputs(ctx: Context) -> list[Path]:
    return [ctx.pwa_icon, *template_paths()] if ctx.config.pwa else []


def pwa_settings(ctx: Context) -> dict[str, Any]:
    return {"name": ctx.config.name, "base": ctx.config.base, "pwa": ctx.config.pwa,
            "minify": minify.task_settings(ctx.config.minify.js)}


def link_pwa(pages: PageSet) -> None:
    """Manifest, theme colour, touch icon and the worker registration (external, so SRI and CSP apply);
    anything the author already declared is kept."""
    from lxml import etree

    settings = pages.ctx.config.pwa
    if settings is None:
        return
    for name, tree in pages.trees.items():
        head = tree.getroot().find("head")
        if head is None:
            head = etree.Element("head")
            tree.getroot().insert(0, head)

        def has(xpath: str, head: Any = head) -> bool:
            return bool(head.xpath(xpath))

        additions = []

        def url(logical: str, page: str = name) -> str:  # a read of this page
            return pages.url(logical, page=page)

        if not has("link[contains(concat(' ', normalize-space(@rel), ' '), ' manifest ')]"):
            additions.append(("link", {"rel": "manifest", "href": url(WEBMANIFEST_NAME)}))
        if not has("meta[@name='theme-color']"):
            additions.append(("meta", {"name": "theme-color", "content": settings.theme_color}))
        if not has("link[@rel='apple-touch-icon']"):
            additions.append(("link", {"rel": "apple-touch-icon", "href": url(icons.APPLE_TOUCH_ICON)}))
        if not has("link[contains(concat(' ', normalize-space(@rel), ' '), ' icon ')]"):
            additions.append(("link", {"rel": "icon", "href": url(icons.FAVICON), "sizes": "48x48"}))
        additions.append(("script", {"src": url(REGISTER_NAME), "defer": ""}))
        for tag, attributes in additions:
            element = etree.Element(tag, attributes)
            if tag == "script":
                element.text = ""
            html.append_to_head(tree, element)


STEP = Step("pwa", Role.PAGE_ASSET, "Generate PWA icons, manifest.webmanifest and the worker registration", build_pwa,
            inputs=pwa_inputs, settings=pwa_settings, config="pwa")
LINKS = PageTransform("pwa-links", Phase.INJECT, link_pwa, after=("loader",), tracked=True,
                      doc="link the web app manifest, icons and the worker registration")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]


@hookimpl
def vango_page_transforms() -> list[PageTransform]:
    return [LINKS]
