"""The theme: Jinja2 templates (the docs folder's ``_theme/templates/`` overrides the default theme file by
file) and its static files, published under content-hashed names with their SRI values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError
from pipeline.core.hashing import fingerprint, hashed_name
from pipeline.docs.config import THEME_DIR, DocsConfig

ASSETS_URL = "_assets"  # the site folder the theme's hashed files live in


def default_theme() -> Path:
    return Path(str(resources.files("pipeline.docs") / "theme"))


def template_dirs(source: Path) -> list[Path]:
    own = source / THEME_DIR / "templates"
    return [p for p in (own, default_theme() / "templates") if p.is_dir()]


def static_files(source: Path) -> dict[str, Path]:
    """Logical name -> file: the default theme's, replaced or extended by ``_theme/static/``."""
    found: dict[str, Path] = {}
    for folder in (default_theme() / "static", source / THEME_DIR / "static"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    found[path.relative_to(folder).as_posix()] = path
    return found


def inputs(source: Path) -> list[Path]:
    """Every theme file a build reads (doit's file dependencies)."""
    templates = [p for d in template_dirs(source) for p in sorted(d.rglob("*")) if p.is_file()]
    return [*templates, *static_files(source).values()]


def templates_digest(source: Path) -> str:
    digest = hashlib.sha256()
    for folder in template_dirs(source):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


_ENVIRONMENTS: dict[tuple[str, ...], Any] = {}


def environment(source: Path) -> Any:
    """One Jinja2 environment per set of template folders for the life of the process (``vango docs serve``
    builds again and again): templates are compiled once, and again only when their file changes."""
    import jinja2

    folders = tuple(str(d) for d in template_dirs(source))
    if folders not in _ENVIRONMENTS:
        _ENVIRONMENTS[folders] = jinja2.Environment(loader=jinja2.FileSystemLoader(list(folders)), autoescape=True,
                                                    auto_reload=True)
    return _ENVIRONMENTS[folders]


@dataclass(frozen=True)
class Asset:
    path: str  # site-relative, content-hashed
    integrity: str


def build_assets(source: Path, config: DocsConfig, out: Path) -> dict[str, Asset]:
    """Write the theme's static files (the highlighting palette appended to theme.css) under hashed names."""
    from pipeline.docs import highlight

    assets: dict[str, Asset] = {}
    for logical, path in static_files(source).items():
        data = path.read_bytes()
        if logical == "theme.css":
            try:
                palette = highlight.stylesheet(config.highlight_style, config.highlight_style_dark)
            except Exception as exc:  # pygments.util.ClassNotFound for an unknown style
                raise ConfigError(f"highlight_style: {exc}", path=source / "docs.toml") from None
            data += b"\n" + palette.encode("utf-8")
        print_ = fingerprint(data)
        name = f"{ASSETS_URL}/{hashed_name(logical, print_.short)}"
        target = out / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            from pipeline.core.fs import write_atomic

            write_atomic(target, data)
        assets[logical] = Asset(name, print_.integrity)
    for stale in (out / ASSETS_URL).rglob("*") if (out / ASSETS_URL).is_dir() else []:
        if stale.is_file() and stale.relative_to(out).as_posix() not in {a.path for a in assets.values()}:
            stale.unlink()
    return assets


def write_assets_map(path: Path, assets: dict[str, Asset]) -> None:
    from pipeline.core.fs import write_if_changed

    data = {name: {"path": a.path, "integrity": a.integrity} for name, a in sorted(assets.items())}
    write_if_changed(path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def read_assets_map(path: Path) -> dict[str, Asset]:
    return {name: Asset(**value) for name, value in json.loads(path.read_text(encoding="utf-8")).items()}
