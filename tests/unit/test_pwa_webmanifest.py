"""pipeline.pwa.webmanifest: building the manifest, its bytes, and each installability rule."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pipeline.pwa.icons import ICON_ENTRIES
from pipeline.pwa.settings import PwaSettings
from pipeline.pwa.webmanifest import build_webmanifest, dumps, validate_webmanifest

ICONS = [{**entry, "src": "/" + entry["src"].replace(".png", ".0123456789abcdef.png")} for entry in ICON_ENTRIES]


def settings(base: str = "/", **data: Any) -> PwaSettings:
    return PwaSettings.from_dict({"icon": "icon.png", **data}, base)


@pytest.fixture
def valid() -> dict[str, Any]:
    return build_webmanifest(settings(short_name="Todo"), "Vango Todo", ICONS)


def test_minimal_manifest(valid: dict[str, Any]) -> None:
    assert valid == {
        "name": "Vango Todo", "short_name": "Todo", "id": "/", "start_url": "/", "scope": "/",
        "display": "standalone", "theme_color": "#ffffff", "background_color": "#ffffff", "icons": ICONS,
    }
    assert validate_webmanifest(valid) == []


def test_unset_members_are_omitted() -> None:
    manifest = build_webmanifest(settings(), "App", ICONS)
    for key in ("short_name", "description", "lang", "dir", "orientation", "categories", "shortcuts"):
        assert key not in manifest
    assert None not in manifest.values()


def test_full_manifest() -> None:
    s = settings(base="/shop/", short_name="Shop", start_url="start?utm_source=pwa", display="minimal-ui",
                 theme_color="#111111", background_color="#222222", description="Buy", lang="fr", dir="ltr",
                 orientation="portrait", categories=["shopping"],
                 shortcuts=[{"name": "Cart", "url": "cart"}, {"name": "New order", "short_name": "New", "url": "new",
                                                              "description": "Start an order"}])
    manifest = build_webmanifest(s, "Shop", ICONS)
    assert manifest["start_url"] == manifest["id"] == "/shop/start?utm_source=pwa"
    assert manifest["scope"] == "/shop/"
    assert manifest["categories"] == ["shopping"]
    assert manifest["shortcuts"] == [
        {"name": "Cart", "url": "/shop/cart"},
        {"name": "New order", "short_name": "New", "description": "Start an order", "url": "/shop/new"}]
    assert (manifest["lang"], manifest["dir"], manifest["orientation"]) == ("fr", "ltr", "portrait")
    assert validate_webmanifest(manifest) == []


def test_icons_are_copied_not_shared(valid: dict[str, Any]) -> None:
    valid["icons"][0]["src"] = "changed"
    assert ICONS[0]["src"] != "changed"


def test_dumps_is_deterministic_sorted_utf8(valid: dict[str, Any]) -> None:
    manifest = {**valid, "name": "Café ☕"}
    data = dumps(manifest)
    assert data == dumps(dict(reversed(list(manifest.items()))))
    assert data.endswith(b"}\n") and "Café ☕".encode() in data
    parsed = json.loads(data)
    assert list(parsed) == sorted(parsed) and parsed == manifest


def broken(manifest: dict[str, Any], **changes: Any) -> list[str]:
    manifest = copy.deepcopy(manifest)
    for key, value in changes.items():
        if value is ...:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    return validate_webmanifest(manifest)


def single(problems: list[str], *needles: str) -> str:
    assert len(problems) == 1, problems
    assert all(n in problems[0] for n in needles), problems[0]
    assert "\n" not in problems[0]
    return problems[0]


def test_name_or_short_name_is_required(valid: dict[str, Any]) -> None:
    assert broken(valid, name=...) == []
    assert broken(valid, short_name=...) == []
    single(broken(valid, name=..., short_name=...), "name")
    single(broken(valid, name="  ", short_name=""), "name")


def test_icons_must_include_192_and_512_with_purpose_any(valid: dict[str, Any]) -> None:
    single(broken(valid, icons=...), "icons are missing")
    single(broken(valid, icons=[]), "icons are missing")
    single(broken(valid, icons=[i for i in ICONS if i["sizes"] != "192x192"]), "192x192")
    only_maskable_512 = [i for i in ICONS if not (i["sizes"] == "512x512" and i["purpose"] == "any")]
    single(broken(valid, icons=only_maskable_512), "512x512", "'any'")
    # No purpose means "any"; several sizes in one member count.
    assert broken(valid, icons=[{"src": "/i.png", "sizes": "192x192 512x512", "type": "image/png"}]) == []
    single(broken(valid, icons=[*ICONS, {"sizes": "48x48"}]), "icons[3] has no src")


def test_combined_any_maskable_purpose_is_reported(valid: dict[str, Any]) -> None:
    icons = [{**ICONS[0], "purpose": "any maskable"}, *ICONS[1:]]
    single(broken(valid, icons=icons), "'any maskable'", "separate")


@pytest.mark.parametrize("display", ["browser", "tabbed", None])
def test_display_must_be_installable(valid: dict[str, Any], display: str | None) -> None:
    problems = broken(valid, display=... if display is None else display)
    single(problems, repr(display or "browser"), "standalone")


@pytest.mark.parametrize("display", ["fullscreen", "standalone", "minimal-ui"])
def test_installable_displays(valid: dict[str, Any], display: str) -> None:
    assert broken(valid, display=display) == []


def test_prefer_related_applications(valid: dict[str, Any]) -> None:
    single(broken(valid, prefer_related_applications=True), "prefer_related_applications")
    assert broken(valid, prefer_related_applications=False) == []


def test_start_url_is_required(valid: dict[str, Any]) -> None:
    single(broken(valid, start_url=...), "start_url is missing")


@pytest.mark.parametrize("url", ["https://other.example/", "//cdn.example/", "http://vango.invalid/"])
def test_start_url_must_be_same_origin(valid: dict[str, Any], url: str) -> None:
    single(broken(valid, start_url=url), "start_url", "another origin")


@pytest.mark.parametrize("url", ["/", "/?source=pwa", "./", "index.html", "/index.html"])
def test_relative_and_path_absolute_start_urls_are_same_origin(valid: dict[str, Any], url: str) -> None:
    assert broken(valid, start_url=url) == []


def test_start_url_must_be_inside_scope(valid: dict[str, Any]) -> None:
    single(broken(valid, scope="/app/", start_url="/"), "outside scope '/app/'")
    single(broken(valid, scope="/app/", start_url="/application"), "outside scope")
    assert broken(valid, scope="/app/", start_url="/app/home") == []
    # Relative URLs resolve against the manifest's own URL, as browsers do.
    assert broken(valid, scope=".", start_url="home", id="home") == []
    single(validate_webmanifest({**valid, "scope": "./", "start_url": "/home", "id": "/home"},
                                manifest_url="/app/manifest.webmanifest"), "outside scope '/app/'")
    # Without a scope, the default is start_url's directory.
    assert broken(valid, scope=..., start_url="/app/home") == []


def test_scope_and_id_must_be_same_origin(valid: dict[str, Any]) -> None:
    single(broken(valid, scope="https://other.example/"), "scope", "another origin")
    single(broken(valid, id="https://other.example/app"), "id", "another origin")


def test_shortcut_urls_must_be_inside_scope(valid: dict[str, Any]) -> None:
    base = {**valid, "scope": "/app/", "start_url": "/app/"}
    assert broken(base, shortcuts=[{"name": "New", "url": "/app/new"}]) == []
    single(broken(base, shortcuts=[{"name": "Admin", "url": "/admin/"}]), "shortcuts[0].url", "outside scope")
    single(broken(base, shortcuts=[{"name": "X", "url": "https://x.example/app/"}]), "shortcuts[0].url",
           "another origin")
    single(broken(base, shortcuts=[{"name": "", "url": "/app/a"}]), "shortcuts[0] has no name")
    single(broken(base, shortcuts=[{"name": "A"}]), "shortcuts[0] has no url")


def test_every_problem_is_reported_at_once() -> None:
    problems = validate_webmanifest({"display": "browser", "start_url": "https://x.example/",
                                     "prefer_related_applications": True})
    assert len(problems) == 5  # name, icons (missing), display, prefer_related_applications, start_url
