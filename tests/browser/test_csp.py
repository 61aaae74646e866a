"""The example app runs under the Content-Security-Policy the pipeline generates (served from _headers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import COLLECT_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]



def test_the_app_works_under_the_generated_policy(page, serve, built_example: Path):
    page.add_init_script(COLLECT_VIOLATIONS)
    response = page.goto(serve(built_example))
    policy = response.headers["content-security-policy"]
    assert "'wasm-unsafe-eval'" in policy and "'unsafe-eval'" not in policy.replace("'wasm-unsafe-eval'", "")
    assert "'unsafe-inline'" not in policy
    page.wait_for_selector("html[data-vango-ready=true]")
    page.fill("#new-todo", "under CSP")
    page.press("#new-todo", "Enter")
    assert page.locator("li.todo-item").count() == 1
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_the_policy_really_is_enforced(page, serve, dist_copy: Path):
    """A script the build did not produce is blocked: the policy is not a formality."""
    index = dist_copy / "index.html"
    index.write_text(index.read_text().replace("</body>", "<script>document.title = 'injected'</script></body>"))
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(serve(dist_copy))
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.title() != "injected"
    assert any(v.startswith("script-src") for v in page.evaluate("window.__cspViolations"))
