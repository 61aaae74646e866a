"""Typed ``"pwa"`` settings of ``vango.json``, with their defaults.

The JSON Schema checks shapes and enums; :meth:`PwaSettings.from_dict` adds the defaults and the checks a
schema cannot express: URLs must be paths on the app's own origin (the build cannot know the deployed
origin), the icon background must be a colour the icon renderer understands, and denylist patterns must
mean the same thing in Python and in the service worker's JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from pipeline.config.defaults import field_defaults
from pipeline.core.errors import ConfigError

Display = Literal["fullscreen", "standalone", "minimal-ui", "browser"]
UpdateMode = Literal["prompt", "auto"]

DISPLAY_MODES = ("fullscreen", "standalone", "minimal-ui", "browser")
UPDATE_MODES = ("prompt", "auto")
DEFAULT_DENYLIST = ("^/api/",)
DEFAULT_MAX_FILE_SIZE = 16 * 1024 * 1024  # 16 MiB: Workbox's 2 MiB default silently drops Go wasm
DEFAULT_COLOR = "#ffffff"

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_ORIGIN = "https://vango.invalid"  # stands in for the unknown deployed origin while resolving paths
_CSS_COLOR_FUNCTIONS = re.compile(r"^\s*(rgba?|hsla?)\s*\(", re.IGNORECASE)


@dataclass(frozen=True)
class Shortcut:
    """A manifest ``shortcuts`` member; ``url`` is a path on the app's origin."""

    name: str
    url: str
    short_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ServiceWorkerSettings:
    update: UpdateMode = "prompt"
    navigation_fallback: bool = True
    denylist: tuple[str, ...] = DEFAULT_DENYLIST
    max_file_size: int = DEFAULT_MAX_FILE_SIZE


@dataclass(frozen=True)
class PwaSettings:
    """The ``"pwa"`` object of ``vango.json``; URLs are path-absolute, ``icon`` relative to the app folder."""

    icon: str
    start_url: str
    scope: str
    id: str
    short_name: str | None = None
    display: Display = "standalone"
    theme_color: str = DEFAULT_COLOR
    background_color: str = DEFAULT_COLOR
    description: str | None = None
    lang: str | None = None
    dir: str | None = None
    orientation: str | None = None
    categories: tuple[str, ...] = ()
    shortcuts: tuple[Shortcut, ...] = ()
    service_worker: ServiceWorkerSettings = field(default_factory=ServiceWorkerSettings)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: str, *, path: str | Path | None = None) -> PwaSettings:
        """Build from schema-valid ``data`` (the ``"pwa"`` object) for an app served under ``base``.

        Relative URLs (``start_url``, ``scope``, ``id``, shortcut URLs) are resolved against ``base``;
        ``id`` defaults to ``start_url``, ``start_url`` and ``scope`` to ``base``. ``path`` (the config
        file) is only used in error messages. Raises :class:`ConfigError` for an absolute URL, an
        unusable ``background_color`` or a denylist pattern JavaScript would read differently.
        """
        given = dict(data)
        data = {**field_defaults(cls), **given}
        sw = {**field_defaults(ServiceWorkerSettings), **given.get("service_worker", {})}
        start_url = _app_url(data.get("start_url", base), base, "$.pwa.start_url", path)
        scope = _app_url(data.get("scope", base), base, "$.pwa.scope", path)
        app_id = _app_url(data["id"], base, "$.pwa.id", path) if data.get("id") is not None else start_url
        parse_color(data["background_color"], path=path, key="$.pwa.background_color")
        check_css_color(data["theme_color"], path=path, key="$.pwa.theme_color")
        shortcuts = tuple(
            Shortcut(name=item["name"], url=_app_url(item["url"], base, f"$.pwa.shortcuts[{i}].url", path),
                     short_name=item.get("short_name"), description=item.get("description"))
            for i, item in enumerate(data["shortcuts"])
        )
        denylist = tuple(sw["denylist"])
        for i, pattern in enumerate(denylist):
            problem = denylist_problem(pattern)
            if problem:
                raise ConfigError(f"$.pwa.service_worker.denylist[{i}]: {problem}", path=path)
        plain = ("short_name", "display", "theme_color", "background_color", "description", "lang", "dir",
                 "orientation")
        return cls(icon=data["icon"], start_url=start_url, scope=scope, id=app_id,
                   categories=tuple(data["categories"]), shortcuts=shortcuts,
                   service_worker=ServiceWorkerSettings(update=sw["update"],
                                                        navigation_fallback=sw["navigation_fallback"],
                                                        denylist=denylist, max_file_size=sw["max_file_size"]),
                   **{key: data[key] for key in plain})


def _app_url(value: str, base: str, key: str, path: str | Path | None) -> str:
    """A URL of the app as a path-absolute reference (``/shop/new?x=1``), relative ones resolved on ``base``."""
    if _SCHEME.match(value) or value.startswith("//"):
        raise ConfigError(f"{key}: {value!r} names an origin; use a path such as {base!r} (the manifest must be "
                          "same-origin)", path=path)
    parts = urlsplit(urljoin(_ORIGIN + base, value))
    resolved = parts.path or "/"
    if parts.query:
        resolved += "?" + parts.query
    if parts.fragment:
        resolved += "#" + parts.fragment
    return resolved


_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_color(value: str, *, path: str | Path | None = None, key: str = "background_color",
                opaque: bool = True) -> tuple[int, int, int]:
    """A CSS colour (``#rgb``, ``#rrggbb``, ``rgb()``, ``hsl()`` or a named colour) as ``(r, g, b)``.

    Raises :class:`PipelineError` (a :class:`ConfigError`) for anything else, or, with ``opaque``, for a
    translucent colour: icons are composited on it and must come out opaque.
    """
    text = value.strip() if isinstance(value, str) else ""
    if _HEX_COLOR.fullmatch(text):  # the usual spelling, read without loading Pillow (a no-op build needs none)
        digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    from PIL import ImageColor

    if not text.startswith("#") and "(" in text and not _CSS_COLOR_FUNCTIONS.match(text):
        text = ""  # PIL also reads hsv()/hsb(), which are not CSS colours
    try:
        rgba = ImageColor.getrgb(text)
    except ValueError:
        raise ConfigError(f"{key}: {value!r} is not a colour; use e.g. '#1e293b', 'rgb(30, 41, 59)' or 'white'",
                          path=path) from None
    if opaque and len(rgba) == 4 and rgba[3] != 255:
        raise ConfigError(f"{key}: {value!r} is translucent; icons need an opaque colour", path=path)
    return rgba[0], rgba[1], rgba[2]


_CSS4_FUNCTION = re.compile(r"^(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(\s*[-+.\w%\s/,]+\)$", re.IGNORECASE)
_CSS_KEYWORDS = frozenset({"transparent", "currentcolor"})


def check_css_color(value: str, *, path: str | Path | None = None, key: str = "theme_color") -> None:
    """Any CSS colour a browser takes for ``theme-color``: what :func:`parse_color` reads, translucent ones,
    the CSS Color 4 functions (``rgb(0 0 0 / 50%)``, ``oklch(…)``, ``color(…)``) and ``transparent``."""
    text = value.strip() if isinstance(value, str) else ""
    if text.lower() in _CSS_KEYWORDS or _CSS4_FUNCTION.match(text):
        return
    parse_color(value, path=path, key=key, opaque=False)


# Inside "(?" only these constructs are both valid Python and identical in JavaScript.
_PORTABLE_GROUPS = ("?:", "?=", "?!", "?<=", "?<!")
# Possessive quantifiers (Python 3.11+), and "{,n}": a quantifier in Python, literal text in JavaScript.
_PYTHON_ONLY_PAIRS = frozenset({"*+", "++", "?+", "}+", "{,"})


def denylist_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used as a denylist regex in the service worker, or None when it can.

    It must compile in Python and avoid Python-only syntax (named groups ``(?P<..>)``, inline flags,
    atomic groups, possessive quantifiers, ``\\A``/``\\Z``): a JavaScript ``SyntaxError`` at the top of
    ``sw.js`` would stop the worker from ever installing.
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"{pattern!r} is not a regular expression ({exc})"
    offending = _python_only(pattern)
    if offending:
        return f"{pattern!r} uses {offending!r}, which JavaScript regular expressions do not support"
    return None


def _python_only(pattern: str) -> str | None:
    """The first construct of a valid Python regex that JavaScript rejects or reads differently."""
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if not in_class and pattern[i + 1:i + 2] in ("A", "Z"):
                return pattern[i:i + 2]
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            j = i + 1 + (pattern[i + 1:i + 2] == "^")
            if pattern[j:j + 1] == "]":  # a leading "]" is literal in Python; JavaScript reads an empty class
                return pattern[i:j + 1]
            in_class = True
        elif c == "(" and pattern[i + 1:i + 2] == "?" and not pattern.startswith(_PORTABLE_GROUPS, i + 1):
            return pattern[i:i + 3]
        elif pattern[i:i + 2] in _PYTHON_ONLY_PAIRS:
            return pattern[i:i + 2]
        i += 1
    return None


def schema_defaults() -> dict[str, Any]:
    """The defaults :meth:`PwaSettings.from_dict` applies, for the JSON Schema's ``default`` keywords."""
    return {
        "display": "standalone",
        "theme_color": DEFAULT_COLOR,
        "background_color": DEFAULT_COLOR,
        "service_worker": {
            "update": "prompt",
            "navigation_fallback": True,
            "denylist": list(DEFAULT_DENYLIST),
            "max_file_size": DEFAULT_MAX_FILE_SIZE,
        },
    }

