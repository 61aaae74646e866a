"""The service worker, ``sw.js``: unhashed at the scope root (browsers re-check that URL for updates),
rendered from every file it precaches, so it changes exactly when the app does."""

from __future__ import annotations

from pathlib import Path

from pipeline.config.context import Project
from pipeline.engine.loader import content_steps
from pipeline.engine.maps import emit, map_path, read_files
from pipeline.engine.tasks import action, step_task, written
from pipeline.pwa.serviceworker import (
    SW_NAME,
    asset_url,
    cache_prefix_for,
    precache_entries,
    precache_version,
    render_service_worker,
    template_paths,
)

CONTENT_STEP = "sw"
NOT_PRECACHED = {"deploy"}  # server configuration, not app files


def upstream() -> list[str]:
    return [s for s in content_steps() if s != CONTENT_STEP and s not in NOT_PRECACHED]


@action
def build_service_worker(project: Project) -> list[Path]:
    settings, config = project.config.pwa, project.config
    if settings is None:
        return written(project, CONTENT_STEP, [])
    files = read_files(project.maps_dir, upstream())
    assets = {name: {"path": r.path, "size": r.size, "hash": r.hash, "integrity": r.integrity}
              for name, r in files.items()}
    entries = precache_entries(assets, config.base, settings.service_worker.max_file_size)
    worker = render_service_worker(
        precache=entries,
        shell_url=asset_url(config.base, config.entry) if settings.service_worker.navigation_fallback else None,
        scope=settings.scope,
        cache_prefix=cache_prefix_for(settings.id),
        update=settings.service_worker.update,
        denylist=list(settings.service_worker.denylist),
        version=precache_version(entries),
    )
    return written(project, CONTENT_STEP, [emit(project.out_dir, SW_NAME, worker, hashed=False)])


def task_sw(project: Project) -> dict:
    deps = [map_path(project.maps_dir, s) for s in upstream()]
    if project.config.pwa:
        deps += template_paths()
    return step_task(project, CONTENT_STEP, "Render sw.js: precache every file with integrity, offline shell, updates",
                     build_service_worker, file_dep=deps,
                     settings={"base": project.config.base, "entry": project.config.entry, "pwa": project.config.pwa})
