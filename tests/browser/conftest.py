"""Real-browser fixtures: Debian's chromium driven by Playwright, and a static server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS

from pipeline.core.mediatypes import content_type


def parse_headers_file(text: str) -> list[tuple[str, dict[str, str]]]:
    """The Netlify/Cloudflare ``_headers`` format: an unindented path, then indented ``Name: value`` lines."""
    rules: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), {}))
        else:
            name, _, value = line.strip().partition(":")
            rules[-1][1][name.strip()] = value.strip()
    return rules


class StaticHandler(SimpleHTTPRequestHandler):
    """Serves a folder with the content types the pipeline declares (application/wasm …) and, like a
    Netlify or Cloudflare deploy, the headers of its ``_headers`` file."""

    rules: list[tuple[str, dict[str, str]]] = []

    def guess_type(self, path: str) -> str:
        return content_type(str(path))

    def send_head(self):  # type: ignore[no-untyped-def]
        # Always answer with the file: a rebuild within the same second as the previous one must not get a
        # 304 for sw.js (real hosts use ETags; http.server only compares whole-second mtimes).
        del self.headers["If-Modified-Since"]
        return super().send_head()

    def end_headers(self) -> None:
        request_path = self.path.split("?")[0]
        for pattern, headers in self.rules:
            if pattern == request_path or (pattern.endswith("*") and request_path.startswith(pattern[:-1])):
                for name, value in headers.items():
                    self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator:
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path, apply_headers_file: bool = True) -> str:
        headers_file = folder / "_headers"
        rules = parse_headers_file(headers_file.read_text()) if apply_headers_file and headers_file.exists() else []
        handler = type("Handler", (StaticHandler,), {"rules": rules})
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but /usr/bin/chromium is missing: .ci/run must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def dist_copy(built_example: Path, tmp_path: Path) -> Path:
    """A private copy of the example's dist/, for tests that damage it."""
    target = tmp_path / "dist"
    shutil.copytree(built_example, target)
    return target
