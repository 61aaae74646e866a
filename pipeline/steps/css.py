"""Stylesheets: ``url()`` and ``@import`` rewritten to hashed names, then hashed themselves."""

from __future__ import annotations

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import minify
from pipeline.assets.sri import csp
from pipeline.core.errors import display_path
from pipeline.core.fs import logical
from pipeline.core.lazy import lazy_module
from pipeline.engine.maps import OutputFile
from pipeline.engine.step import Role, Step, StepRun
from pipeline.steps.text import base_settings, build_text_assets, open_cache
from pipeline.steps.textcache import digest

css = lazy_module("pipeline.assets.rewrite.css")  # tinycss2 loads when stylesheets are built
blocked = lazy_module("pipeline.assets.sri.blocked")


def build_css(run: StepRun) -> list[OutputFile]:
    ctx = run.ctx
    cache = open_cache(run)
    digests: dict[str, str] = {}
    outputs = build_text_assets(run, css, cycles="@import", bundle=True,
                                minify=minify.css if ctx.config.minify.css else None, cache=cache, digests=digests)
    if ctx.config.csp.enabled:
        policy = csp.build_policy(extra=dict(ctx.config.csp.directives))
        policy_key = digest("csp", policy)  # once: a digest of the policy per stylesheet took 20 ms at 2,000
        for path in run.sources:
            name = logical(path, ctx.web_dir)
            key = f"csp:{policy_key}:{digests[name]}"
            findings = cache.memo(key, lambda n=name, p=path: blocked.css_findings(cache.source_text(n, p), policy))
            for line, message in findings:
                ctx.logger.warning("%s:%d: %s", display_path(path), line, message, extra={"event": "csp.blocked"})
    cache.save()
    return outputs


STEP = Step("css", Role.STYLESHEET, "Rewrite url()/@import in stylesheets and give them hashed names", build_css,
            claims=("*.css",), settings=base_settings, config="base", cutoff=True)


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
