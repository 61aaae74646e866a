"""From an entry point's settings to doit's task namespace: load the context (verifying the addons first),
collect the registry, and hand doit one ``task_<basename>`` creator per basename.

The context is loaded once per namespace; bad configuration or a refused addon ends the run with its
one-line error and exit code (2), no traceback, before any task runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from pipeline.config.settings import Settings
from pipeline.core.errors import PipelineError
from pipeline.observe import log, spans

if TYPE_CHECKING:
    from pipeline.config.context import Context


def stop(exc: PipelineError) -> NoReturn:
    """End the run while tasks are being loaded: the one-line error, no traceback, the error's exit code."""
    log.setup()
    for line in exc.lines():
        log.get_logger().error("%s", line)
    raise SystemExit(exc.exit_code) from None


class Session:
    """One run's context, registry and tasks, loaded once; a load error is kept and reported when doit asks
    for a task (so importing a dodo file never fails, and ``doit watch`` can wait for a fix). Every task is
    generated while loading, so that with ``remember`` the task list is kept in ``build/plan.json`` with
    everything its loading looked at (:mod:`pipeline.engine.plan`)."""

    def __init__(self, settings: Settings, *, remember: bool = False):
        self.settings = settings
        self.ctx: Context | None = None
        self.registry: Any = None
        self.error: PipelineError | None = None
        self._creators: dict[str, Any] = {}
        self.tasks: dict[str, dict[str, Any] | list[dict[str, Any]]] = {}  # by basename, as the creators gave them
        self.started_ns = time.time_ns()  # the run's root span starts when its tasks start loading
        self.load_spans: list[dict[str, Any]] = []  # spans finished while tasks load (go list), replayed by the run
        self._load(remember)

    def _load(self, remember: bool) -> None:
        from pipeline.config.context import Context
        from pipeline.engine import plan
        from pipeline.engine.registry import Registry

        log.setup(self.settings.log_format, self.settings.log_level, run=self.settings.run_id)
        recorder = plan.recorder(self.settings) if remember else None
        try:
            with recorder or _nothing():
                self.ctx = Context.load(self.settings)
                self.registry = Registry.from_addons(self.ctx)
                self._creators = self.registry.creators(self.ctx)
                for basename, creator in self._creators.items():
                    self.tasks[basename] = self._generate(creator)
                if recorder is not None:
                    recorder.note_app(self.ctx)
        except PipelineError as exc:
            self.error = exc  # reported when doit asks for a task; doit's database then lives in memory only
            self.tasks = {}
            return
        self.ctx.build_dir.mkdir(parents=True, exist_ok=True)
        if recorder is not None:
            plan.remember(self, recorder)

    def _generate(self, creator: Callable[[], Any]) -> dict[str, Any] | list[dict[str, Any]]:
        # The spans of loading (go list) belong to the run, under its root span; loading inside a running
        # run (the action of a remembered task, pipeline.engine.plan) leaves that run as it is.
        outer = spans.current_run() is not None
        if not outer:
            spans.begin_run(self.settings.trace())
        with spans.recording() as finished:
            try:
                result = creator()
                return result if isinstance(result, dict) else list(result or [])
            finally:
                self.load_spans.extend(finished)
                if not outer:
                    spans.end_run()

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

    def generated(self, basename: str) -> Any:
        """What doit gets from the ``task_<basename>`` creator (a dict, or a generator of dicts)."""
        if self.error is not None:
            self.fail(self.error)
        result = self.tasks[basename]
        return result if isinstance(result, dict) else (t for t in result)

    def subscribe(self) -> list[Callable[[], None]]:
        """Attach the run's subscribers (the reporter calls this when the run starts); their detachers."""
        from pipeline.observe import run_subscribers

        return run_subscribers.attach(self.ctx) if self.ctx is not None else []


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def namespace(settings: Settings, *, remembered: bool = True) -> dict[str, Any]:
    """A dodo namespace: ``DOIT_CONFIG`` and one zero-argument ``task_<basename>`` function per basename the
    registry declares (the context and the addons are loaded now: doit collects the names before calling any).
    With ``remembered``, a run whose task list is in ``build/plan.json`` and still valid, and whose tasks
    are all up to date, takes it from there and loads nothing of the pipeline (:mod:`pipeline.engine.plan`)."""
    from pipeline.core import gcpolicy

    gcpolicy.for_build()
    if remembered:
        from pipeline.engine import plan

        planned = plan.recall(settings)
        if planned is not None:
            return planned
    session = Session(settings, remember=remembered)

    names = {f"task_{name}": task_function(name, partial(session.generated, name),
                                           getattr(session._creators.get(name), "__doc__", None))
             for name in session.basenames()}
    return {"DOIT_CONFIG": doit_config(settings, session), "VANGO_SESSION": session, **names}


def task_function(basename: str, produce: Callable[[], Any], doc: str | None) -> Callable[[], Any]:
    """doit's ``task_<basename>`` creator. A lambda, on one line: doit reads every creator's source to order
    them by line, and a lambda's is that line (a nested ``def`` is tokenized whole, once per basename)."""
    creator = lambda: produce()  # noqa: E731
    creator.__name__ = f"task_{basename}"
    creator.__doc__ = doc
    return creator


def doit_config(settings: Settings, session: Any) -> dict[str, Any]:
    """doit's settings of a run; its reporter knows the session (its subscribers) and takes the build folder."""
    from pipeline.engine.filecheck import RunMD5Checker
    from pipeline.engine.reporter import VangoReporter

    paths = settings.paths()
    config: dict[str, Any] = {
        "backend": "sqlite3",
        "check_file_uptodate": RunMD5Checker,
        "dep_file": str(paths.db_path),
        "default_tasks": ["release"],
        "reporter": VangoReporter,
        "subtasks": True,  # `doit list` shows wasm:compile and wasm:runtime
        "minversion": "0.36.0",
    }
    if getattr(session, "error", None) is not None:
        config["dep_file"] = ":memory:"  # a run that fails on configuration creates no build/ and no database
    else:  # one run at a time executes in a build folder (listing tasks needs no lock)
        config["reporter"] = type("VangoReporter", (VangoReporter,), {"lock_dir": paths.build_dir,
                                                                      "session": session})
    return config
