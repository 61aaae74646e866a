"""The DevTools extension (tools/devtools-extension): a valid Manifest V3 whose every referenced file exists.

Headless Chromium cannot load the extension reliably, so this checks it statically; the panel it frames
(/__vango/devtools/) is exercised in a real browser by tests/browser/test_devserver_panel.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "tools" / "devtools-extension"
MANIFEST = EXTENSION / "manifest.json"


class References(HTMLParser):
    """Every src/href of a page, and whether it has inline code (which MV3's extension CSP refuses)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_handlers: list[str] = []
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(values[name] or "")
        self.inline_handlers += [name for name, _ in attrs if name.startswith("on")]
        self._in_script_without_src = tag == "script" and not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script_without_src = False


def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def pages() -> list[Path]:
    return sorted(EXTENSION.glob("*.html"))


def test_manifest_is_v3_with_a_devtools_page():
    data = manifest()
    assert data["manifest_version"] == 3
    assert data["name"] and len(data["name"]) <= 75
    assert re.fullmatch(r"\d{1,5}(\.\d{1,5}){0,3}", data["version"])
    assert len(data.get("description", "")) <= 132
    assert (EXTENSION / data["devtools_page"]).is_file()
    assert "background" not in data or "service_worker" in data["background"]  # MV3 has no background pages
    assert "browser_action" not in data and "page_action" not in data  # MV2 keys
    assert not data.get("permissions") and not data.get("host_permissions")  # it needs none


def test_every_file_the_manifest_references_exists():
    data = manifest()
    referenced = [data["devtools_page"], *data.get("icons", {}).values()]
    default_icon = data.get("action", {}).get("default_icon", {})
    referenced += [default_icon] if isinstance(default_icon, str) else list(default_icon.values())
    for name in referenced:
        assert (EXTENSION / name).is_file(), name


@pytest.mark.parametrize("page", pages(), ids=lambda path: path.name)
def test_pages_reference_only_local_existing_files_and_no_inline_code(page: Path):
    references = References()
    references.feed(page.read_text())
    assert references.urls, page.name
    for url in references.urls:
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.IGNORECASE), f"remote resource {url} in {page.name}"
        assert (page.parent / url).is_file(), f"{page.name} references missing {url}"
    assert references.inline_scripts == 0 and references.inline_handlers == []


def test_the_devtools_page_creates_the_panel_from_an_existing_page():
    script = (EXTENSION / "devtools.js").read_text()
    created = re.findall(r'chrome\.devtools\.panels\.create\(\s*"([^"]+)"\s*,\s*"([^"]*)"\s*,\s*"([^"]+)"', script)
    assert created == [("Vango", "", "panel.html")]
    assert (EXTENSION / created[0][2]).is_file()


def test_the_panel_frames_the_served_devtools_page_of_the_inspected_origin():
    script = (EXTENSION / "panel.js").read_text()
    assert '"/__vango/devtools/"' in script
    assert "chrome.devtools.inspectedWindow.eval" in script and "location.origin" in script
    assert "eval(" not in script.replace("inspectedWindow.eval(", "")  # no eval in the extension itself


def test_readme_explains_loading_it_unpacked():
    readme = (EXTENSION / "README.md").read_text()
    assert "Load unpacked" in readme and "chrome://extensions" in readme
