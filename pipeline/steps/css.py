"""Stylesheets: ``url()`` and ``@import`` rewritten to hashed names, then hashed themselves."""

from __future__ import annotations

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.rewrite import css
from pipeline.engine.maps import OutputFile
from pipeline.engine.step import Role, Step, StepRun
from pipeline.steps.text import base_settings, build_text_assets


def build_css(run: StepRun) -> list[OutputFile]:
    return build_text_assets(run, css)


STEP = Step("css", Role.STYLESHEET, "Rewrite url()/@import in stylesheets and give them hashed names", build_css,
            claims=("*.css",), settings=base_settings, config="base")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
