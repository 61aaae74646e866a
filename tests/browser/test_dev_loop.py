"""``vango dev`` on the example app in Chromium: the edit-refresh loop a developer lives in."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import wait_for
from support import LoggedProcess

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

OVERLAY_TEXT = """() => {
  const host = document.getElementById("vango-dev-overlay");
  return host && host.shadowRoot && host.isConnected && getComputedStyle(host).display !== "none"
    ? host.shadowRoot.textContent : "";
}"""


class DevServer(LoggedProcess):
    """``vango dev`` on a free port, ready once it serves and watches."""

    def __init__(self, app: Path, cache: Path):
        super().__init__(["pipeline.cli", "dev", "--port", "0", "--debounce", "150"], app,
                         {"VANGO_CACHE_DIR": str(cache)})
        self.url = self.next_event("dev.serving")["url"]
        self.next_event("watch.ready")


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
    # The changed files announced to the open panel's and page's sockets are counted in the metrics.
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(dev.url + "__vango/metrics", timeout=10) as response:
        families = {f.name: f for f in text_string_to_metric_families(response.read().decode())}
    assert families["vango_patch_bytes_sent"].samples[0].value > 0
    assert families["vango_builds"].samples and families["vango_live_clients"].samples[0].value >= 1


WATERFALL = """() => [...document.querySelectorAll('#builds section.build')].map((section) => ({
    id: section.dataset.buildId,
    rows: [...section.querySelectorAll('.waterfall .span-row')].map((row) => ({
        name: row.dataset.span, indent: parseFloat(row.querySelector('.span-name').style.paddingLeft) || 0,
        left: parseFloat(row.querySelector('.span-bar').style.left),
        width: parseFloat(row.querySelector('.span-bar').style.width)})),
}))"""


def test_devtools_shows_each_build_as_a_waterfall_of_its_spans(page, dev: DevServer, app: Path):
    page.goto(dev.url + "__vango/devtools/")
    wait_for(page, "() => document.querySelectorAll('.waterfall .span-row').length > 10", timeout=60)
    (first,) = page.evaluate(WATERFALL)
    rows = {row["name"]: row for row in first["rows"]}
    assert first["rows"][0]["name"] == "vango run" and rows["vango run"]["indent"] == 0
    assert rows["task wasm:compile"]["indent"] == 12 and rows["go.build"]["indent"] == 24
    assert rows["go.list"]["indent"] == 12  # while the tasks loaded
    assert rows["html.transform"]["indent"] == 24 and rows["sri.hash"]["indent"] == 36
    assert abs(rows["vango run"]["left"]) < 0.01 and rows["vango run"]["width"] > 99
    for row in first["rows"]:
        assert 0 <= row["left"] <= 100 and row["left"] + row["width"] <= 100.5, row
    assert "http.request" not in rows  # the server's own requests are not part of a build

