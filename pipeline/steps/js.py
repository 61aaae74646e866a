"""JS modules: relative import specifiers and ``new URL(…, import.meta.url)`` rewritten, then hashed.

They can reference other modules, static files and stylesheets; pages cannot be referenced (they are
built after the modules). Bare specifiers (``lit``) are left for import maps.
"""

from __future__ import annotations

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import minify
from pipeline.assets.rewrite import Reference
from pipeline.core.lazy import lazy_module
from pipeline.engine.maps import OutputFile
from pipeline.engine.step import Role, Step, StepRun
from pipeline.steps.text import base_settings, build_text_assets

js = lazy_module("pipeline.assets.rewrite.js")  # tree-sitter loads when modules are built


def is_bare(ref: Reference) -> bool:
    return ref.kind == "import" and not js.is_relative_specifier(ref.url)


def build_js(run: StepRun) -> list[OutputFile]:
    return build_text_assets(run, js, skip=is_bare, minify=minify.js if run.ctx.config.minify.js else None)


STEP = Step("js", Role.SCRIPT, "Rewrite JS module imports and give the modules hashed names", build_js,
            claims=("*.js", "*.mjs"), settings=base_settings, config="base")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
