"""``vango dev`` on the example app in Chromium: the edit-refresh loop a developer lives in."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from browser_support import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

OVERLAY_TEXT = """() => {
  const host = document.getElementById("vango-dev-overlay");
  return host && host.shadowRoot && host.isConnected && getComputedStyle(host).display !== "none"
    ? host.shadowRoot.textContent : "";
}"""


class DevServer:
    def __init__(self, app: Path, cache: Path):
        env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(cache)}
        env.pop("VANGO_RUN_ID", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "dev", "--port", "0", "--debounce", "150"],
                                     cwd=app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.events: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for_event("dev.serving")["url"]
        self.wait_for_event("watch.ready")

    def _read(self) -> None:
        for line in self.proc.stderr:
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def wait_for_event(self, name: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"vango dev exited with {self.proc.returncode}") from None
                continue
            if event.get("event") == name:
                return event
        raise TimeoutError(f"no {name} event")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)


@pytest.fixture
def dev(app: Path, shared_cache: Path):
    server = DevServer(app, shared_cache)
    yield server
    server.stop()


def test_css_swaps_in_place_go_reloads_and_errors_show_then_recover(page, dev: DevServer, app: Path):
    page.goto(dev.url)
    page.wait_for_selector("html[data-vango-ready=true]")
    page.evaluate("() => { window.marker = 42; }")
    before = page.evaluate("() => getComputedStyle(document.getElementById('add-todo')).backgroundColor")

    theme = app / "web" / "css" / "theme.css"
    theme.write_text(theme.read_text().replace("--accent: #3f5bd9;", "--accent: #d93f3f;", 1))
    wait_for(page, """(before) => getComputedStyle(document.getElementById('add-todo')).backgroundColor !== before""",
             before, timeout=60)
    assert page.evaluate("() => window.marker") == 42  # the stylesheet changed without a reload
    assert page.evaluate("() => getComputedStyle(document.getElementById('add-todo')).backgroundColor") == \
        "rgb(217, 63, 63)"

    main_go = app / "main.go"
    original = main_go.read_text()
    main_go.write_text(original.replace("What needs doing?", "What now?"))
    with page.expect_navigation(timeout=90_000):
        pass  # the page reloads by itself once the new wasm is built
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.get_attribute("#new-todo", "placeholder") == "What now?"

    main_go.write_text(original.replace("What needs doing?", "What now?") + "\nfunc broken( {\n")
    message = wait_for(page, OVERLAY_TEXT, timeout=90)
    assert "wasm:compile" in message and "syntax error" in message and "main.go" in message

    main_go.write_text(original.replace("What needs doing?", "Fixed!"))
    with page.expect_navigation(timeout=90_000):
        pass
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.get_attribute("#new-todo", "placeholder") == "Fixed!"
    assert page.evaluate(OVERLAY_TEXT) == ""


def test_devtools_page_lists_builds_tasks_and_patches(page, dev: DevServer, app: Path):
    page.goto(dev.url + "__vango/devtools/")
    css = app / "web" / "css" / "app.css"
    css.write_text(css.read_text() + "\n.devtools-probe { color: red; }\n")
    wait_for(page, "() => document.body.innerText.includes('web/css/app.css')", timeout=60)
    text = page.inner_text("body")
    assert "css" in text and "executed" in text.lower()
    assert "wasm:compile" in text  # listed, up to date
    assert "css/app." in text  # the patch log names the rebuilt stylesheet
