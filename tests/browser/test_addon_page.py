"""In Chromium: what a third-party addon injects through the page-transform seam loads under the generated
CSP with its integrity checked, and a tampered copy of it is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from browser_support import COLLECT_VIOLATIONS
from support import EXAMPLE, IGNORED, REPO, run_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.e2e]



@pytest.fixture(scope="module")
def addon_dist(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    app = tmp_path_factory.mktemp("addon-browser") / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    env = {"VANGO_CACHE_DIR": str(shared_cache)}
    for argv in (["addon", "install", str(REPO / "tests" / "addons" / "sample"), "--no-build-isolation"], ["build"]):
        run = run_pipeline(["pipeline.cli", *argv], app, env)
        assert run.returncode == 0, run.stderr
    return app / "dist"


def test_the_injected_script_runs_under_the_policy(page, serve, addon_dist: Path):
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(serve(addon_dist))
    page.wait_for_selector("html[data-vango-ready=true]")
    page.wait_for_function("document.documentElement.dataset.sample === 'Hello from the sample addon'")
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_a_tampered_addon_script_is_refused(page, serve, addon_dist: Path, tmp_path: Path):
    dist = tmp_path / "dist"
    shutil.copytree(addon_dist, dist)
    record = json.loads((dist / "asset-manifest.json").read_text())["assets"]["sample/banner.js"]
    target = dist / record["path"]
    target.write_text(target.read_text().replace("Hello", "Hacked"))
    for sibling in (dist / (record["path"] + ".br"), dist / (record["path"] + ".gz")):
        sibling.unlink(missing_ok=True)
    page.goto(serve(dist))
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.evaluate("document.documentElement.dataset.sample") is None
    assert any("integrity" in error.lower() for error in page.console_errors), page.console_errors
