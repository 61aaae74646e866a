"""The generated loader in Chromium: the Go app boots and reacts; failures show a readable error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def asset(dist: Path, logical: str) -> Path:
    return dist / json.loads((dist / "asset-manifest.json").read_text())["assets"][logical]["path"]


def test_the_app_boots_from_dist_and_reacts_to_clicks(page, serve, built_example: Path):
    page.goto(serve(built_example))
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.locator("#vango-loader").count() == 0  # the progress bar is gone once the app runs
    page.fill("#new-todo", "write the release pipeline")
    page.click("#add-todo")
    page.fill("#new-todo", "ship it")
    page.press("#new-todo", "Enter")
    assert page.locator("li.todo-item").count() == 2
    page.locator("li.todo-item input.toggle").first.check()
    assert "1 done" in page.inner_text("#todo-count")
    # The stylesheet, font and @import-ed theme were served under their hashed names and applied.
    # (minified CSS writes family names in lower case: CSS matches them case-insensitively, as fonts.check shows)
    assert page.evaluate("getComputedStyle(document.body).fontFamily").lower().startswith('"vango sans"')
    assert page.evaluate("document.fonts.check('16px \"Vango Sans\"')")
    assert page.console_errors == []


def test_the_toolchain_s_runtime_is_used_even_if_a_go_runtime_was_defined_first(page, serve, built_example: Path):
    """A stale wasm_exec.js elsewhere on the page defined ``Go`` before the loader ran: it is not used."""
    page.add_init_script("globalThis.Go = class { constructor() { throw new Error('a stale Go runtime'); } };")
    page.goto(serve(built_example))
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.locator("#vango-error").count() == 0 and page.console_errors == []


def test_a_missing_wasm_shows_a_readable_error_in_the_page(page, serve, dist_copy: Path):
    wasm = asset(dist_copy, "app.wasm")
    for path in dist_copy.glob(wasm.name + "*"):
        path.unlink()
    page.goto(serve(dist_copy))
    error = page.wait_for_selector("#vango-error[role=alert]")
    text = error.inner_text()
    assert "Vango Todo could not start" in text
    assert f"downloading /{wasm.name} failed: HTTP 404" in text
    assert page.locator("html[data-vango-ready=true]").count() == 0


def test_a_missing_runtime_shows_a_readable_error_in_the_page(page, serve, dist_copy: Path):
    for path in dist_copy.glob(asset(dist_copy, "wasm_exec.js").name + "*"):
        path.unlink()
    page.goto(serve(dist_copy))
    runtime = asset(dist_copy, "wasm_exec.js").name
    text = page.wait_for_selector("#vango-error").inner_text()
    assert f"downloading /{runtime} failed: HTTP 404" in text


def test_a_corrupt_wasm_shows_the_compile_error(page, serve, dist_copy: Path):
    wasm = asset(dist_copy, "app.wasm")
    wasm.write_bytes(b"\0asm" + b"\xff" * 64)
    page.goto(serve(dist_copy))
    text = page.wait_for_selector("#vango-error").inner_text()
    assert "could not start" in text and "WebAssembly" in text
