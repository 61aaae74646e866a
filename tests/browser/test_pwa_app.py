"""The example app as a PWA in Chromium: installable with every icon, works offline, and a rebuilt Go
program reaches the open page through the prompt update flow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def manifest(dist: Path) -> dict:
    return json.loads((dist / "asset-manifest.json").read_text())


def wait_until_controlled(page) -> None:
    page.wait_for_selector("html[data-vango-sw=registered]")
    wait_for(page, "() => navigator.serviceWorker.controller !== null")


def test_chromium_reports_the_app_installable_and_loads_every_icon(browser, serve, built_example: Path,
                                                                   tmp_path_factory: pytest.TempPathFactory):
    url = serve(built_example)
    # A persistent profile: Chromium reports "in-incognito" for throwaway contexts.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("html[data-vango-ready=true]")
        wait_until_controlled(page)
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest").get("errors") == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        webmanifest = json.loads(cdp.send("Page.getAppManifest")["data"])
        sources = [icon["src"] for icon in webmanifest["icons"]]
        assert {icon["purpose"] for icon in webmanifest["icons"]} == {"any", "maskable"}
        touch = page.get_attribute("link[rel=apple-touch-icon]", "href")
        for src in [*sources, touch, "/favicon.ico"]:
            loaded = page.evaluate("""async (src) => {
                const blob = await (await fetch(src)).blob();
                const bitmap = await createImageBitmap(blob);
                return [bitmap.width, bitmap.height, blob.type];
            }""", src)
            assert loaded[0] >= 16 and loaded[0] == loaded[1], (src, loaded)
    finally:
        context.close()


def test_the_app_keeps_working_offline(page, serve, built_example: Path):
    url = serve(built_example)
    page.goto(url)
    page.wait_for_selector("html[data-vango-ready=true]")
    wait_until_controlled(page)
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("html[data-vango-ready=true]")  # shell, runtime and wasm came from the precache
    page.fill("#new-todo", "offline")
    page.press("#new-todo", "Enter")
    assert page.locator("li.todo-item").count() == 1
    assert page.evaluate("fetch('/api/todos').then(() => 'answered', () => 'network error')") == "network error"
    page.context.set_offline(False)


def test_a_rebuilt_go_program_arrives_through_the_prompt_flow(page, serve, app: Path, vango):
    assert vango(app).returncode == 0
    dist = app / "dist"
    url = serve(dist)
    page.goto(url)
    page.wait_for_selector("html[data-vango-ready=true]")
    wait_until_controlled(page)
    assert page.get_attribute("#new-todo", "placeholder") == "What needs doing?"
    old_wasm = manifest(dist)["assets"]["app.wasm"]["path"]

    main_go = app / "main.go"
    main_go.write_text(main_go.read_text().replace("What needs doing?", "What else needs doing?"))
    rebuilt = vango(app)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert manifest(dist)["assets"]["app.wasm"]["path"] != old_wasm
    assert (dist / old_wasm).is_file()  # kept for tabs like this one

    page.evaluate("""window.addEventListener("vango:update-available",
                                             (event) => { window.applyUpdate = event.detail.update; })""")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    wait_for(page, "() => window.applyUpdate !== undefined")
    assert page.get_attribute("#new-todo", "placeholder") == "What needs doing?"  # nothing changes unasked
    with page.expect_navigation():
        page.evaluate("window.applyUpdate()")  # posts SKIP_WAITING; the page reloads on controllerchange
    page.wait_for_selector("html[data-vango-ready=true]")
    assert page.get_attribute("#new-todo", "placeholder") == "What else needs doing?"
