"""``release``, the main job: publish the staged build as dist/ in one atomic swap.

Hashed files of the previous ``deploy.keep_releases`` releases are carried over (listed under
``retained`` in the manifest), so tabs still running an older version can fetch what they need.

It runs only after every other step succeeded (they are its dependencies), so a failing build never
touches dist/; with nothing changed it does not run at all and dist/ keeps its files and mtimes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.assets.asset_manifest import MANIFEST_NAME, dumps, served_files
from pipeline.assets.serverconf import retained_files
from pipeline.config.context import Project
from pipeline.core.dirswap import clear_stale_staging, staging_dir, swap_into_place
from pipeline.core.fs import write_atomic
from pipeline.engine.tasks import action, settings_changed
from pipeline.steps.manifest import manifest_path


@action
def publish_release(project: Project) -> list[Path]:
    dist = project.dist_dir
    dist.parent.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(dist)
    staging = staging_dir(dist)
    manifest = json.loads(manifest_path(project).read_text(encoding="utf-8"))
    current = served_files(manifest)
    retained = retained_files(_previous_manifest(dist), current, project.config.deploy.keep_releases)
    retained = {path: age for path, age in retained.items() if (dist / path).is_file()}
    try:
        for relative in current:
            _copy(project.out_dir / relative, staging / relative)
        for relative in retained:
            _copy(dist / relative, staging / relative)
        if retained:
            manifest["retained"] = {path: {"releases_ago": age} for path, age in retained.items()}
        write_atomic(staging / MANIFEST_NAME, dumps(manifest))
        swap_into_place(staging, dist)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [dist / relative for relative in current]


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def _previous_manifest(dist: Path) -> dict | None:
    try:
        return json.loads((dist / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # first release, or a dist/ not made by this pipeline: nothing to keep


def task_release(project: Project) -> dict:
    return {
        "doc": "Build the app and publish it to dist/ atomically (the main job)",
        "actions": [(publish_release, [project])],
        "file_dep": [str(manifest_path(project))],
        "targets": [str(project.dist_dir / MANIFEST_NAME)],
        "uptodate": [settings_changed({"keep_releases": project.config.deploy.keep_releases})],
        "verbosity": 2,
    }
