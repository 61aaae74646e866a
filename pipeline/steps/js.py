"""JS modules: relative import specifiers and ``new URL(…, import.meta.url)`` rewritten, then hashed.

They can reference other modules, static files and stylesheets; pages cannot be referenced (they are
built after the modules).

Bare specifiers (``lit``) are left for import maps.
"""

from __future__ import annotations

from pipeline.assets.rewrite import Reference, js
from pipeline.config.context import Project
from pipeline.engine.maps import map_path
from pipeline.engine.tasks import action, step_task, written
from pipeline.steps.sources import SCRIPT_SUFFIXES, by_suffix
from pipeline.steps.text import build_text_assets

CONTENT_STEP = "js"
UPSTREAM = ["static", "css"]  # modules may reference images, fonts and stylesheets (import ... with {type: "css"})


def is_bare(ref: Reference) -> bool:
    return ref.kind == "import" and not js.is_relative_specifier(ref.url)


@action
def build_js(project: Project) -> list[str]:
    outputs = build_text_assets(project, by_suffix(project.web_dir, SCRIPT_SUFFIXES), js, UPSTREAM, skip=is_bare)
    return written(project, CONTENT_STEP, outputs)


def task_js(project: Project) -> dict:
    deps = [*by_suffix(project.web_dir, SCRIPT_SUFFIXES), *(map_path(project.maps_dir, s) for s in UPSTREAM)]
    return step_task(project, CONTENT_STEP, "Rewrite JS module imports and give the modules hashed names",
                     build_js, file_dep=deps, settings={"base": project.config.base})
