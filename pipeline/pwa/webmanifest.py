"""The web app manifest (W3C Web Application Manifest), and the checks Chromium makes before offering to
install an app. Served as ``application/manifest+json`` (``.webmanifest``)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from pipeline.core import jsonio
from pipeline.pwa.settings import PwaSettings

INSTALLABLE_DISPLAYS = ("fullscreen", "standalone", "minimal-ui")
REQUIRED_ICON_SIZES = ("192x192", "512x512")
_ORIGIN = "https://vango.invalid"  # stands in for the deployed origin when resolving path references


def build_webmanifest(settings: PwaSettings, name: str, icons: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The manifest as plain data; members that are unset (None or empty) are left out.

    ``icons`` are manifest icon members whose ``src`` is already the served URL (e.g. the entries of
    :data:`pipeline.pwa.icons.ICON_ENTRIES` with ``src`` replaced by ``base + served path``).
    """
    shortcuts = [
        {k: v for k, v in (("name", s.name), ("short_name", s.short_name), ("description", s.description),
                           ("url", s.url)) if v is not None}
        for s in settings.shortcuts
    ]
    members: dict[str, Any] = {
        "name": name,
        "short_name": settings.short_name,
        "id": settings.id,
        "start_url": settings.start_url,
        "scope": settings.scope,
        "display": settings.display,
        "theme_color": settings.theme_color,
        "background_color": settings.background_color,
        "description": settings.description,
        "lang": settings.lang,
        "dir": settings.dir,
        "orientation": settings.orientation,
        "categories": list(settings.categories),
        "shortcuts": shortcuts,
        "icons": [dict(icon) for icon in icons],
    }
    return {key: value for key, value in sorted(members.items()) if value not in (None, [])}


def dumps(manifest: Mapping[str, Any]) -> bytes:
    """Deterministic bytes: sorted keys, two-space indent, UTF-8, final newline."""
    return jsonio.dumps(manifest)


def validate_webmanifest(manifest: Mapping[str, Any], *, manifest_url: str = "/") -> list[str]:
    """What stops the app from being installable, one readable line per problem (empty when none).

    Checks Chromium's installability criteria and the W3C rules that make a member silently ignored.
    Relative URLs resolve against ``manifest_url`` (the path the manifest is served at), as browsers do.
    """
    problems: list[str] = []
    names = [k for k in ("name", "short_name") if isinstance(manifest.get(k), str) and manifest[k].strip()]
    if not names:
        problems.append("neither name nor short_name is set: an installed app needs a name")

    problems += _icon_problems(manifest.get("icons"))

    display = manifest.get("display", "browser")
    if display not in INSTALLABLE_DISPLAYS:
        problems.append(f"display {display!r} is not installable; use one of {', '.join(INSTALLABLE_DISPLAYS)}")
    if manifest.get("prefer_related_applications") is True:
        problems.append("prefer_related_applications is true: browsers then offer the store app instead of "
                        "installing this one")

    start = manifest.get("start_url")
    start_path = None
    if not isinstance(start, str) or not start.strip():
        problems.append("start_url is missing: set the page the installed app opens")
    else:
        start_path = _same_origin_path(start, manifest_url, "start_url", problems)

    scope = manifest.get("scope")
    if scope is None:
        # W3C: the default scope is start_url with its last path segment removed.
        scope_path = posixpath.dirname(start_path) + "/" if start_path else None
        if scope_path == "//":
            scope_path = "/"
    else:
        scope_path = _same_origin_path(str(scope), manifest_url, "scope", problems)

    if "id" in manifest:
        _same_origin_path(str(manifest["id"]), manifest_url, "id", problems)

    if start_path is not None and scope_path is not None and not start_path.startswith(scope_path):
        problems.append(f"start_url {start!r} is outside scope {scope_path!r}, so browsers ignore it")

    for index, shortcut in enumerate(manifest.get("shortcuts") or []):
        label = f"shortcuts[{index}]"
        if not isinstance(shortcut, Mapping):
            problems.append(f"{label} is not an object")
            continue
        if not (isinstance(shortcut.get("name"), str) and shortcut["name"].strip()):
            problems.append(f"{label} has no name")
        url = shortcut.get("url")
        if not isinstance(url, str) or not url.strip():
            problems.append(f"{label} has no url")
            continue
        path = _same_origin_path(url, manifest_url, f"{label}.url", problems)
        if path is not None and scope_path is not None and not path.startswith(scope_path):
            problems.append(f"{label}.url {url!r} is outside scope {scope_path!r}, so browsers ignore the shortcut")
    return problems


def _icon_problems(icons: Any) -> list[str]:
    if not isinstance(icons, list) or not icons:
        return ["icons are missing: installable apps need 192x192 and 512x512 icons with purpose 'any'"]
    problems = []
    found: set[str] = set()
    for index, icon in enumerate(icons):
        if not isinstance(icon, Mapping) or not isinstance(icon.get("src"), str) or not icon["src"].strip():
            problems.append(f"icons[{index}] has no src")
            continue
        purposes = str(icon.get("purpose", "any")).split()
        if "any" in purposes and "maskable" in purposes:
            problems.append(f"icons[{index}] ({icon['src']}) has purpose 'any maskable': ship separate 'any' and "
                            "'maskable' icons, a maskable image looks too small where 'any' is expected")
        if "any" in purposes:
            found.update(str(icon.get("sizes", "")).lower().split())
    for size in REQUIRED_ICON_SIZES:
        if size not in found:
            problems.append(f"no {size} icon with purpose 'any': Chromium requires 192x192 and 512x512")
    return problems


def _same_origin_path(url: str, manifest_url: str, label: str, problems: list[str]) -> str | None:
    """The path of ``url`` when it is on the manifest's origin; records a problem and returns None if not."""
    base = urljoin(_ORIGIN + "/", manifest_url)
    parts = urlsplit(urljoin(base, url.strip()))
    if f"{parts.scheme}://{parts.netloc}" != _ORIGIN:
        problems.append(f"{label} {url!r} is on another origin: it must be a path on the app's own origin")
        return None
    return parts.path or "/"
