"""The docs site in Chromium: Vango's own documentation as ``vango docs build`` publishes it (navigation,
search, dark mode, a small screen, no CSP violation), a broken link failing the build while the served site
stays as it was, and ``vango docs serve`` reloading on save and showing errors in the overlay."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from browser_support import COLLECT_VIOLATIONS, wait_for
from support import REPO, LoggedProcess, run_pipeline, snapshot
from test_dev_loop import OVERLAY_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs-site")
    run = run_pipeline(["pipeline.cli", "docs", "build", str(REPO / "docs"), "--site", str(root / "site"),
                        "--build-dir", str(root / "build")], cwd=root)
    assert run.returncode == 0, run.stderr[-3000:]
    return root


def open_page(page, url: str) -> None:
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(url)


def test_navigation_breadcrumbs_and_previous_next_links(page, serve, docs_site: Path):
    base = serve(docs_site / "site")
    open_page(page, base)
    assert page.title() == "Vango build pipeline"
    page.click("#sidebar >> text=Tutorials")
    assert page.url == base + "tutorials/"
    page.click("#sidebar >> text=Your first Vango app")
    assert page.url == base + "tutorials/first-app/"
    assert page.inner_text("article h1").startswith("Your first Vango app")
    assert page.evaluate("document.querySelector('#sidebar a[aria-current=page]').href") == page.url
    assert page.inner_text(".breadcrumbs").split("\n")[:2] == ["Home", "Tutorials"]
    page.click(".pager a.next")
    assert page.url.startswith(base + "tutorials/") and page.url != base + "tutorials/first-app/"
    page.click(".pager a.previous")
    assert page.url == base + "tutorials/first-app/"
    toc = page.query_selector_all(".toc a")
    assert toc, "a table of contents"
    toc[0].click()
    assert page.url.startswith(base + "tutorials/first-app/#")
    page.goto(base + "adr/")
    assert page.query_selector("#sidebar .badge.status-ratified") is not None
    assert page.evaluate("window.__cspViolations") == [] and page.console_errors == []


def test_search_finds_a_term_offline_and_opens_the_page(page, serve, docs_site: Path):
    base = serve(docs_site / "site")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_page(page, base + "tutorials/pwa/")
    assert not [url for url in requests if "/pagefind/" in url]  # loaded lazily, on first use
    page.fill("#search-input", "Pushgateway")
    page.wait_for_selector("#search-results li a")
    hrefs = [a.get_attribute("href") for a in page.query_selector_all("#search-results li a")]
    assert "/observability/" in hrefs
    assert "<mark>" in page.inner_html("#search-results")
    assert all(url.startswith(base) for url in requests)  # nothing leaves the site
    page.click('#search-results a[href="/observability/"]')
    assert page.url == base + "observability/"
    page.fill("#search-input", "Pushgateway")
    page.wait_for_selector("#search-results li a")
    titles = [a.inner_text() for a in page.query_selector_all("#search-results li a")]
    assert "Observability: logs, metrics and traces" in titles
    assert not [title for title in titles if title.endswith("#")]  # the permalink sign is not indexed
    page.keyboard.press("Escape")
    assert page.is_hidden("#search-results") and page.input_value("#search-input") == ""
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-input"
    assert page.evaluate("window.__cspViolations") == [] and page.console_errors == []


def test_the_site_works_under_a_sub_path(page, serve, docs_site: Path, tmp_path: Path):
    """Served from a folder of another site (a project page): every link is relative, search results too."""
    shutil.copytree(docs_site / "site", tmp_path / "host" / "vango-pipeline")
    base = serve(tmp_path / "host", apply_headers_file=False) + "vango-pipeline/"
    open_page(page, base + "tutorials/pwa/")
    page.fill("#search-input", "Pushgateway")
    page.wait_for_selector("#search-results li a")
    page.click('#search-results a[href="/vango-pipeline/observability/"]')
    assert page.url == base + "observability/" and page.title().startswith("Observability")
    page.click(".brand")
    assert page.url == base
    assert page.evaluate("window.__cspViolations") == [] and page.console_errors == []


BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(browser, serve, docs_site: Path):
    base = serve(docs_site / "site")
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        open_page(page, base + "configuration/")
        assert page.evaluate(BACKGROUND) == "rgb(13, 17, 23)"
        code = page.query_selector(".highlight .p, .highlight .s2, .highlight .nt")
        assert code is not None
        page.click(".theme-toggle")
        assert page.evaluate(BACKGROUND) == "rgb(255, 255, 255)"
        assert page.get_attribute("html", "data-theme") == "light"
        page.reload()
        assert page.evaluate(BACKGROUND) == "rgb(255, 255, 255)"  # the reader's choice, before the first paint
        page.click(".theme-toggle")
        assert page.evaluate(BACKGROUND) == "rgb(13, 17, 23)"
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()


def test_a_small_screen_gets_a_navigation_drawer(browser, serve, docs_site: Path):
    base = serve(docs_site / "site")
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    page = context.new_page()
    try:
        open_page(page, base + "deploy/")
        assert not page.is_visible("#sidebar") and page.is_visible(".menu-toggle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        page.click(".menu-toggle")
        assert page.is_visible("#sidebar")
        assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    finally:
        context.close()


def test_a_broken_link_fails_the_build_and_the_served_site_stays(page, serve, tmp_path: Path):
    root = tmp_path / "project"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n\nRead [the PWA page](pwa.md).\n")
    pwa = root / "docs" / "pwa.md"
    pwa.write_text("# PWA\n\nOffline first.\n")
    assert run_pipeline(["pipeline.cli", "docs", "build", "docs"], cwd=root).returncode == 0
    base = serve(root / "site")
    before = snapshot(root / "site")
    pwa.write_text(pwa.read_text() + "\nSee [the new page](brand-new.md) too.\n")
    run = run_pipeline(["pipeline.cli", "docs", "build", "docs"], cwd=root)
    assert run.returncode == 1
    assert "docs/pwa.md:5: broken link 'brand-new.md': no page brand-new.md" in run.stderr
    assert snapshot(root / "site") == before
    open_page(page, base + "pwa/")
    assert "Offline first." in page.inner_text("article") and "brand-new" not in page.content()
    page.click(".brand")
    assert page.url == base


class DocsServer(LoggedProcess):
    def __init__(self, root: Path):
        super().__init__(["pipeline.cli", "docs", "serve", "docs", "--port", "0", "--debounce", "100"], root)
        self.url = self.next_event("dev.serving")["url"]
        self.next_event("watch.ready")


def test_docs_serve_reloads_on_save_and_shows_errors_in_the_overlay(page, tmp_path: Path):
    root = tmp_path / "project"
    (root / "docs" / "guide").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Home\n\nSee [the guide](guide/intro.md).\n")
    intro = root / "docs" / "guide" / "intro.md"
    intro.write_text("---\ntitle: Intro\n---\n# Intro\n\nThe first version.\n")
    server = DocsServer(root)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    try:
        open_page(page, server.url + "guide/intro/")
        assert "The first version." in page.inner_text("article")
        deadline = time.monotonic() + 20
        while not any("live reload connected" in m for m in messages) and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # a reload sent before the page's socket is open would be missed
        with page.expect_navigation(timeout=60_000):
            intro.write_text("---\ntitle: Intro\n---\n# Intro\n\nThe second version.\n")
        assert "The second version." in page.inner_text("article")
        intro.write_text("---\ntitle: Intro\nordre: 2\n---\n# Intro\n")
        message = wait_for(page, OVERLAY_TEXT, timeout=60)
        assert "docs:pages" in message and "ordre: unknown key" in message
        intro.write_text("---\ntitle: Intro\n---\n# Intro\n\nFixed, with [a gap](#nowhere).\n")
        message = wait_for(page, f"() => ({OVERLAY_TEXT})().includes('broken link') && ({OVERLAY_TEXT})()", timeout=60)
        assert "docs:check" in message and "docs/guide/intro.md:6: broken link '#nowhere'" in message
        with page.expect_navigation(timeout=60_000):
            intro.write_text("---\ntitle: Intro\n---\n# Intro\n\nAll fixed.\n")
        assert "All fixed." in page.inner_text("article") and page.evaluate(OVERLAY_TEXT) == ""
        response = page.goto(server.url + "no/such/page/")
        assert response.status == 404 and "Page not found" in page.inner_text("h1")
        assert page.evaluate("window.__cspViolations") == []
    finally:
        server.stop()
