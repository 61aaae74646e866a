"""Stylesheets and JS modules: rewrite references, then name each file by its final bytes.

CSS and JS differ only in their rewriter and in which references they leave alone, so both steps
share this code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pipeline.assets.linker import link
from pipeline.assets.resolve import local_target, resolver
from pipeline.assets.rewrite import Reference
from pipeline.config.context import Project
from pipeline.core.fs import logical
from pipeline.core.inputs import read_text
from pipeline.engine.maps import OutputFile, emit, read_files


def build_text_assets(project: Project, sources: list[Path], rewriter: ModuleType, upstream: list[str],
                      skip: Callable[[Reference], bool] | None = None) -> list[OutputFile]:
    """Rewrite and hash ``sources`` (all of one kind) against the outputs of the ``upstream`` steps."""
    web, base = project.web_dir, project.config.base
    known = read_files(project.maps_dir, upstream)
    texts = {logical(p, web): read_text(p) for p in sources}
    paths = {logical(p, web): p for p in sources}
    refs = {name: [r for r in rewriter.references(text) if not (skip and skip(r))] for name, text in texts.items()}
    deps = {name: {t for r in rs if (t := local_target(r, name, base)) in texts} for name, rs in refs.items()}

    def render(name: str, names: dict[str, str]) -> str:
        def lookup(target: str) -> str | None:
            if target in names:
                return names[target]
            return known[target].path if target in known else None

        new_url = resolver(name, paths[name], lookup, base=base, web_dir=web, skip=skip)
        return rewriter.rewrite(texts[name], new_url, refs[name])

    linked = link(texts.keys(), deps, render)
    return [emit(project.out_dir, item.logical, item.data, fp=item.fingerprint, path=item.path)
            for item in linked.values()]
