"""Subresource Integrity in Chromium: one changed byte in a hashed file makes the browser refuse it and
the page say so; the app works under the generated Content-Security-Policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def served(dist: Path, logical: str) -> Path:
    path = dist / json.loads((dist / "asset-manifest.json").read_text())["assets"][logical]["path"]
    for sibling in path.parent.glob(path.name + ".*"):
        sibling.unlink()  # precompressed copies would still hold the original bytes
    return path


def flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] = (data[middle] + 1) % 256 if data[middle] not in b"\n\r" else data[middle]
    if bytes(data) == path.read_bytes():
        data[middle - 1] ^= 0x01
    path.write_bytes(bytes(data))


def integrity_errors(page) -> list[str]:
    return [m for m in page.console_errors if "integrity" in m.lower() or "digest" in m.lower()]


@pytest.mark.parametrize("logical", ["js/app.js", "bootstrap.js", "css/app.css"])
def test_a_changed_byte_in_a_hashed_file_is_refused_and_reported(page, serve, dist_copy: Path, logical: str):
    target = served(dist_copy, logical)
    flip_one_byte(target)
    page.goto(serve(dist_copy))
    text = page.wait_for_selector("#vango-error[role=alert]").inner_text()
    assert f"/{target.relative_to(dist_copy).as_posix()}) failed its integrity check" in text
    assert integrity_errors(page), page.console_errors  # the browser itself refused the bytes


def test_a_changed_byte_in_an_imported_module_is_refused_via_the_import_map(page, serve, dist_copy: Path):
    target = served(dist_copy, "js/format.js")
    flip_one_byte(target)
    page.goto(serve(dist_copy))
    text = page.wait_for_selector("#vango-error[role=alert]").inner_text()
    importer = served(dist_copy, "js/app.js").name
    assert f"a script (/js/{importer}) could not run: a module it imports failed" in text
    assert any(target.name in m for m in integrity_errors(page)), page.console_errors


def test_a_changed_byte_in_the_wasm_is_refused_and_reported(page, serve, dist_copy: Path):
    wasm = served(dist_copy, "app.wasm")
    flip_one_byte(wasm)
    page.goto(serve(dist_copy))
    text = page.wait_for_selector("#vango-error[role=alert]").inner_text()
    assert f"the app's WebAssembly (/{wasm.name}) failed its integrity check" in text
    assert page.locator("html[data-vango-ready=true]").count() == 0  # the Go program never ran
    assert integrity_errors(page), page.console_errors


def test_every_script_and_stylesheet_carries_integrity(page, serve, built_example: Path):
    page.goto(serve(built_example))
    page.wait_for_selector("html[data-vango-ready=true]")
    missing = page.evaluate("""() => [...document.querySelectorAll('script[src], link[rel=stylesheet]')]
        .filter(e => !/^sha384-/.test(e.integrity)).map(e => e.outerHTML)""")
    assert missing == []
    importmap = json.loads(page.inner_text("script[type=importmap]"))
    assert any(url.startswith("/js/format.") for url in importmap["integrity"])


def test_a_tampered_stylesheet_reached_through_import_is_never_applied(page, serve, dist_copy: Path):
    """theme.css is @import-ed by app.css: its rules are bundled into app.css (covered by app.css's
    integrity), so a tampered theme file on the server changes nothing."""
    theme = served(dist_copy, "css/theme.css")
    original = theme.read_text()
    theme.write_text(original.replace("#f4f6fb", "#ff0000"), encoding="utf-8")
    app_css = served(dist_copy, "css/app.css").read_text()
    assert "#f4f6fb" in original and "@import" not in app_css and "--bg:#f4f6fb" in app_css.replace(" ", "")
    page.emulate_media(color_scheme="light")
    page.goto(serve(dist_copy))
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 246, 251)"
    assert page.locator("#vango-error").count() == 0
