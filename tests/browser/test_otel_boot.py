"""In Chromium: with ``addons.otel.browser``, the page reports its wasm boot as spans to the collector,
under the generated CSP (the collector's origin in ``connect-src``) with the script's integrity checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from browser_support import COLLECT_VIOLATIONS
from support import EXAMPLE, IGNORED, OtlpReceiver, run_pipeline, tags

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BOOT = ("wasm.boot", "wasm.fetch", "wasm.instantiate", "wasm.hydrate")


@pytest.fixture
def receiver():
    server = OtlpReceiver()
    yield server
    server.stop()


@pytest.fixture
def booted_dist(tmp_path: Path, shared_cache: Path, receiver: OtlpReceiver) -> Path:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    config["addons"] = {"otel": {"browser": {"endpoint": f"{receiver.url}/v1/traces", "service_name": "todo-web"}}}
    (app / "vango.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    env = {"VANGO_CACHE_DIR": str(shared_cache), "OTEL_TRACES_EXPORTER": "none"}  # the build's own spans stay home
    for argv in (["addon", "install", "otel", "--no-build-isolation"], ["build"]):
        run = run_pipeline(["pipeline.cli", *argv], app, env)
        assert run.returncode == 0, run.stderr
    return app / "dist"


def test_the_wasm_boot_arrives_as_spans(page, serve, booted_dist: Path, receiver: OtlpReceiver):
    html = (booted_dist / "index.html").read_text(encoding="utf-8")
    boot = [s for s in tags(html, "script") if s.get("src", "").startswith("/otel/boot.")]
    assert len(boot) == 1 and boot[0]["integrity"].startswith("sha384-")
    headers = (booted_dist / "_headers").read_text(encoding="utf-8")
    assert f"connect-src 'self' {receiver.url}" in headers

    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(serve(booted_dist))
    page.wait_for_selector("html[data-vango-ready=true]")
    spans = receiver.wait_for(lambda found: {s["name"] for s in found} >= set(BOOT))
    by_name = {s["name"]: s for s in spans}
    root = by_name["wasm.boot"]
    assert root["resource"]["service.name"] == "todo-web" and root["parent_id"] == ""
    for name in BOOT[1:]:
        child = by_name[name]
        assert child["trace_id"] == root["trace_id"] and child["parent_id"] == root["span_id"]
        assert root["start"] <= child["start"] <= child["end"] <= root["end"], name
    fetch, instantiate, hydrate = (by_name[n] for n in BOOT[1:])
    assert fetch["end"] - fetch["start"] > 0 and instantiate["end"] - instantiate["start"] > 0
    assert fetch["end"] <= instantiate["start"] <= instantiate["end"] <= hydrate["start"]
    assert (root["end"] - root["start"]) / 1e9 < 20  # a boot of seconds, not a clock gone wrong
    assert fetch["attributes"]["url.path"].endswith(".wasm")
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []
