"""HTML pages: every reference rewritten to its hashed name and the wasm loader put in place.

Pages keep their names (they are what users navigate to). The loader replaces each
``<link data-vango rel="go">`` marker, or goes at the end of the entry page's ``<head>`` when no page
has a marker.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.fs import logical
from pipeline.outputs import emit, map_path, read_files
from pipeline.project import Project
from pipeline.resolve import resolver
from pipeline.rewrite import html
from pipeline.sources import PAGE_SUFFIXES, by_suffix
from pipeline.tasks.base import action, step_task, written
from pipeline.tasks.wasm import BOOTSTRAP_NAME

CONTENT_STEP = "pages"
UPSTREAM = ["static", "css", "js", "wasm"]


def _parse(path: Path):
    try:
        return html.parse(path.read_bytes())
    except html.HtmlError as exc:
        raise PipelineError(str(exc), path=path) from None


@action
def build_pages(project: Project) -> list[str]:
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
    outputs = [emit(project.out_dir, name, html.serialize(tree), hashed=False) for name, tree in trees.items()]
    return written(project, CONTENT_STEP, outputs)


def task_pages(project: Project) -> dict:
    deps = [*by_suffix(project.web_dir, PAGE_SUFFIXES), *(map_path(project.maps_dir, s) for s in UPSTREAM)]
    return step_task(project, CONTENT_STEP, "Rewrite HTML pages to hashed asset names and insert the wasm loader",
                     build_pages, file_dep=deps,
                     settings={"base": project.config.base, "entry": project.config.entry})
