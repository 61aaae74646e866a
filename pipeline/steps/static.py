"""Static assets (images, fonts, media: every web file no other step claims), copied under content-hashed names."""

from __future__ import annotations

from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.config.context import Context
from pipeline.core.fs import logical
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.step import Role, Step, StepRun


def build_static(run: StepRun) -> list[OutputFile]:
    web = run.ctx.web_dir
    return [emit(run.ctx.out_dir, logical(p, web), p.read_bytes()) for p in run.sources]


def static_settings(ctx: Context) -> dict[str, Any]:
    return {"web": ctx.config.web}


STEP = Step("static", Role.ASSET, "Copy images, fonts and other static files under content-hashed names",
            build_static, claims_rest=True, settings=static_settings, config="web")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
