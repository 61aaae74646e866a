"""Render the browser-side scripts of the wasm chain: ``bootstrap.js`` (the loader the page references
instead of the wasm) and the inline guard that reports scripts/stylesheets failing to load."""

from __future__ import annotations

from pipeline.core.templating import render, template_file

PACKAGE = "pipeline.wasm.templates"
TEMPLATES = ("bootstrap.js.j2", "guard.js.j2", "error_ui.js.j2")


def template_paths() -> list[str]:
    """The template files, so doit can list them as dependencies."""
    return [template_file(PACKAGE, name) for name in TEMPLATES]


def render_bootstrap(*, runtime_url: str, runtime_integrity: str, wasm_url: str, wasm_integrity: str,
                     wasm_size: int, app_name: str) -> bytes:
    """Deterministic: the same inputs always give the same bytes (and so the same hashed name)."""
    return render(PACKAGE, "bootstrap.js.j2", runtime_url=runtime_url, runtime_integrity=runtime_integrity,
                  wasm_url=wasm_url, wasm_integrity=wasm_integrity, wasm_size=wasm_size,
                  app_name=app_name).encode("utf-8")


def render_guard(*, app_name: str) -> str:
    """The inline guard's source (its CSP hash is taken from the page like any inline script)."""
    return render(PACKAGE, "guard.js.j2", app_name=app_name)
