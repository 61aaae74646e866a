"""Deploy support: ``_headers`` (Netlify/Cloudflare) and an nginx snippet with caching, types and the CSP."""

from __future__ import annotations

from pathlib import Path

from pipeline.assets import serverconf as deploy
from pipeline.assets.sri import csp
from pipeline.config.context import Project
from pipeline.core.mediatypes import content_type
from pipeline.engine.loader import content_steps
from pipeline.engine.maps import emit, map_path, read_files, read_map
from pipeline.engine.tasks import action, step_task, written

CONTENT_STEP = "deploy"


def upstream() -> list[str]:
    return [s for s in content_steps() if s != CONTENT_STEP]


@action
def write_deploy_files(project: Project) -> list[Path]:
    config = project.config
    files = read_files(project.maps_dir, upstream())
    assets = {name: {"path": r.path, "hashed": r.hashed, "type": content_type(r.path)} for name, r in files.items()}
    policy = read_map(project.maps_dir, "pages").get("csp")
    header = csp.serialize(policy) if policy else None
    outputs = [
        emit(project.out_dir, deploy.HEADERS_FILE,
             deploy.netlify_headers(assets, base=config.base, entry=config.entry, csp=header).encode(), hashed=False),
        emit(project.out_dir, deploy.NGINX_FILE,
             deploy.nginx_snippet(app=config.name, base=config.base, entry=config.entry, csp=header).encode(),
             hashed=False),
    ]
    return written(project, CONTENT_STEP, outputs)


def task_deploy(project: Project) -> dict:
    return step_task(project, CONTENT_STEP, "Write _headers and nginx.conf: caching, content types, CSP",
                     write_deploy_files, file_dep=[map_path(project.maps_dir, s) for s in upstream()],
                     settings={"base": project.config.base, "entry": project.config.entry})
