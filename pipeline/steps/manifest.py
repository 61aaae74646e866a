"""``asset-manifest.json``: every logical path with its served path, size, hash and encodings."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.assets.asset_manifest import MANIFEST_NAME, build_manifest, dumps, served_files, validate_manifest
from pipeline.config.context import Project
from pipeline.core.errors import PipelineError
from pipeline.core.fs import files_under, write_if_changed
from pipeline.engine.loader import content_steps
from pipeline.engine.maps import map_path, read_files, read_map
from pipeline.engine.tasks import action, settings_changed
from pipeline.steps.compress import STEP as COMPRESS


def manifest_path(project: Project) -> Path:
    return project.out_dir / MANIFEST_NAME


@action
def write_manifest(project: Project) -> list[Path]:
    files = read_files(project.maps_dir, content_steps())
    if MANIFEST_NAME in files:
        raise PipelineError(f"'{MANIFEST_NAME}' is reserved for the asset manifest; rename that file")
    manifest = build_manifest(project.config, files, read_map(project.maps_dir, COMPRESS)["encodings"])
    problems = validate_manifest(manifest)
    if problems:
        raise PipelineError(f"internal error, the asset manifest is invalid: {problems[0]}")
    target = manifest_path(project)
    write_if_changed(target, dumps(manifest))
    _remove_stale(project, set(served_files(manifest)))
    return [target]


def _remove_stale(project: Project, keep: set[str]) -> None:
    """Drop outputs of earlier builds from build/out, so it holds exactly the next release."""
    for path in files_under(project.out_dir):
        if path.relative_to(project.out_dir).as_posix() not in keep:
            path.unlink()
    for folder, dirs, names in os.walk(project.out_dir, topdown=False):
        if folder != str(project.out_dir) and not dirs and not names:
            os.rmdir(folder)


def task_manifest(project: Project) -> dict:
    deps = [map_path(project.maps_dir, s) for s in [*content_steps(), COMPRESS]]
    return {
        "doc": f"Write {MANIFEST_NAME}: logical path -> hashed path, size, hash, integrity, encodings",
        "actions": [(write_manifest, [project])],
        "file_dep": [str(p) for p in deps],
        "targets": [str(manifest_path(project))],
        "uptodate": [settings_changed({"name": project.config.name, "base": project.config.base,
                                       "entry": project.config.entry})],
        "clean": True,
        "verbosity": 2,
    }
