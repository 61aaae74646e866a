"""Stylesheets and JS modules: rewrite references, then name each file by its final bytes.

CSS and JS differ only in their rewriter and in which references they leave alone, so both steps
share this code.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from pipeline.assets.linker import first_cycle, link
from pipeline.assets.resolve import local_target, resolver
from pipeline.assets.rewrite import Reference
from pipeline.config.context import Context
from pipeline.core.errors import PipelineError
from pipeline.core.fs import logical
from pipeline.core.inputs import read_text
from pipeline.engine.maps import OutputFile, emit
from pipeline.engine.step import StepRun


def build_text_assets(run: StepRun, rewriter: ModuleType, skip: Callable[[Reference], bool] | None = None,
                      cycles: str = "") -> list[OutputFile]:
    """Rewrite and hash the step's claimed files (all of one kind) against the outputs of the steps before it."""
    ctx = run.ctx
    web, base = ctx.web_dir, ctx.config.base
    known = run.known()
    texts = {logical(p, web): read_text(p) for p in run.sources}
    paths = {logical(p, web): p for p in run.sources}
    refs = {name: [r for r in rewriter.references(text) if not (skip and skip(r))] for name, text in texts.items()}
    deps = {name: {t for r in rs if (t := local_target(r, name, base)) in texts} for name, rs in refs.items()}
    if cycles:  # a kind whose imports may not form a cycle (stylesheets): name it
        cycle = first_cycle(texts, deps)
        if cycle:
            line = next((r.line for r in refs[cycle[0]] if local_target(r, cycle[0], base) == cycle[1]), None)
            raise PipelineError(f"{cycles} cycle: {' -> '.join(cycle)}; a stylesheet cannot import itself, even "
                                "through others", path=paths[cycle[0]], location=line)

    def render(name: str, names: dict[str, str]) -> str:
        def lookup(target: str) -> str | None:
            if target in names:
                return names[target]
            return known[target].path if target in known else None

        new_url = resolver(name, paths[name], lookup, base=base, web_dir=web, skip=skip)
        return rewriter.rewrite(texts[name], new_url, refs[name])

    linked = link(texts.keys(), deps, render)
    return [emit(ctx.out_dir, item.logical, item.data, fp=item.fingerprint, path=item.path)
            for item in linked.values()]


def shown(ctx: Context, path: Any) -> str:
    """A source file as messages name it: relative to the app folder."""
    from pathlib import Path

    try:
        return Path(path).resolve().relative_to(ctx.app_dir).as_posix()
    except ValueError:
        return str(path)


def base_settings(ctx: Context) -> dict[str, Any]:
    return {"base": ctx.config.base}
