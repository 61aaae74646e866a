"""The public folder: copied into dist/ as-is, under the same names (robots.txt, .well-known/…)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.addons.hookspecs import hookimpl
from pipeline.config.context import Context
from pipeline.core.fs import logical
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.step import Role, Step, StepRun


def public_files(ctx: Context) -> list[Path]:
    return ctx.published(ctx.public_dir)


def copy_public(run: StepRun) -> list[OutputFile]:
    root = run.ctx.public_dir
    return [emit(run.ctx.out_dir, logical(p, root), p.read_bytes(), hashed=False) for p in public_files(run.ctx)]


def public_settings(ctx: Context) -> dict[str, Any]:
    return {"public": ctx.config.public}


STEP = Step("public", Role.PAGE_ASSET, "Copy the public folder into dist/ unchanged", copy_public, inputs=public_files,
            settings=public_settings, config="public")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
