"""The public folder: copied into dist/ as-is, under the same names (robots.txt, .well-known/…)."""

from __future__ import annotations

from pipeline.config.context import Project
from pipeline.core.fs import files_under, logical
from pipeline.engine.maps import emit
from pipeline.engine.tasks import action, step_task, written

CONTENT_STEP = "public"


@action
def copy_public(project: Project) -> list[str]:
    root = project.public_dir
    outputs = [emit(project.out_dir, logical(p, root), p.read_bytes(), hashed=False) for p in files_under(root)]
    return written(project, CONTENT_STEP, outputs)


def task_public(project: Project) -> dict:
    return step_task(project, CONTENT_STEP, "Copy the public folder into dist/ unchanged", copy_public,
                     file_dep=files_under(project.public_dir), settings={"public": project.config.public})
