"""``release``, the main job: publish the staged build as dist/ in one atomic swap.

It runs only after every other step succeeded (they are its dependencies), so a failing build never
touches dist/; with nothing changed it does not run at all and dist/ keeps its files and mtimes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.manifest import MANIFEST_NAME, served_files
from pipeline.project import Project
from pipeline.publish import clear_stale_staging, staging_dir, swap_into_place
from pipeline.tasks.base import action, settings_changed
from pipeline.tasks.manifest import manifest_path


@action
def publish_release(project: Project) -> list[Path]:
    dist = project.dist_dir
    dist.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(dist)
    staging = staging_dir(dist)
    manifest = json.loads(manifest_path(project).read_text(encoding="utf-8"))
    try:
        for relative in served_files(manifest):
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(project.out_dir / relative, destination)
        swap_into_place(staging, dist)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [dist / relative for relative in served_files(manifest)]


def task_release(project: Project) -> dict:
    return {
        "doc": "Build the app and publish it to dist/ atomically (the main job)",
        "actions": [(publish_release, [project])],
        "file_dep": [str(manifest_path(project))],
        "targets": [str(project.dist_dir / MANIFEST_NAME)],
        "uptodate": [settings_changed({"keep_releases": project.config.deploy.keep_releases})],
        "verbosity": 2,
    }
