"""Live reload in Chromium against the real dev server (uvicorn on 127.0.0.1 in a thread): stylesheet hot-swap,
full reloads, the build error overlay, and reconnecting after a server restart. The page is a small static site
under a strict Content-Security-Policy, like the pipeline's pages."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser_support import COLLECT_VIOLATIONS, wait_for

from pipeline.dev.server import Hub, create_app, start_in_thread

pytestmark = pytest.mark.browser

RED = b"body { background-color: rgb(255, 0, 0); }\n"
BLUE = b"body { background-color: rgb(0, 0, 255); }\n"
POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'"
OVERLAY_TEXT = ("() => { const host = document.getElementById('vango-dev-overlay');"
                " return host ? host.shadowRoot.querySelector('.message').textContent : null; }")
NO_OVERLAY = "() => !document.getElementById('vango-dev-overlay')"


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "css").mkdir(parents=True)
    (root / "css" / "a.css").write_bytes(RED)
    (root / "css" / "b.css").write_bytes(BLUE)
    (root / "favicon.ico").write_bytes(b"")  # Chromium asks for it; a 404 would be a console error
    (root / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        f'<title>Dev test</title><link rel="stylesheet" href="/css/a.css" integrity="{sri(RED)}">'
        "</head><body><h1>Hello from the dev server</h1></body></html>")
    return root


@pytest.fixture
def dev(site: Path):
    hub = Hub()
    app = create_app(site, hub)
    state = SimpleNamespace(hub=hub, app=app, handle=start_in_thread(app))
    yield state
    if state.handle.running:
        state.handle.stop()


def wait_connected(hub: Hub, count: int = 1, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while hub.subscriber_count("reload") < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} page(s) did not connect to /__vango/ws within {timeout}s")
        time.sleep(0.02)


def open_app(page, dev, connected: int = 1) -> None:
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(dev.handle.url)
    wait_connected(dev.hub, connected)
    page.evaluate("window.marker = 42")


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_the_client_is_injected_and_connects_under_a_strict_policy(page, dev):
    open_app(page, dev)
    assert page.locator('script[src="/__vango/client.js"]').count() == 1
    assert background(page) == "rgb(255, 0, 0)"
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_a_css_change_is_swapped_in_without_reloading(page, dev):
    open_app(page, dev)
    dev.hub.publish("reload", {"type": "css", "changes": [
        {"from": "/css/a.css", "to": "/css/b.css", "integrity": sri(BLUE)}]})
    wait_for(page, "() => getComputedStyle(document.body).backgroundColor === 'rgb(0, 0, 255)'")
    wait_for(page, "() => document.querySelectorAll('link[rel=stylesheet]').length === 1")  # the old one is gone
    assert page.evaluate("window.marker") == 42  # the page was not reloaded
    assert page.evaluate("[...document.querySelectorAll('link[rel=stylesheet]')]"
                         ".map((l) => [l.getAttribute('href'), l.integrity])") == [["/css/b.css", sri(BLUE)]]
    # And back, matching by pathname whatever the href's form.
    dev.hub.publish("reload", {"type": "css", "changes": [
        {"from": f"{dev.handle.url}css/b.css?x=1", "to": "/css/a.css", "integrity": sri(RED)}]})
    wait_for(page, "() => getComputedStyle(document.body).backgroundColor === 'rgb(255, 0, 0)'")
    assert page.evaluate("window.marker") == 42
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_a_css_change_no_stylesheet_of_the_page_matches_reloads(page, dev):
    open_app(page, dev)
    with page.expect_event("load", timeout=15_000):
        dev.hub.publish("reload", {"type": "css", "changes": [{"from": "/css/other.css", "to": "/css/b.css"}]})
    assert page.evaluate("window.marker") is None
    assert background(page) == "rgb(255, 0, 0)"


def test_a_swapped_stylesheet_that_fails_to_load_reloads(page, dev):
    open_app(page, dev)
    with page.expect_event("load", timeout=15_000):  # the integrity does not match: the link errors
        dev.hub.publish("reload", {"type": "css", "changes": [
            {"from": "/css/a.css", "to": "/css/b.css", "integrity": sri(b"something else")}]})
    assert page.evaluate("window.marker") is None


def test_a_reload_message_reloads_the_page(page, dev):
    open_app(page, dev)
    with page.expect_event("load", timeout=15_000):
        dev.hub.publish("reload", {"type": "reload"})
    assert page.evaluate("window.marker") is None
    wait_connected(dev.hub)  # the reloaded page connects again (the old socket is gone)
    deadline = time.monotonic() + 10
    while dev.hub.subscriber_count("reload") != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dev.hub.subscriber_count("reload") == 1


def test_a_build_error_shows_an_overlay_that_ok_and_dismiss_hide(page, dev):
    open_app(page, dev)
    message = "main.go:12:5: syntax error: unexpected } at end of statement\n\x1b[31mexit status 1\x1b[0m"
    dev.hub.publish("reload", {"type": "error", "task": "wasm:compile", "message": message})
    shown = wait_for(page, OVERLAY_TEXT)
    assert shown == "main.go:12:5: syntax error: unexpected } at end of statement\nexit status 1"
    overlay = page.evaluate("""() => {
        const root = document.getElementById('vango-dev-overlay').shadowRoot;
        const panel = root.querySelector('.panel').getBoundingClientRect();
        return {title: root.querySelector('.title').textContent,
                font: getComputedStyle(root.querySelector('.message')).fontFamily,
                height: panel.height, top: panel.top, viewport: innerHeight,
                topElement: document.elementFromPoint(10, 10).tagName};
    }""")
    assert overlay["title"] == "Build failed: wasm:compile"
    assert "monospace" in overlay["font"]
    # Not a modal: it takes at most the bottom half, the page above stays reachable.
    assert overlay["height"] <= overlay["viewport"] / 2 + 1 and overlay["top"] >= overlay["viewport"] / 2 - 1
    assert overlay["topElement"] != "VANGO-DEV-OVERLAY"

    page.locator("#vango-dev-overlay .dismiss").click()
    wait_for(page, NO_OVERLAY)

    dev.hub.publish("reload", {"type": "error", "task": "css", "message": "app.css: unresolved url(missing.png)"})
    assert wait_for(page, OVERLAY_TEXT) == "app.css: unresolved url(missing.png)"
    page.keyboard.press("Escape")
    wait_for(page, NO_OVERLAY)

    dev.hub.publish("reload", {"type": "error", "task": "css", "message": "still broken"})
    assert wait_for(page, OVERLAY_TEXT) == "still broken"
    dev.hub.publish("reload", {"type": "ok"})
    wait_for(page, NO_OVERLAY)
    assert page.evaluate("window.marker") == 42  # errors and recovery never reload by themselves
    assert page.evaluate("window.__cspViolations") == []  # the overlay's styles are CSSOM, allowed by style-src


def test_a_page_opened_while_the_build_is_broken_shows_the_error_at_once(page, dev):
    dev.hub.publish("reload", {"type": "error", "task": "wasm:compile", "message": "main.go:3:1: undefined: x"})
    open_app(page, dev)
    assert wait_for(page, OVERLAY_TEXT) == "main.go:3:1: undefined: x"
    dev.hub.publish("reload", {"type": "ok"})
    wait_for(page, NO_OVERLAY)

    later = page.context.new_page()
    later.goto(dev.handle.url)
    wait_connected(dev.hub, 2)
    later.wait_for_timeout(300)  # time for a (wrong) stale error to arrive
    assert later.evaluate(NO_OVERLAY)


def test_the_client_reconnects_after_a_server_restart_and_reloads_once(page, dev):
    open_app(page, dev)
    port = dev.handle.port
    dev.handle.stop()
    deadline = time.monotonic() + 10
    while dev.hub.subscriber_count("reload") and time.monotonic() < deadline:
        time.sleep(0.02)
    page.wait_for_timeout(1200)  # a few failed reconnection attempts while the server is down
    assert page.evaluate("window.marker") == 42  # no reload while there is nothing to reload from

    with page.expect_event("load", timeout=20_000):
        dev.handle = start_in_thread(dev.app, port=port)
    assert page.evaluate("window.marker") is None
    wait_connected(dev.hub)
    page.evaluate("window.marker = 7")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.marker") == 7  # reloaded once, not in a loop
