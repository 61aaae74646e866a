"""Stylesheets: ``url()`` and ``@import`` rewritten to hashed names, then hashed themselves."""

from __future__ import annotations

from pipeline.assets.rewrite import css
from pipeline.config.context import Project
from pipeline.engine.maps import map_path
from pipeline.engine.tasks import action, step_task, written
from pipeline.steps.sources import STYLE_SUFFIXES, by_suffix
from pipeline.steps.text import build_text_assets

CONTENT_STEP = "css"
UPSTREAM = ["static"]


@action
def build_css(project: Project) -> list[str]:
    outputs = build_text_assets(project, by_suffix(project.web_dir, STYLE_SUFFIXES), css, UPSTREAM)
    return written(project, CONTENT_STEP, outputs)


def task_css(project: Project) -> dict:
    deps = [*by_suffix(project.web_dir, STYLE_SUFFIXES), *(map_path(project.maps_dir, s) for s in UPSTREAM)]
    return step_task(project, CONTENT_STEP, "Rewrite url()/@import in stylesheets and give them hashed names",
                     build_css, file_dep=deps, settings={"base": project.config.base})
