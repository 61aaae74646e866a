"""The DevTools panel served at /__vango/devtools/ (the one the extension frames), in Chromium against the real
dev server: replayed and live builds, newest first, with triggers, task timings and the patch log."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser_support import COLLECT_VIOLATIONS, wait_for

from pipeline.dev.server import Hub, create_app, start_in_thread

pytestmark = pytest.mark.browser

BUILDS = """() => [...document.querySelectorAll('#builds section.build')].map((section) => ({
    id: section.dataset.buildId,
    state: section.className,
    head: section.querySelector('.build-head').textContent,
    trigger: [...section.querySelectorAll('.trigger-file')].map((node) => node.textContent),
    triggerLabel: section.querySelector('.trigger .label').textContent,
    tasks: [...section.querySelectorAll('table.tasks tbody tr')].map((row) =>
        [...row.cells].map((cell) => cell.textContent)),
    patch: [...section.querySelectorAll('table.patch tbody tr')].map((row) =>
        [...row.cells].map((cell) => cell.textContent)),
    hashTitles: [...section.querySelectorAll('table.patch .hash')].map((node) => node.title),
    error: section.querySelector('.error') ? section.querySelector('.error').textContent : null,
    markup: section.querySelectorAll('b, img').length,
}))"""

FIRST_BUILD = [
    {"type": "build.started", "id": 1, "trigger": ["web/css/app.css", "web/<b>odd</b>.css"], "ts": 1_700_000_000.5},
    {"type": "task", "id": 1, "task": "css", "status": "executed", "duration_s": 0.012},
    {"type": "task", "id": 1, "task": "pages", "status": "uptodate", "duration_s": 0.001},
    {"type": "build.finished", "id": 1, "ok": True, "duration_s": 1.2, "error": None,
     "tasks": [{"task": "css", "status": "executed", "duration_s": 0.012},
               {"task": "pages", "status": "uptodate", "duration_s": 0.001},
               {"task": "release", "status": "executed", "duration_s": 0.05}],
     "patch": [
         {"path": "css/app.0a1b2c3d.css", "change": "added", "before": None,
          "after": {"size": 2048, "hash": "0a1b2c3d4e5f60718293"}},
         {"path": "css/app.99887766.css", "change": "removed",
          "before": {"size": 1536, "hash": "99887766aabbccddeeff"}, "after": None},
         {"path": "index.html", "change": "modified", "before": {"size": 1000, "hash": "aaaaaaaa11112222"},
          "after": {"size": 1010, "hash": "bbbbbbbb33334444"}},
         {"name": "js/app.js", "path": "js/app.22222222.js", "change": "modified",
          "before": {"size": 300, "hash": "1111111100", "path": "js/app.11111111.js"},
          "after": {"size": 290, "hash": "2222222200", "path": "js/app.22222222.js"}},
     ]},
]
SECOND_BUILD = [
    {"type": "build.started", "id": 2, "trigger": ["main.go"], "ts": 1_700_000_060.0},
    {"type": "task", "id": 2, "task": "wasm:compile", "status": "failed", "duration_s": 1.5},
    {"type": "build.finished", "id": 2, "ok": False, "duration_s": 1.6, "patch": [],
     "tasks": [{"task": "wasm:compile", "status": "failed", "duration_s": 1.5}],
     "error": "main.go:12:5: syntax error: unexpected }"},
]


@pytest.fixture
def dev(tmp_path: Path):
    (tmp_path / "dist").mkdir()
    hub = Hub()
    app = create_app(tmp_path / "dist", hub)
    state = SimpleNamespace(hub=hub, app=app, handle=start_in_thread(app))
    yield state
    if state.handle.running:
        state.handle.stop()


def publish(hub: Hub, events: list[dict]) -> None:
    for event in events:
        hub.publish("devtools", event)


def builds_count(page, count: int):
    return wait_for(page, f"() => document.querySelectorAll('#builds section.build').length === {count}")


def test_the_panel_shows_replayed_and_live_builds_newest_first(page, dev):
    publish(dev.hub, FIRST_BUILD)  # before the panel is open: comes from the replay
    page.add_init_script(COLLECT_VIOLATIONS)
    response = page.goto(dev.handle.url + "__vango/devtools/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    builds_count(page, 1)
    wait_for(page, "() => document.getElementById('status').dataset.state === 'open'")
    assert page.locator("#empty").is_hidden()

    [first] = page.evaluate(BUILDS)
    assert first["id"] == "1" and "ok" in first["state"].split()
    assert "Build #1" in first["head"] and "1.20 s" in first["head"]
    assert "2 executed, 1 up to date, 4 file(s) changed" in first["head"]
    assert first["trigger"] == ["web/css/app.css", "web/<b>odd</b>.css"] and first["markup"] == 0  # text, not HTML
    assert first["tasks"] == [["css", "executed", "12 ms"], ["pages", "up to date", "1 ms"],
                              ["release", "executed", "50 ms"]]
    assert first["patch"] == [
        ["added", "css/app.0a1b2c3d.css", "—", "2.0 KiB 0a1b2c3d", "+2.0 KiB"],
        ["removed", "css/app.99887766.css", "1.5 KiB 99887766", "—", "\u22121.5 KiB"],
        ["modified", "index.html", "1000 B aaaaaaaa", "1010 B bbbbbbbb", "+10 B"],
        ["modified", "js/app.22222222.js (was js/app.11111111.js)", "300 B 11111111", "290 B 22222222",
         "\u221210 B"],
    ]
    assert first["hashTitles"][0] == "0a1b2c3d4e5f60718293"  # the full hash on hover

    # Live: a running build appears on top and fills in as its events arrive.
    publish(dev.hub, SECOND_BUILD[:2])
    builds_count(page, 2)
    # The build and its first task event arrive as two messages: wait until both are rendered.
    running = wait_for(page, f"() => {{ const b = ({BUILDS})(); return b[0].tasks.length ? b[0] : null; }}")
    assert running["id"] == "2" and "running" in running["state"].split()
    assert running["tasks"] == [["wasm:compile", "failed", "1.50 s"]]
    publish(dev.hub, SECOND_BUILD[2:])
    wait_for(page, "() => document.querySelector('#builds section.build').classList.contains('failed')")
    second, first_again = page.evaluate(BUILDS)
    assert second["id"] == "2" and second["trigger"] == ["main.go"] and second["triggerLabel"] == "Changed: "
    assert second["error"] == "main.go:12:5: syntax error: unexpected }"
    assert "1.60 s" in second["head"] and second["patch"] == []
    assert first_again == first

    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_the_panel_reconnects_after_a_server_restart_without_duplicates(page, dev):
    publish(dev.hub, FIRST_BUILD)
    page.goto(dev.handle.url + "__vango/devtools/")
    builds_count(page, 1)
    port = dev.handle.port
    dev.handle.stop()
    wait_for(page, "() => document.getElementById('status').dataset.state === 'closed'")
    publish(dev.hub, SECOND_BUILD)  # while the server is down (the hub keeps it)
    dev.handle = start_in_thread(dev.app, port=port)
    wait_for(page, "() => document.getElementById('status').dataset.state === 'open'")
    builds_count(page, 2)  # the replay again: build 1 once, build 2 from the buffer
    assert [build["id"] for build in page.evaluate(BUILDS)] == ["2", "1"]


def test_clear_hides_the_listed_builds_and_keeps_new_ones(page, dev):
    publish(dev.hub, FIRST_BUILD)
    page.goto(dev.handle.url + "__vango/devtools/")
    builds_count(page, 1)
    page.click("#clear")
    builds_count(page, 0)
    assert page.locator("#empty").is_visible()
    publish(dev.hub, SECOND_BUILD)
    builds_count(page, 1)
    assert page.evaluate(BUILDS)[0]["id"] == "2"


def test_the_panel_redirects_to_its_folder_url(page, dev):
    page.goto(dev.handle.url + "__vango/devtools")
    assert page.url == dev.handle.url + "__vango/devtools/"
    deadline = time.monotonic() + 10
    while dev.hub.subscriber_count("devtools") < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dev.hub.subscriber_count("devtools") == 1
