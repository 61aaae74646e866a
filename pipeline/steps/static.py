"""Static assets (images, fonts, media, anything not HTML/CSS/JS): copied under content-hashed names."""

from __future__ import annotations

from pipeline.config.context import Project
from pipeline.core.fs import logical
from pipeline.engine.maps import emit
from pipeline.engine.tasks import action, step_task, written
from pipeline.steps.sources import other_files

CONTENT_STEP = "static"


@action
def build_static(project: Project) -> list[str]:
    outputs = [emit(project.out_dir, logical(p, project.web_dir), p.read_bytes()) for p in other_files(project.web_dir)]
    return written(project, CONTENT_STEP, outputs)


def task_static(project: Project) -> dict:
    return step_task(project, CONTENT_STEP, "Copy images, fonts and other static files under content-hashed names",
                     build_static, file_dep=other_files(project.web_dir), settings={"web": project.config.web})
