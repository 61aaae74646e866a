"""The Progressive Web App's static parts: icons from one source image, the web app manifest and the
service-worker registration script (all hashed, except ``favicon.ico`` which browsers ask for by name).

The pages step links them; the worker itself (``sw.js``) is rendered last by the ``sw`` step, from
everything it precaches. With the PWA off, this step records no files.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config.context import Project
from pipeline.core.errors import PipelineError
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.tasks import action, step_task, written
from pipeline.pwa.icons import FAVICON, ICON_ENTRIES, render_icons
from pipeline.pwa.serviceworker import SW_NAME, render_register_script, template_paths
from pipeline.pwa.webmanifest import build_webmanifest, dumps, validate_webmanifest

CONTENT_STEP = "pwa"
MANIFEST_NAME = "manifest.webmanifest"
REGISTER_NAME = "sw-register.js"


@action
def build_pwa(project: Project) -> list[Path]:
    settings, base = project.config.pwa, project.config.base
    if settings is None:
        return written(project, CONTENT_STEP, [])
    icons = render_icons(project.pwa_icon.read_bytes(), background=settings.background_color,
                         source_path=project.pwa_icon)
    outputs: dict[str, OutputFile] = {name: emit(project.out_dir, name, data, hashed=name != FAVICON)
                                      for name, data in icons.items()}
    entries = [{**entry, "src": base + outputs[entry["src"]].path} for entry in ICON_ENTRIES]
    manifest = build_webmanifest(settings, project.config.name, entries)
    problems = validate_webmanifest(manifest, manifest_url=base + MANIFEST_NAME)
    if problems:
        raise PipelineError(f"$.pwa: the web app manifest would not be installable: {problems[0]}",
                            path=project.config_path)
    outputs[MANIFEST_NAME] = emit(project.out_dir, MANIFEST_NAME, dumps(manifest))
    register = render_register_script(sw_url=base + SW_NAME, scope=settings.scope,
                                      update=settings.service_worker.update)
    outputs[REGISTER_NAME] = emit(project.out_dir, REGISTER_NAME, register)
    return written(project, CONTENT_STEP, outputs.values(), theme_color=settings.theme_color)


def task_pwa(project: Project) -> dict:
    settings = project.config.pwa
    deps = [project.pwa_icon, *template_paths()] if settings else []
    return step_task(project, CONTENT_STEP, "Generate PWA icons, manifest.webmanifest and the worker registration",
                     build_pwa, file_dep=deps, settings={"name": project.config.name, "base": project.config.base,
                                                         "pwa": settings})
