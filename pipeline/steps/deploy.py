"""Deploy support, a server step: ``_headers`` (Netlify/Cloudflare) and an nginx snippet with caching, types
and the CSP the page steps recorded, over every file before it (the service worker included)."""

from __future__ import annotations

from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import serverconf
from pipeline.assets.sri import csp
from pipeline.config.context import Context
from pipeline.core.mediatypes import content_type
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.step import Role, Step, StepRun


def write_deploy_files(run: StepRun) -> list[OutputFile]:
    ctx, config = run.ctx, run.ctx.config
    assets = {name: {"path": r.path, "hashed": r.hashed, "type": content_type(r.path)}
              for name, r in run.known().items()}
    policies = run.facts("csp", Role.PAGE)
    header = csp.serialize(csp.merge(policies)) if policies else None
    return [
        emit(ctx.out_dir, serverconf.HEADERS_FILE,
             serverconf.netlify_headers(assets, base=config.base, entry=config.entry, csp=header).encode(),
             hashed=False),
        emit(ctx.out_dir, serverconf.NGINX_FILE,
             serverconf.nginx_snippet(app=config.name, base=config.base, entry=config.entry, csp=header).encode(),
             hashed=False),
    ]


def deploy_settings(ctx: Context) -> dict[str, Any]:
    return {"base": ctx.config.base, "entry": ctx.config.entry}


STEP = Step("deploy", Role.SERVER, "Write _headers and nginx.conf: caching, content types, CSP", write_deploy_files,
            settings=deploy_settings, config="csp, deploy", outputs=(serverconf.HEADERS_FILE, serverconf.NGINX_FILE))


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
