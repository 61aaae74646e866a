"""Render ``bootstrap.js``, the loader that the HTML references instead of the wasm itself."""

from __future__ import annotations

from functools import cache
from importlib import resources

import jinja2

TEMPLATE = "bootstrap.js.j2"


@cache
def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("pipeline.wasm.templates").joinpath(name).read_text(encoding="utf-8")
    )
    return jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def template_path() -> str:
    """The template file, so doit can list it as a dependency of the loader."""
    return str(resources.files("pipeline.wasm.templates").joinpath(TEMPLATE))


def render_bootstrap(*, runtime_url: str, runtime_integrity: str, wasm_url: str, wasm_integrity: str,
                     wasm_size: int, app_name: str) -> bytes:
    """Deterministic: the same inputs always give the same bytes (and so the same hashed name)."""
    text = _environment().get_template(TEMPLATE).render(
        runtime_url=runtime_url, runtime_integrity=runtime_integrity, wasm_url=wasm_url,
        wasm_integrity=wasm_integrity, wasm_size=wasm_size, app_name=app_name,
    )
    return text.encode("utf-8")
