"""From an entry point's settings to doit's task namespace: load the context (verifying the addons first),
collect the registry, and hand doit one ``task_<basename>`` creator per basename.

The context is loaded once per namespace; bad configuration or a refused addon ends the run with its
one-line error and exit code (2), no traceback, before any task runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn

from pipeline.config.context import Context, Settings
from pipeline.core.errors import PipelineError
from pipeline.observe import log, spans


def stop(exc: PipelineError) -> NoReturn:
    """End the run while tasks are being loaded: the one-line error, no traceback, the error's exit code."""
    log.setup()
    for line in exc.lines():
        log.get_logger().error("%s", line)
    raise SystemExit(exc.exit_code) from None


def doit_config(settings: Settings) -> dict[str, Any]:
    from pipeline.engine.reporter import VangoReporter

    paths = settings.paths()
    return {
        "backend": "sqlite3",
        "dep_file": str(paths.db_path),
        "default_tasks": ["release"],
        "reporter": VangoReporter,
        "subtasks": True,  # `doit list` shows wasm:compile and wasm:runtime
        "minversion": "0.36.0",
    }


class Session:
    """One run's context, registry and task creators, loaded once; a load error is kept and reported when
    doit asks for a task (so importing a dodo file never fails, and ``doit watch`` can wait for a fix)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.ctx: Context | None = None
        self.registry: Any = None
        self.error: PipelineError | None = None
        self._creators: dict[str, Any] = {}
        self.started_ns = time.time_ns()  # the run's root span starts when its tasks start loading
        self.load_spans: list[dict[str, Any]] = []  # spans finished while tasks load (go list), replayed by the run
        self._load()

    def _load(self) -> None:
        from pipeline.engine.registry import Registry

        log.setup(self.settings.log_format, self.settings.log_level, run=self.settings.run_id)
        try:
            self.ctx = Context.load(self.settings)
            self.registry = Registry.from_addons(self.ctx)
            self._creators = self.registry.creators(self.ctx)
        except PipelineError as exc:
            self.error = exc  # reported when doit asks for a task; doit's database then lives in memory only
            return
        self.ctx.build_dir.mkdir(parents=True, exist_ok=True)

    def basenames(self) -> list[str]:
        return list(self._creators) if self.error is None else ["release"]

    def fail(self, exc: PipelineError) -> NoReturn:
        """The run ends before any task runs: say why, and let the run's metrics say so too (when the build
        folder exists already: a run that fails on configuration creates none), so a scraper or a
        Pushgateway never keeps showing the previous run's success."""
        from pipeline.observe.metrics import record_failed_run

        paths = self.settings.paths()
        if paths.build_dir.is_dir():
            record_failed_run(paths.build_dir / "reports", exc.exit_code,
                              app=self.ctx.config.name if self.ctx is not None else "",
                              push_gateway="" if self.settings.profile == "dev" else self.settings.push_gateway)
        stop(exc)

    def creator(self, basename: str) -> Any:
        if self.error is not None:
            self.fail(self.error)
        creator = self._creators[basename]

        def recorded() -> Any:
            # The spans of loading (go list) belong to the run, under its root span.
            spans.begin_run(self.settings.trace())
            with spans.recording() as finished:
                try:
                    result = creator()
                    return result if isinstance(result, dict) else list(result or [])
                finally:
                    self.load_spans.extend(finished)
                    spans.end_run()

        recorded.__doc__ = creator.__doc__
        return recorded


def namespace(settings: Settings) -> dict[str, Any]:
    """A dodo namespace: ``DOIT_CONFIG`` and one zero-argument ``task_<basename>`` function per basename the
    registry declares (the context and the addons are loaded now: doit collects the names before calling any)."""
    session = Session(settings)

    def bind(basename: str) -> Callable[[], Any]:
        def task_creator() -> Any:
            creator = session.creator(basename)
            try:
                result = creator()  # evaluated there, so bad input is reported cleanly
                if isinstance(result, dict):
                    return result
                tasks = result
            except PipelineError as exc:
                session.fail(exc)
            return (t for t in tasks)

        task_creator.__name__ = f"task_{basename}"
        task_creator.__doc__ = getattr(session._creators.get(basename), "__doc__", None)
        return task_creator

    names = {f"task_{name}": bind(name) for name in session.basenames()}
    config = doit_config(settings)
    if session.error is not None:
        config["dep_file"] = ":memory:"  # a run that fails on configuration creates no build/ and no database
    else:  # one run at a time executes in a build folder (listing tasks needs no lock)
        config["reporter"] = type("VangoReporter", (config["reporter"],), {"lock_dir": session.ctx.build_dir,
                                                                            "session": session})
    return {"DOIT_CONFIG": config, "VANGO_SESSION": session, **names}
