"""The service worker, ``sw.js``: an aggregate over every app file, unhashed at the scope root (browsers
re-check that URL for updates), rendered from every file it precaches, so it changes exactly when the app
does. A large app's precache list goes into parts, hashed scripts ``sw.js`` imports
(``sw-precache-<n>.<hash>.js``; see :func:`pipeline.pwa.serviceworker.precache_parts`). Server steps
(``_headers``, ``nginx.conf``) come after it and are never precached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import minify
from pipeline.config.context import Context
from pipeline.core.errors import PipelineError
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.step import Role, Step, StepRun
from pipeline.observe import spans
from pipeline.pwa.serviceworker import (
    PART_NAME,
    PART_NAMES,
    SW_NAME,
    asset_url,
    cache_prefix_for,
    precache_entries,
    precache_parts,
    precache_version,
    render_precache_part,
    render_service_worker,
    template_paths,
)


def build_service_worker(run: StepRun) -> list[OutputFile]:
    config = run.ctx.config
    settings = config.pwa
    if settings is None:
        return []
    assets = {name: {"path": r.path, "size": r.size, "hash": r.hash, "integrity": r.integrity}
              for name, r in run.known().items()}
    taken = sorted(name for name in assets if PART_NAMES.fullmatch(name))
    if taken:  # reserved at any size, so a file does not break the build the day the app outgrows one list
        raise PipelineError(f"'{taken[0]}' is reserved for the service worker's precache parts "
                            "(sw-precache-<n>.js); rename that file")
    entries = precache_entries(assets, config.base, settings.service_worker.max_file_size)
    with spans.span("sw.render", **{"vango.sw.precache_entries": len(entries)}) as measured:
        parts = [emit(run.ctx.out_dir, PART_NAME.format(bucket), render_precache_part(listed))
                 for bucket, listed in precache_parts(entries).items()]
        measured.set(**{"vango.sw.parts": len(parts)})
        worker = render_service_worker(
            precache=entries,
            shell_url=asset_url(config.base, config.entry) if settings.service_worker.navigation_fallback else None,
            scope=settings.scope,
            cache_prefix=cache_prefix_for(settings.id),
            update=settings.service_worker.update,
            denylist=list(settings.service_worker.denylist),
            version=precache_version(entries),
            parts=[asset_url(config.base, part.path) for part in parts],
        )
    return [*parts, emit(run.ctx.out_dir, SW_NAME, minify.generated_script(worker, config.minify.js), hashed=False)]


def sw_inputs(ctx: Context) -> list[Path]:
    return list(template_paths()) if ctx.config.pwa else []


def sw_settings(ctx: Context) -> dict[str, Any]:
    return {"base": ctx.config.base, "entry": ctx.config.entry, "pwa": ctx.config.pwa,
            "minify": minify.task_settings(ctx.config.minify.js)}


STEP = Step("sw", Role.AGGREGATE, "Render sw.js (and its precache parts): precache every file, offline shell, updates",
            build_service_worker, inputs=sw_inputs, settings=sw_settings, config="pwa.service_worker",
            outputs=(SW_NAME,))


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
