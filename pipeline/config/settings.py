"""What an entry point was told, flags over environment, and the folders that follow from it.

Kept apart from :mod:`pipeline.config.context` (which re-exports it) because every run reads it first,
and a no-op run whose task list is remembered (:mod:`pipeline.engine.plan`) needs nothing else of the config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_NAME = "vango.json"

_default_app: Path | None = None
RELEASE, DEV = "release", "dev"
PROFILES = (RELEASE, DEV)
_TRUE = {"1", "true", "yes", "on"}


def set_default_app(path: str | os.PathLike[str]) -> None:
    """Used by a dodo file to name its app; ``--app``/``VANGO_APP`` still win."""
    global _default_app
    _default_app = Path(path)


@dataclass(frozen=True)
class Settings:
    """What an entry point was told (flags over environment), read once per run."""

    app: Path | None = None
    dist: Path | None = None
    build: Path | None = None
    cache: Path | None = None
    profile: str = RELEASE
    force_pwa: bool = False
    log_format: str = "human"
    log_level: str = "INFO"
    debug: bool = False
    run_id: str = ""
    go: str | None = None  # VANGO_GO: a go binary that wins over go.toolchain
    traceparent: str = ""  # TRACEPARENT: the caller's span (W3C), the parent of this run's trace
    push_gateway: str = ""  # --push-gateway/VANGO_PUSH_GATEWAY: a Prometheus Pushgateway for the run's metrics
    trace_seed: str = ""  # random per entry point: runs that share a run id still get span ids of their own

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The environment's ``VANGO_*`` variables; ``overrides`` (flags) win where they are not None."""
        env = os.environ if environ is None else environ

        def path(name: str) -> Path | None:
            return Path(env[name]) if env.get(name) else None

        profile = env.get("VANGO_PROFILE", RELEASE).strip().lower()
        fmt = env.get("VANGO_LOG_FORMAT", "human").strip().lower()
        values: dict[str, Any] = {
            "app": path("VANGO_APP"), "dist": path("VANGO_DIST_DIR"), "build": path("VANGO_BUILD_DIR"),
            "cache": path("VANGO_CACHE_DIR"), "profile": DEV if profile == DEV else RELEASE,
            "force_pwa": env.get("VANGO_PWA", "").strip().lower() in _TRUE,
            "log_format": fmt if fmt in ("human", "json") else "human",
            "log_level": (env.get("VANGO_LOG_LEVEL") or "INFO").upper(),
            "debug": env.get("VANGO_DEBUG", "").strip().lower() in _TRUE,
            "run_id": env.get("VANGO_RUN_ID", "").strip(),
            "go": env.get("VANGO_GO") or None,
            "traceparent": env.get("TRACEPARENT", "").strip(),
            "push_gateway": env.get("VANGO_PUSH_GATEWAY", "").strip(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not values["run_id"]:
            values["run_id"] = os.urandom(6).hex()
        values.setdefault("trace_seed", os.urandom(16).hex())
        return cls(**values)

    def trace(self) -> Any:
        """The run's trace ids (:class:`pipeline.observe.spans.RunTrace`), the same in every worker process."""
        from pipeline.observe.spans import run_trace

        return run_trace(self.run_id, self.traceparent, self.trace_seed)

    def paths(self, cwd: Path | None = None) -> Paths:
        cwd = cwd or Path.cwd()
        app = Path(self.app or _default_app or cwd)
        if app.name == CONFIG_NAME and (cwd / app).is_file():
            app = app.parent  # --app path/to/vango.json means its folder
        dev = self.profile == DEV
        # The dev profile keeps its own state, so switching between `vango dev` and a release never
        # invalidates the other's cache, and never touches dist/.
        build = (cwd / (self.build or Path("build/dev" if dev else "build"))).resolve()
        dist = self.dist or (build / "dist" if dev else cwd / "dist")
        cache = self.cache or build / "cache"
        return Paths((cwd / app).resolve(), build, (cwd / dist).resolve(), (cwd / cache).resolve())


@dataclass(frozen=True)
class Paths:
    app_dir: Path
    build_dir: Path
    dist_dir: Path
    cache_dir: Path

    @property
    def db_path(self) -> Path:
        return self.build_dir / "doit.sqlite3"

    @property
    def config_path(self) -> Path:
        return self.app_dir / CONFIG_NAME
