"""pipeline.pwa.settings: defaults, URL resolution, colours and JavaScript-compatible denylist patterns."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.core.errors import ConfigError, PipelineError
from pipeline.pwa.settings import (
    DEFAULT_MAX_FILE_SIZE,
    PwaSettings,
    ServiceWorkerSettings,
    Shortcut,
    denylist_problem,
    parse_color,
    schema_defaults,
)


def test_minimal_settings_get_defaults() -> None:
    s = PwaSettings.from_dict({"icon": "icon.png"}, "/")
    assert s == PwaSettings(icon="icon.png", start_url="/", scope="/", id="/")
    assert (s.short_name, s.description, s.lang, s.dir, s.orientation) == (None, None, None, None, None)
    assert (s.display, s.theme_color, s.background_color) == ("standalone", "#ffffff", "#ffffff")
    assert (s.categories, s.shortcuts) == ((), ())
    assert s.service_worker == ServiceWorkerSettings(update="prompt", navigation_fallback=True, denylist=("^/api/",),
                                                     max_file_size=16 * 1024 * 1024)
    assert DEFAULT_MAX_FILE_SIZE == 16_777_216


def test_urls_default_to_the_base_and_id_to_start_url() -> None:
    s = PwaSettings.from_dict({"icon": "i.png", "start_url": "app?source=pwa"}, "/shop/")
    assert (s.start_url, s.scope, s.id) == ("/shop/app?source=pwa", "/shop/", "/shop/app?source=pwa")


def test_full_settings_are_typed() -> None:
    data = {
        "icon": "assets/logo.png", "short_name": "Shop", "id": "shop-app", "start_url": "/shop/start",
        "scope": "/shop/", "display": "fullscreen", "theme_color": "#112233", "background_color": "rgb(1, 2, 3)",
        "description": "Buy things", "lang": "en", "dir": "ltr", "orientation": "portrait",
        "categories": ["shopping", "food"],
        "shortcuts": [{"name": "New order", "short_name": "New", "url": "new", "description": "Start"},
                      {"name": "Cart", "url": "/shop/cart"}],
        "service_worker": {"update": "auto", "navigation_fallback": False, "denylist": ["^/shop/api/", r"\.zip$"],
                           "max_file_size": 1000},
    }
    s = PwaSettings.from_dict(data, "/shop/")
    assert s.id == "/shop/shop-app"
    assert (s.start_url, s.scope, s.display) == ("/shop/start", "/shop/", "fullscreen")
    assert s.categories == ("shopping", "food")
    assert s.shortcuts == (Shortcut("New order", "/shop/new", "New", "Start"), Shortcut("Cart", "/shop/cart"))
    assert s.service_worker == ServiceWorkerSettings("auto", False, ("^/shop/api/", r"\.zip$"), 1000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.icon = "other.png"  # type: ignore[misc]


@pytest.mark.parametrize("key", ["start_url", "scope", "id"])
@pytest.mark.parametrize("url", ["https://other.example/", "//cdn.example/app", "javascript:alert(1)"])
def test_urls_naming_an_origin_are_refused(key: str, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        PwaSettings.from_dict({"icon": "i.png", key: url}, "/", path="vango.json")
    assert str(info.value).startswith(f"vango.json: $.pwa.{key}: ")
    assert "\n" not in str(info.value)


def test_shortcut_url_naming_an_origin_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"\$\.pwa\.shortcuts\[1\]\.url"):
        PwaSettings.from_dict({"icon": "i.png", "shortcuts": [{"name": "a", "url": "/a"},
                                                              {"name": "b", "url": "https://x.example/"}]}, "/")


@pytest.mark.parametrize(("value", "rgb"), [
    ("#fff", (255, 255, 255)), ("#1E293B", (30, 41, 59)), ("white", (255, 255, 255)),
    ("rebeccapurple", (102, 51, 153)), ("rgb(1, 2, 3)", (1, 2, 3)), ("hsl(0, 100%, 50%)", (255, 0, 0)),
    ("#102030ff", (16, 32, 48)),
])
def test_parse_color(value: str, rgb: tuple[int, int, int]) -> None:
    assert parse_color(value) == rgb


@pytest.mark.parametrize(("value", "reason"), [
    ("nope", "is not a colour"), ("#12345", "is not a colour"), ("hsv(0, 100%, 100%)", "is not a colour"),
    ("", "is not a colour"), ("#ff000080", "translucent"), ("rgba(0, 0, 0, 0)", "translucent"),
])
def test_parse_color_errors_are_one_line(value: str, reason: str) -> None:
    with pytest.raises(PipelineError) as info:
        parse_color(value, path="vango.json", key="$.pwa.background_color")
    message = str(info.value)
    assert message.startswith("vango.json: $.pwa.background_color: ") and reason in message and "\n" not in message


def test_background_color_is_checked_when_loading() -> None:
    with pytest.raises(ConfigError, match=r"\$\.pwa\.background_color: 'chartreuse-ish' is not a colour"):
        PwaSettings.from_dict({"icon": "i.png", "background_color": "chartreuse-ish"}, "/")


@pytest.mark.parametrize("pattern", [
    "^/api/", r"\.zip$", "^/(?:auth|admin)/", "^/files/[^/]+\\.pdf$", "(?=a)b", "(?<!x)y", r"[\]]", "a{2,3}?b+?",
])
def test_portable_denylist_patterns_are_accepted(pattern: str) -> None:
    assert denylist_problem(pattern) is None


@pytest.mark.parametrize(("pattern", "construct"), [
    ("(?P<x>a)", "(?P"), ("(?i)^/api", "(?i"), (r"\A/api", r"\A"), (r"api\Z", r"\Z"), ("a++", "++"),
    ("(?>a)", "(?>"), ("a{,3}", "{,"), ("[]a]", "[]"), ("[^]a]", "[^]"), ("(?#c)a", "(?#"),
])
def test_python_only_denylist_patterns_are_refused(pattern: str, construct: str) -> None:
    problem = denylist_problem(pattern)
    assert problem is not None and repr(construct) in problem and "JavaScript" in problem


def test_invalid_denylist_pattern_is_a_config_error() -> None:
    assert "is not a regular expression" in (denylist_problem("(unclosed") or "")
    with pytest.raises(ConfigError, match=r"\$\.pwa\.service_worker\.denylist\[1\]: '\(\?P<n>x\)' uses"):
        PwaSettings.from_dict({"icon": "i.png", "service_worker": {"denylist": ["^/api/", "(?P<n>x)"]}}, "/")


def test_schema_defaults_match_from_dict() -> None:
    defaults = schema_defaults()
    s = PwaSettings.from_dict({"icon": "i.png"}, "/")
    for key in ("display", "theme_color", "background_color"):
        assert getattr(s, key) == defaults[key]
    sw = defaults["service_worker"]
    assert dataclasses.asdict(s.service_worker) == {**sw, "denylist": tuple(sw["denylist"])}
