"""The PWA pieces in Chromium, on a small site assembled with pipeline.pwa (no Go build needed): the
manifest and icons pass Chromium's installability check, the worker serves the app offline, leaves
denylisted paths alone, and the prompt update flow lands the page on the new version."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS
from PIL import Image, ImageDraw

from pipeline.core.hashing import fingerprint, hashed_name
from pipeline.pwa.icons import APPLE_TOUCH_ICON, FAVICON, ICON_ENTRIES, render_icons
from pipeline.pwa.serviceworker import (
    PART_NAME,
    asset_url,
    cache_prefix_for,
    precache_entries,
    precache_parts,
    precache_version,
    render_precache_part,
    render_register_script,
    render_service_worker,
)
from pipeline.pwa.settings import PwaSettings
from pipeline.pwa.webmanifest import build_webmanifest, dumps, validate_webmanifest

pytestmark = pytest.mark.browser

GET_VERSION = """new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data.version);
  navigator.serviceWorker.controller.postMessage({type: "GET_VERSION"}, [channel.port2]);
})"""


def icon_source() -> bytes:
    image = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 50, 550, 550), fill=(30, 90, 200, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def deploy(dist: Path, text: str, update: str = "prompt", per_part: int | None = None) -> str:
    """Write a release of a one-page app into ``dist`` (older hashed files stay, as on a real host);
    returns the worker's version. ``per_part``: the precache list in parts of about that many entries, as
    the build splits a large app's."""
    base = "/"
    settings = PwaSettings.from_dict({"icon": "icon.png", "short_name": "Demo", "service_worker": {"update": update}},
                                     base)
    assets: dict[str, dict[str, Any]] = {}

    def write(path: Path, data: bytes) -> None:
        # The test server answers If-Modified-Since by whole seconds, and the worker's update check is a
        # conditional request: a file replaced within the same second must look newer.
        previous = path.stat().st_mtime_ns if path.exists() else 0
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        stamp = max(path.stat().st_mtime_ns, previous + 2_000_000_000)
        os.utime(path, ns=(stamp, stamp))

    def add(logical: str, data: bytes, hashed: bool = True) -> str:
        fp = fingerprint(data)
        path = hashed_name(logical, fp.short) if hashed else logical
        write(dist / path, data)
        assets[logical] = {"path": path, "size": fp.size, "hash": fp.hex, "integrity": fp.integrity}
        return base + path

    urls = {name: add(name, data) for name, data in render_icons(icon_source(), background="#fff").items()}
    manifest = build_webmanifest(settings, "Vango Demo", [{**e, "src": urls[e["src"]]} for e in ICON_ENTRIES])
    assert validate_webmanifest(manifest) == []
    manifest_url = add("app.webmanifest", dumps(manifest))
    register = render_register_script(sw_url=base + "sw.js", scope=settings.scope, update=update)
    register_url = add("register.js", register)
    data_url = add("data.txt", text.encode())
    add("index.html", f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo</title>
<link rel="manifest" href="{manifest_url}"><link rel="icon" href="{urls[FAVICON]}">
<link rel="apple-touch-icon" href="{urls[APPLE_TOUCH_ICON]}">
<script src="{register_url}" integrity="{assets['register.js']['integrity']}" defer></script></head>
<body><p id="text">{text}</p><a id="data" href="{data_url}">data</a></body></html>""".encode(), hashed=False)
    entries = precache_entries(assets, base, settings.service_worker.max_file_size)
    version = precache_version(entries)
    parts = [] if per_part is None else [
        add(PART_NAME.format(bucket), render_precache_part(listed))
        for bucket, listed in precache_parts(entries, per_part=per_part).items()]
    write(dist / "sw.js", render_service_worker(
        precache=entries, shell_url=base + "index.html", scope=settings.scope,
        cache_prefix=cache_prefix_for(settings.id), update=update, denylist=list(settings.service_worker.denylist),
        version=version, parts=parts))
    return version


def controlled(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-vango-sw=registered]")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_chromium_finds_the_app_installable(browser, serve, tmp_path: Path,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    deploy(tmp_path, "v1")
    url = serve(tmp_path)
    # A persistent profile: Chromium reports "in-incognito" for the fixtures' throwaway contexts.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = context.new_page()
        controlled(page, url)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest").get("errors") == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_offline_shell_precache_and_denylist(page, serve, tmp_path: Path) -> None:
    deploy(tmp_path, "v1")
    url = serve(tmp_path)
    controlled(page, url)
    page.context.set_offline(True)
    page.goto(url + "some/client/route")
    assert page.inner_text("#text") == "v1"  # the shell, from the precache
    assert page.evaluate("fetch(document.getElementById('data').href).then((r) => r.text())") == "v1"
    assert page.evaluate("fetch('/api/items').then(() => 'answered', () => 'network error')") == "network error"
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(url + "api/items")


def test_a_worker_with_its_list_in_parts_installs_serves_offline_and_updates(page, serve, tmp_path: Path) -> None:
    """A large app's precache list is in parts (hashed scripts sw.js imports): here a part per two files."""
    first = deploy(tmp_path, "v1", update="auto", per_part=2)
    parts = sorted(p.name for p in tmp_path.glob("sw-precache-*.js"))
    assert len(parts) > 2 and all(f'"{asset_url("/", name)}"' in (tmp_path / "sw.js").read_text() for name in parts)
    url = serve(tmp_path)
    controlled(page, url)
    assert page.evaluate(GET_VERSION) == first
    cached = page.evaluate(f"caches.open('{cache_prefix_for('/')}-precache-{first}')"
                           ".then((cache) => cache.keys()).then((keys) => keys.map((r) => new URL(r.url).pathname))")
    app_files = {f"/{path.relative_to(tmp_path).as_posix()}" for path in tmp_path.rglob("*") if path.is_file()}
    # Every file of the app, from the parts; not the parts themselves: they are the worker's own.
    assert sorted(cached) == sorted(app_files - {"/sw.js"} - {f"/{name}" for name in parts})
    page.context.set_offline(True)
    page.goto(url + "some/client/route")
    assert page.inner_text("#text") == "v1"
    # A worker started again (as the browser does after it stopped one) runs sw.js and its parts from the
    # copies kept with it: offline, it still knows every file.
    cdp = page.context.new_cdp_session(page)
    cdp.send("ServiceWorker.enable")
    cdp.send("ServiceWorker.stopAllWorkers")
    page.goto(url + "another/route")
    assert page.inner_text("#text") == "v1"
    assert page.evaluate("fetch(document.getElementById('data').href).then((r) => r.text())") == "v1"
    page.context.set_offline(False)
    controlled(page, url)  # the client routes above are the shell's only offline: the test server has none
    second = deploy(tmp_path, "v2", update="auto", per_part=2)
    with page.expect_navigation():
        page.evaluate("navigator.serviceWorker.getRegistration().then((registration) => registration.update())")
    page.wait_for_selector("html[data-vango-sw=registered]")
    assert page.inner_text("#text") == "v2" and page.evaluate(GET_VERSION) == second
    assert page.console_errors == []


def test_prompt_update_flow_reloads_onto_the_new_version(page, serve, tmp_path: Path) -> None:
    first = deploy(tmp_path, "v1")
    url = serve(tmp_path)
    controlled(page, url)
    assert page.evaluate(GET_VERSION) == first
    second = deploy(tmp_path, "v2")
    page.evaluate("""window.addEventListener("vango:update-available",
                                            (event) => { window.applyUpdate = event.detail.update; })""")
    page.evaluate("navigator.serviceWorker.getRegistration().then((registration) => registration.update())")
    page.wait_for_function("window.applyUpdate !== undefined")
    assert page.evaluate("document.documentElement.dataset.vangoUpdate") == "available"
    assert page.inner_text("#text") == "v1"  # nothing changes until the user agrees
    with page.expect_navigation():
        page.evaluate("window.applyUpdate()")
    page.wait_for_selector("html[data-vango-sw=registered]")
    assert page.inner_text("#text") == "v2"
    assert page.evaluate(GET_VERSION) == second
    prefix = cache_prefix_for("/")
    assert page.evaluate("caches.keys()") == [f"{prefix}-precache-{second}"]
    assert page.console_errors == []


def test_auto_update_reloads_without_asking(page, serve, tmp_path: Path) -> None:
    deploy(tmp_path, "v1", update="auto")
    url = serve(tmp_path)
    controlled(page, url)
    deploy(tmp_path, "v2", update="auto")
    with page.expect_navigation():
        page.evaluate("navigator.serviceWorker.getRegistration().then((registration) => registration.update())")
    page.wait_for_selector("html[data-vango-sw=registered]")
    assert page.inner_text("#text") == "v2"
    assert page.evaluate("document.documentElement.dataset.vangoUpdate") is None
