"""The site's settings: ``docs.toml`` in the docs folder (optional), one typed class, checked key by key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError

CONFIG_NAME = "docs.toml"
THEME_DIR = "_theme"  # per-template overrides, next to the pages


@dataclass(frozen=True)
class SearchConfig:
    enabled: bool = True
    shard_pages: int = 64  # pages per search index shard: an edit re-indexes one shard, not the site


@dataclass(frozen=True)
class DocsConfig:
    """What ``docs.toml`` may say; every key has a default, so the file is optional."""

    title: str = "Documentation"
    description: str = ""
    language: str = "en"
    site_url: str = ""  # absolute URL the site is served at: needed for sitemap.xml
    repository: str = ""  # e.g. https://github.com/org/repo: "edit this page" and links to repository files
    branch: str = "main"
    repository_root: str = ".."  # the repository's root, relative to the docs folder
    highlight_style: str = "friendly"
    highlight_style_dark: str = "monokai"
    brotli_quality: int = 7  # precompressed pages; the theme's own assets always get 11
    exclude: tuple[str, ...] = ()  # glob patterns (relative to the docs folder) that are not part of the site
    search: SearchConfig = field(default_factory=SearchConfig)

    def edit_url(self, repo_path: str) -> str:
        return f"{self.repository.rstrip('/')}/edit/{self.branch}/{repo_path}" if self.repository else ""

    def blob_url(self, repo_path: str) -> str:
        return f"{self.repository.rstrip('/')}/blob/{self.branch}/{repo_path}" if self.repository else ""

    def settings(self) -> dict[str, Any]:
        """What every page's output depends on (part of its cache key)."""
        return {f.name: (getattr(self, f.name).__dict__ if f.name == "search" else getattr(self, f.name))
                for f in fields(self)}


_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str, "description": str, "language": str, "site_url": str, "repository": str, "branch": str,
    "repository_root": str, "highlight_style": str, "highlight_style_dark": str, "brotli_quality": int,
    "exclude": list,
}


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.split("=", 1)[0].strip().strip('"') == key:
            return number
    return None


def load(docs_dir: Path) -> DocsConfig:
    """``docs_dir/docs.toml`` (or the defaults); a bad key is a :class:`ConfigError` naming file, line and key."""
    path = docs_dir / CONFIG_NAME
    if not path.is_file():
        return DocsConfig()
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(f"not valid TOML: {str(exc).split(' (at line')[0]}", path=path, location=line) from None

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{key}: {message}", path=path, location=_line_of(text, key.rsplit(".", 1)[-1]))

    values: dict[str, Any] = {}
    search = raw.pop("search", {})
    if not isinstance(search, dict):
        raise fail("search", f"must be a table ([search]), not {type(search).__name__}")
    for key, value in raw.items():
        expected = _TYPES.get(key)
        if expected is None:
            raise fail(key, f"unknown key (known: {', '.join(sorted([*_TYPES, 'search']))})")
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
            raise fail(key, f"must be {_name(expected)}, not {type(value).__name__}")
        values[key] = value
    if "brotli_quality" in values and not 0 <= values["brotli_quality"] <= 11:
        raise fail("brotli_quality", "must be between 0 and 11")
    if "exclude" in values:
        if not all(isinstance(p, str) for p in values["exclude"]):
            raise fail("exclude", "must be a list of glob patterns (strings)")
        values["exclude"] = tuple(values["exclude"])
    for key in ("site_url", "repository"):
        if values.get(key) and not values[key].startswith(("https://", "http://")):
            raise fail(key, f"must be an absolute http(s) URL, not {values[key]!r}")
    search_values: dict[str, Any] = {}
    for key, value in search.items():
        positive = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        if (key == "enabled" and isinstance(value, bool)) or (key == "shard_pages" and positive):
            search_values[key] = value
        elif key in ("enabled", "shard_pages"):
            raise fail(f"search.{key}", "must be true/false" if key == "enabled" else "must be a positive integer")
        else:
            raise fail(f"search.{key}", "unknown key (known: enabled, shard_pages)")
    return DocsConfig(**values, search=SearchConfig(**search_values))


def _name(expected: type | tuple[type, ...]) -> str:
    names: dict[object, str] = {str: "a string", int: "an integer", list: "a list", bool: "true or false"}
    return names.get(expected, "valid")
