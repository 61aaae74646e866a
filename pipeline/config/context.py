"""Where things are: the app (sources and vango.json), the build folder and dist/.

The app comes from ``VANGO_APP``, else the default the dodo file set with :func:`set_default_app`, else
the working directory. ``build/`` and ``dist/`` live in the working directory unless ``VANGO_BUILD_DIR``
or ``VANGO_DIST_DIR`` say otherwise; ``VANGO_CACHE_DIR`` moves the content-addressed cache (default
``build/cache``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from pipeline.config.model import CONFIG_NAME, AppConfig, inside, load_config
from pipeline.core.errors import ConfigError

_default_app: Path | None = None
RELEASE, DEV = "release", "dev"


def profile() -> str:
    """``release`` (default) or ``dev`` (``VANGO_PROFILE``): dev builds skip the slow and the in-the-way
    parts (brotli 11, the service worker, a <meta> CSP that would block the live-reload client)."""
    return DEV if os.environ.get("VANGO_PROFILE", RELEASE).strip().lower() == DEV else RELEASE


def dev_config(config: AppConfig) -> AppConfig:
    compress = replace(config.compress, brotli_quality=min(config.compress.brotli_quality, 5),
                       gzip_level=min(config.compress.gzip_level, 6))
    return replace(config, compress=compress, pwa=None, csp=replace(config.csp, meta=False),
                   deploy=replace(config.deploy, keep_releases=0))


def set_default_app(path: str | os.PathLike[str]) -> None:
    """Used by a dodo file to name its app; ``VANGO_APP`` still wins."""
    global _default_app
    _default_app = Path(path)


@dataclass(frozen=True)
class Paths:
    app_dir: Path
    build_dir: Path
    dist_dir: Path
    cache_dir: Path

    @classmethod
    def from_environment(cls) -> Paths:
        cwd = Path.cwd()
        app = Path(os.environ.get("VANGO_APP") or _default_app or cwd)
        dev = profile() == DEV
        # The dev profile keeps its own state, so switching between `vango dev` and a release never
        # invalidates the other's cache, and never touches dist/.
        build = (cwd / Path(os.environ.get("VANGO_BUILD_DIR") or ("build/dev" if dev else "build"))).resolve()
        dist = Path(os.environ.get("VANGO_DIST_DIR") or (build / "dist" if dev else cwd / "dist"))
        cache = Path(os.environ.get("VANGO_CACHE_DIR") or build / "cache")
        return cls((cwd / app).resolve(), build, (cwd / dist).resolve(), (cwd / cache).resolve())

    @property
    def db_path(self) -> Path:
        return self.build_dir / "doit.sqlite3"


@dataclass(frozen=True)
class Project:
    """Everything a task needs to know, picklable so ``doit -n N`` can hand it to workers."""

    paths: Paths
    config: AppConfig

    @classmethod
    def load(cls, paths: Paths | None = None) -> Project:
        paths = paths or Paths.from_environment()
        force_pwa = os.environ.get("VANGO_PWA", "").lower() in {"1", "true", "yes"}
        config = load_config(paths.app_dir / CONFIG_NAME, force_pwa=force_pwa)
        if profile() == DEV:
            config = dev_config(config)
        project = cls(paths, config)
        project.check_layout()
        return project

    @property
    def app_dir(self) -> Path:
        return self.paths.app_dir

    @property
    def config_path(self) -> Path:
        return self.app_dir / CONFIG_NAME

    @cached_property
    def web_dir(self) -> Path:
        return inside(self.app_dir, self.config.web, config=self.config_path, key="web")

    @cached_property
    def public_dir(self) -> Path:
        return inside(self.app_dir, self.config.public, config=self.config_path, key="public")

    @cached_property
    def pwa_icon(self) -> Path | None:
        if self.config.pwa is None:
            return None
        return inside(self.app_dir, self.config.pwa.icon, config=self.config_path, key="pwa.icon")

    @cached_property
    def main_dir(self) -> Path:
        return inside(self.app_dir, self.config.go.main, config=self.config_path, key="go.main")

    @property
    def build_dir(self) -> Path:
        return self.paths.build_dir

    @property
    def dist_dir(self) -> Path:
        return self.paths.dist_dir

    @property
    def out_dir(self) -> Path:
        """The staged output tree that the build steps write into; release copies it into dist/."""
        return self.build_dir / "out"

    @property
    def maps_dir(self) -> Path:
        return self.build_dir / "maps"

    @property
    def wasm_dir(self) -> Path:
        return self.build_dir / "wasm"

    @property
    def cache_dir(self) -> Path:
        """Content-addressed results (precompressed bytes); safe to share between builds and keep in CI."""
        return self.paths.cache_dir

    def check_layout(self) -> None:
        """Refuse layouts where publishing dist/ would replace or nest into the sources."""
        if not self.web_dir.is_dir():
            raise ConfigError(f"$.web: folder {self.config.web!r} does not exist", path=self.config_path)
        inside(self.web_dir, self.config.entry, config=self.config_path, key="entry")
        if not (self.web_dir / self.config.entry).is_file():
            raise ConfigError(f"$.entry: {self.config.web}/{self.config.entry} does not exist", path=self.config_path)
        if self.pwa_icon is not None and not self.pwa_icon.is_file():
            raise ConfigError(f"$.pwa.icon: {self.config.pwa.icon!r} does not exist", path=self.config_path)
        if not self.main_dir.is_dir():
            raise ConfigError(f"$.go.main: folder {self.config.go.main!r} does not exist", path=self.config_path)
        dist = self.dist_dir
        for name, source in (("the app", self.app_dir), ("the build folder", self.build_dir)):
            if dist == source or source.is_relative_to(dist):
                raise ConfigError(f"dist folder {dist} would contain {name}; choose another VANGO_DIST_DIR")
        if dist.is_dir() and any(dist.iterdir()) and not (dist / "asset-manifest.json").is_file():
            raise ConfigError(f"dist folder {dist} exists and was not made by the pipeline (no asset-manifest.json); "
                              "publishing would replace it: empty it or choose another folder")
        for name, source in (("web", self.web_dir), ("public", self.public_dir)):
            if dist.is_relative_to(source):
                raise ConfigError(f"dist folder {dist} is inside the {name} folder; choose another VANGO_DIST_DIR")
