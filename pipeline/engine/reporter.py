"""The doit reporter: the single place where task lifecycle events come from.

doit calls it for every task (started, executed, up to date, failed); it turns those calls into
:mod:`pipeline.observe.events` with timings, the files written and the inputs that changed.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from pipeline.config.settings import Settings
from pipeline.core import runlock
from pipeline.core.errors import PipelineError, combine_exit_codes
from pipeline.observe import events, log, spans


def _files_written(task: Any) -> list[str]:
    values = getattr(task, "values", None) or {}
    written = values.get("written")
    if isinstance(written, list):
        return [str(p) for p in written]
    return [str(t) for t in getattr(task, "targets", [])]


LOCK_WAIT_S = 900.0  # a second run in the same folder waits this long for the first one


def _bytes_written(files: list[str]) -> int:
    total = 0
    for name in files:
        with contextlib.suppress(OSError):
            total += os.stat(name).st_size  # a string path: a publish lists every file of dist/
    return total


class VangoReporter:
    """doit reporter protocol (see ``doit.reporter.ConsoleReporter``), emitting events instead of text: the
    run's root span, a span per task (executed, up to date or failed) with the inner spans its action
    recorded (replayed here when a worker process of ``doit -n N`` produced them)."""

    desc = "Vango structured events (human or JSON logs)"
    lock_dir: Path | None = None  # set by the loader: the build folder a run holds while its tasks execute
    session: Any = None  # set by the loader: the run's session (its context, the spans of loading its tasks)
    publish_task = "release"  # the task whose success means the output folder was replaced
    output_label = "dist/"  # how the summary names that folder
    settings: Settings | None = None  # the run's settings when there is no app context (vango docs)

    def __init__(self, outstream: Any, options: dict[str, Any]):
        self.outstream = outstream
        self.options = options
        self.failures: list[dict[str, Any]] = []
        self.runtime_errors: list[str] = []
        self._spans: dict[str, spans.Span] = {}
        self._run_start = time.perf_counter()
        self._root: spans.Span | None = None
        self._counts = {"executed": 0, "uptodate": 0, "failed": 0, "ignored": 0}
        self._exit_codes: list[int] = []
        self._executed: list[str] = []
        self._detach: list[Any] = []
        log.setup()  # also subscribes the event log (pipeline.observe.eventlog)
        settings = (self.session.settings if self.session is not None
                    else self.settings or Settings.from_environment())
        self.trace = settings.trace()

    @staticmethod
    def _visible(task: Any) -> bool:
        return bool(task.actions) and not task.name.startswith("_")

    def initialize(self, tasks: dict[str, Any], selected_tasks: list[str]) -> None:
        """Called by ``doit run`` only (not ``list`` or ``clean``): take the build folder before any task runs."""
        if self.lock_dir is not None:
            try:
                runlock.acquire(self.lock_dir, timeout=LOCK_WAIT_S, on_wait=self._waiting)
            except PipelineError as exc:
                log.get_logger().error("%s", exc)
                raise SystemExit(exc.exit_code) from None
        self._run_start = time.perf_counter()
        spans.begin_run(self.trace)
        if self.session is not None:
            try:
                self._detach = self.session.subscribe()
            except PipelineError as exc:  # an addon's vango_event_subscribers: its one line, exit 2
                for line in exc.lines():
                    log.get_logger().error("%s", line)
                self._exit_codes.append(exc.exit_code)
                raise SystemExit(exc.exit_code) from None
        remote = (spans.SpanRef(self.trace.trace_id, self.trace.remote_parent, sampled=self.trace.sampled)
                  if self.trace.remote_parent else None)
        started = self.session.started_ns if self.session is not None else None
        self._root = spans.start(spans.ROOT_SPAN, parent=remote, root_of=None if remote else self.trace.trace_id,
                                 span_id=self.trace.root_id, start_ns=started, **{"vango.run.id": self.trace.run_id,
                                                                "vango.run.tasks": ",".join(selected_tasks or [])})
        for record in self.session.load_spans if self.session is not None else ():
            spans.announce(record, replayed=True)  # now that the run's subscribers listen
        events.emit(events.Event(events.RUN_STARTED, data={"selected": list(selected_tasks or [])}))

    def _waiting(self, pid: str) -> None:
        events.emit(events.Event(events.RUN_WAITING, data={"pid": pid, "folder": str(self.lock_dir)}))

    def get_status(self, task: Any) -> None:
        pass

    def _task_ref(self, task: Any) -> spans.SpanRef:
        return spans.task_ref(self.trace, task.name)

    def execute_task(self, task: Any) -> None:
        if not self._visible(task):
            return
        root = spans.root_ref(self.trace)
        self._spans[task.name] = spans.start(f"task {task.name}", parent=root, span_id=self._task_ref(task).span_id,
                                             task=task.name, **{"vango.task.name": task.name})
        changed = sorted(str(p) for p in (getattr(task, "dep_changed", None) or []))
        with spans.within(self._task_ref(task)):
            events.emit(events.Event(events.TASK_STARTED, task.name, {"changed": changed}))

    def _end_task(self, task: Any, status: str, recorded: Any, *, error: str | None = None,
                  **attributes: Any) -> float:
        """Replay the inner spans a worker process recorded, then close the task's span; returns its duration."""
        for record in recorded if isinstance(recorded, list) else []:
            if isinstance(record, dict) and record.get("span_id") not in spans.announced():
                spans.announce(record, replayed=True)  # the worker's own log has shown it
        opened = self._spans.pop(task.name, None)
        if opened is None:
            return 0.0
        opened.set(**{"vango.task.status": status, **attributes})
        spans.finish(opened, error=error)
        return round((opened.end_ns - opened.start_ns) / 1e9, 4)

    def add_success(self, task: Any) -> None:
        if not self._visible(task):
            return
        self._counts["executed"] += 1
        self._executed.append(task.name)
        files = _files_written(task)
        values = getattr(task, "values", None) or {}
        duration = self._end_task(task, "executed", values.get("spans"), **{
            "vango.task.files_written": len(files), "vango.task.bytes_written": _bytes_written(files),
            "vango.task.exit_code": 0})
        with spans.within(self._task_ref(task)):
            events.emit(events.Event(events.TASK_EXECUTED, task.name, {"duration_s": duration, "files": files}))

    def add_failure(self, task: Any, fail: Any) -> None:
        self._counts["failed"] += 1
        self.failures.append({"task": task, "exception": fail})
        code = getattr(fail, "exit_code", 1)
        self._exit_codes.append(code)
        message = (getattr(fail, "message", None) or str(fail)).strip()
        traceback = "".join(getattr(fail, "traceback", None) or [])
        duration = self._end_task(task, "failed", getattr(fail, "spans", None), error=message.splitlines()[0]
                                  if message else fail.get_name(), **{"vango.task.exit_code": code})
        # A traceback only appears for bugs in the pipeline, never for bad input (see pipeline.engine.tasks).
        with spans.within(self._task_ref(task)):
            events.emit(events.Event(events.TASK_FAILED, task.name,
                                     {"duration_s": duration, "error": message, "traceback": traceback or None,
                                      "kind": fail.get_name(), "exit_code": code}))

    def skip_uptodate(self, task: Any) -> None:
        if not self._visible(task):
            return
        self._counts["uptodate"] += 1
        root = spans.root_ref(self.trace)
        opened = spans.start(f"task {task.name}", parent=root, span_id=self._task_ref(task).span_id, task=task.name,
                             **{"vango.task.name": task.name, "vango.task.status": "uptodate"})
        spans.finish(opened)
        with spans.within(self._task_ref(task)):
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
        data["published"] = self.publish_task in self._executed
        data["output"] = self.output_label
        if self.runtime_errors:
            data["errors"] = list(self.runtime_errors)
        code = combine_exit_codes(self._exit_codes)
        data["exit_code"] = code if code else (0 if data["ok"] else 2)
        try:
            if self._root is not None:  # the root span ends first: run.finished is every subscriber's last event
                self._root.set(**{"vango.run.exit_code": data["exit_code"], "vango.run.executed": data["executed"],
                                  "vango.run.uptodate": data["uptodate"], "vango.run.failed": data["failed"]})
                spans.finish(self._root, error=None if data["ok"] else f"exit code {data['exit_code']}")
            with spans.within(spans.root_ref(self.trace)):
                events.emit(events.Event(events.RUN_FINISHED, data=data))
        finally:
            spans.end_run()
            for detach in reversed(self._detach):
                detach()
            runlock.release_all()  # the next run in this folder (or this watch session's next build) may start
        if code not in (0, 1):
            # doit reports every task failure as 1; bad input (2) and the gates' verdicts (3, 4) keep their
            # own codes. doit has saved its database before calling this, so leaving here loses nothing.
            raise SystemExit(code)
