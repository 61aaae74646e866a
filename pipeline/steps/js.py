"""JS modules: relative import specifiers and ``new URL(…, import.meta.url)`` rewritten, then hashed.

They can reference other modules, static files and stylesheets; pages cannot be referenced (they are
built after the modules). Bare specifiers (``lit``) are left for import maps.
"""

from __future__ import annotations

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets import minify
from pipeline.assets.rewrite import Reference
from pipeline.core.lazy import lazy_module
from pipeline.engine.step import Role, Step, StepResult, StepRun
from pipeline.steps.text import base_settings, build_text_assets

js = lazy_module("pipeline.assets.rewrite.js")  # tree-sitter loads when modules are built


def is_bare(ref: Reference) -> bool:
    return ref.kind == "import" and not js.is_relative_specifier(ref.url)


def build_js(run: StepRun) -> StepResult:
    """The modules, and what each imports (``imports``: served path -> the served paths of the modules it
    names; ``open``: the modules that may import others too), so a page's import map lists the modules that
    page can load rather than every module of the app."""
    graph: dict[str, list[str]] = {}
    unknown: set[str] = set()
    outputs = build_text_assets(run, js, skip=is_bare, minify=minify.js if run.ctx.config.minify.js else None,
                                graph=graph, unknown=unknown)
    served = {o.logical: o.path for o in outputs}
    return StepResult(files=tuple(outputs), facts={
        "imports": {served[name]: sorted(served[t] for t in targets) for name, targets in sorted(graph.items())},
        "open": sorted(served[name] for name in unknown)})


STEP = Step("js", Role.SCRIPT, "Rewrite JS module imports and give the modules hashed names", build_js,
            claims=("*.js", "*.mjs"), settings=base_settings, config="base", cutoff=True)


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
