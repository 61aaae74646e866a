"""The doit reporter: the single place where task lifecycle events come from.

doit calls it for every task (started, executed, up to date, failed); it turns those calls into
:mod:`pipeline.observe.events` with timings, the files written and the inputs that changed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pipeline.core import runlock
from pipeline.core.errors import PipelineError, combine_exit_codes
from pipeline.observe import events, log


def _files_written(task: Any) -> list[str]:
    values = getattr(task, "values", None) or {}
    written = values.get("written")
    if isinstance(written, list):
        return [str(p) for p in written]
    return [str(t) for t in getattr(task, "targets", [])]


LOCK_WAIT_S = 900.0  # a second run in the same folder waits this long for the first one


class VangoReporter:
    """doit reporter protocol (see ``doit.reporter.ConsoleReporter``), emitting events instead of text."""

    desc = "Vango structured events (human or JSON logs)"

    def __init__(self, outstream: Any, options: dict[str, Any]):
        self.outstream = outstream
        self.options = options
        self.failures: list[dict[str, Any]] = []
        self.runtime_errors: list[str] = []
        self._started: dict[str, float] = {}
        self._run_start = time.perf_counter()
        self._counts = {"executed": 0, "uptodate": 0, "failed": 0, "ignored": 0}
        self._exit_codes: list[int] = []
        self._executed: list[str] = []
        log.setup()
        log_events_once()

    @staticmethod
    def _visible(task: Any) -> bool:
        return bool(task.actions) and not task.name.startswith("_")

    lock_dir: Path | None = None  # set by the loader: the build folder a run holds while its tasks execute

    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        """Called by ``doit run`` only (not ``list`` or ``clean``): take the build folder before any task runs."""
        if self.lock_dir is not None:
            try:
                runlock.acquire(self.lock_dir, timeout=LOCK_WAIT_S, on_wait=self._waiting)
            except PipelineError as exc:
                log.get_logger().error("%s", exc)
                raise SystemExit(exc.exit_code) from None
        self._run_start = time.perf_counter()
        events.emit(events.Event(events.RUN_STARTED, data={"selected": list(selected_tasks or [])}))

    def _waiting(self, pid: str) -> None:
        log.get_logger().info("waiting for the other run in %s (pid %s) to finish", self.lock_dir, pid,
                              extra={"event": "run.waiting", "fields": {"pid": pid}})

    def get_status(self, task: Any) -> None:
        pass

    def execute_task(self, task: Any) -> None:
        self._started[task.name] = time.perf_counter()
        if self._visible(task):
            changed = sorted(str(p) for p in (getattr(task, "dep_changed", None) or []))
            events.emit(events.Event(events.TASK_STARTED, task.name, {"changed": changed}))

    def _elapsed(self, task: Any) -> float:
        return round(time.perf_counter() - self._started.get(task.name, time.perf_counter()), 4)

    def add_success(self, task: Any) -> None:
        if not self._visible(task):
            return
        self._counts["executed"] += 1
        self._executed.append(task.name)
        events.emit(events.Event(events.TASK_EXECUTED, task.name,
                                 {"duration_s": self._elapsed(task), "files": _files_written(task)}))

    def add_failure(self, task: Any, fail: Any) -> None:
        self._counts["failed"] += 1
        self.failures.append({"task": task, "exception": fail})
        self._exit_codes.append(getattr(fail, "exit_code", 1))
        message = (getattr(fail, "message", None) or str(fail)).strip()
        traceback = "".join(getattr(fail, "traceback", None) or [])
        # A traceback only appears for bugs in the pipeline, never for bad input (see pipeline.engine.tasks).
        events.emit(events.Event(events.TASK_FAILED, task.name,
                                 {"duration_s": self._elapsed(task), "error": message,
                                  "traceback": traceback or None, "kind": fail.get_name()}))

    def skip_uptodate(self, task: Any) -> None:
        if self._visible(task):
            self._counts["uptodate"] += 1
            events.emit(events.Event(events.TASK_UPTODATE, task.name))

    def skip_ignore(self, task: Any) -> None:
        self._counts["ignored"] += 1
        events.emit(events.Event(events.TASK_IGNORED, task.name))

    def cleanup_error(self, exception: Any) -> None:
        log.get_logger().error("cleanup failed: %s", exception.get_msg().strip())

    def runtime_error(self, msg: str) -> None:
        self.runtime_errors.append(msg)

    def teardown_task(self, task: Any) -> None:
        pass

    def complete_run(self) -> None:
        data: dict[str, Any] = dict(self._counts)
        data["duration_s"] = round(time.perf_counter() - self._run_start, 4)
        data["ok"] = not (self.failures or self.runtime_errors)
        data["published"] = "release" in self._executed
        if self.runtime_errors:
            data["errors"] = list(self.runtime_errors)
        code = combine_exit_codes(self._exit_codes)
        data["exit_code"] = code if code else (0 if data["ok"] else 2)
        events.emit(events.Event(events.RUN_FINISHED, data=data))
        runlock.release_all()  # the next run in this folder (or this watch session's next build) may start
        if code not in (0, 1):
            # doit reports every task failure as 1; bad input (2) and the gates' verdicts (3, 4) keep their
            # own codes. doit has saved its database before calling this, so leaving here loses nothing.
            raise SystemExit(code)


_HUMAN = {
    events.TASK_STARTED: ".  {task}",
    events.TASK_UPTODATE: "-- {task} (up to date)",
    events.TASK_IGNORED: "!! {task} (ignored)",
}


def log_event(event: events.Event) -> None:
    """Default subscriber: every event becomes one log record (a line of text or of JSON)."""
    logger = log.get_logger("events")
    extra = {"task": event.task, "event": event.kind, "fields": event.data}
    if event.kind in _HUMAN:
        logger.info(_HUMAN[event.kind].format(task=event.task), extra=extra)
    elif event.kind == events.TASK_EXECUTED:
        files = event.data.get("files") or []
        noun = "file" if len(files) == 1 else "files"
        logger.info("ok %s  %.2fs, %d %s written", event.task, event.data["duration_s"], len(files), noun,
                    extra=extra)
    elif event.kind == events.TASK_FAILED:
        logger.error("%s failed: %s", event.task, event.data["error"], extra=extra)
        if event.data.get("traceback"):
            logger.error("internal error in the pipeline (please report it):\n%s", event.data["traceback"],
                         extra=extra)
    elif event.kind == events.RUN_FINISHED:
        d = event.data
        summary = f"{d['executed']} executed, {d['uptodate']} up to date, {d['duration_s']:.2f}s"
        if d["ok"]:
            logger.info("done: %s", summary, extra=extra)
        else:
            for err in d.get("errors", []):
                logger.error("%s", err.strip(), extra=extra)
            where = "dist/ was published" if d.get("published") else "dist/ was left as it was"
            logger.error("failed (%s); %s", summary, where, extra=extra)
    else:
        logger.debug("%s", event.kind, extra=extra)


_subscribed = False


def log_events_once() -> None:
    global _subscribed
    if not _subscribed:
        events.subscribe(log_event)
        _subscribed = True
