"""Spans: one trace per run, a span per task and spans for the inner steps that matter (``go build``,
each brotli of a large file, HTML transforms, ...). A span is two events on the bus, ``span.started`` and
``span.finished``; the terminal spinner, the DevTools waterfall, the metrics and the OpenTelemetry bridge
all read them.

Ids follow W3C Trace Context (32 and 16 lowercase hex digits). The run's trace id, its root span id and
each task's span id are derived from the run id, so doit's worker processes (``doit -n N``) compute the
same ones without being told; a ``TRACEPARENT`` the run was started with (CI systems set one) makes the
run's trace a child of the caller's. Spans finished inside a task's action are also recorded and handed
back with the action's result, so the parent process can replay those a worker process produced.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.observe.events import Event

_TRACEPARENT = re.compile(r"^00-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})$")
ROOT_SPAN = "vango run"
# The span names the pipeline produces: public API from v1.0 on (docs/observability.md lists them).
SPAN_NAMES = (ROOT_SPAN, "task <name>", "go.list", "go.build", "compress.brotli", "compress.gzip", "text.rewrite",
              "html.transform", "sri.hash", "html.write", "sw.render", "gate.evaluate", "go.test", "bench.pytest",
              "http.request")


@dataclass(frozen=True)
class RunTrace:
    """The ids of one run: its trace, its root span and (from ``TRACEPARENT``) the caller's span."""

    run_id: str
    trace_id: str
    root_id: str
    remote_parent: str = ""  # the caller's span id, when the run was started with a TRACEPARENT
    sampled: bool = True

    def task_span(self, task: str) -> str:
        return _derived(f"task|{self.trace_id}|{self.root_id}|{task}", 16)


def parse_traceparent(value: str | None) -> tuple[str, str, bool] | None:
    """(trace id, span id, sampled) of a well-formed W3C ``traceparent``, else None (all-zero ids are invalid)."""
    match = _TRACEPARENT.match((value or "").strip().lower())
    if not match or set(match["trace"]) == {"0"} or set(match["span"]) == {"0"}:
        return None
    return match["trace"], match["span"], bool(int(match["flags"], 16) & 1)


def _derived(text: str, digits: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def run_trace(run_id: str, traceparent: str | None = None, seed: str = "") -> RunTrace:
    """The run's ids, derived from its run id and ``seed`` (random per entry point, handed to worker processes
    with the context), so two runs that share a ``VANGO_RUN_ID`` still get ids of their own."""
    parent = parse_traceparent(traceparent)
    if parent:
        trace_id, remote, sampled = parent
        return RunTrace(run_id, trace_id, _derived(f"root|{run_id}|{seed}|{remote}", 16), remote, sampled)
    return RunTrace(run_id, _derived(f"trace|{run_id}|{seed}", 32), _derived(f"root|{run_id}|{seed}", 16))


def new_span_id() -> str:
    return os.urandom(8).hex()


def new_trace_id() -> str:
    return os.urandom(16).hex()


@dataclass(frozen=True)
class SpanRef:
    trace_id: str
    span_id: str
    task: str | None = None
    sampled: bool = True  # a caller's TRACEPARENT with flags 00 is not recorded, and its children neither

    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"


_current: contextvars.ContextVar[SpanRef | None] = contextvars.ContextVar("vango_span", default=None)
_recording: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar("vango_spans", default=None)
# The run this process works for: one at a time per process (a build folder's lock and the dev loop's build
# queue see to it); process-wide, since doit runs actions in threads of its own.
_process_run: list[RunTrace] = []


def begin_run(trace: RunTrace) -> None:
    """Make ``trace`` the current run of this process (loading its tasks, the reporter, each action)."""
    if not _process_run or _process_run[0] != trace:
        _announced.clear()
    _process_run[:] = [trace]


def end_run() -> None:
    """The run is over: later events (the dev server's, the watcher's) belong to no run."""
    _process_run.clear()


def current_run() -> RunTrace | None:
    return _process_run[0] if _process_run else None


def root_ref(trace: RunTrace) -> SpanRef:
    return SpanRef(trace.trace_id, trace.root_id, sampled=trace.sampled)


def task_ref(trace: RunTrace, task: str) -> SpanRef:
    return SpanRef(trace.trace_id, trace.task_span(task), task, trace.sampled)


def current() -> SpanRef | None:
    """The innermost open span, else the run's root span."""
    ref = _current.get()
    if ref is not None:
        return ref
    trace = current_run()
    return root_ref(trace) if trace else None


@contextmanager
def within(ref: SpanRef) -> Iterator[None]:
    """Run the block as a child of ``ref`` (a task's span, a request's span)."""
    token = _current.set(ref)
    try:
        yield
    finally:
        _current.reset(token)


def stamp(event: Event) -> Event:
    """Fill in the time, the run and the span of an event its producer did not place."""
    changes: dict[str, Any] = {}
    if not event.time:
        changes["time"] = time.time()
    ref = current()
    trace = current_run()
    if not event.run_id and trace:
        changes["run_id"] = trace.run_id
    if not event.span_id and ref:
        changes["trace_id"], changes["span_id"] = ref.trace_id, ref.span_id
    if event.task is None and ref is not None and ref.task:
        changes["task"] = ref.task
    return replace(event, **changes) if changes else event


@dataclass
class Span:
    """A span being measured; ``set`` adds attributes (numbers, strings, booleans) while it runs."""

    name: str
    trace_id: str
    span_id: str
    parent_id: str
    task: str | None = None
    start_ns: int = 0
    end_ns: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    error: str | None = None
    sampled: bool = True

    def set(self, **attributes: Any) -> None:
        self.attributes.update(attributes)

    def fail(self, message: str) -> None:
        """Mark the span failed without raising (a child process that exited non-zero)."""
        self.status, self.error = "error", message

    def ref(self) -> SpanRef:
        return SpanRef(self.trace_id, self.span_id, self.task, self.sampled)

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "trace_id": self.trace_id, "span_id": self.span_id, "parent_id": self.parent_id,
                "task": self.task, "start_ns": self.start_ns, "end_ns": self.end_ns,
                "duration_s": round((self.end_ns - self.start_ns) / 1e9, 6), "attributes": dict(self.attributes),
                "status": self.status, "error": self.error, "sampled": self.sampled}


def start(name: str, *, parent: SpanRef | None = None, span_id: str | None = None, task: str | None = None,
          start_ns: int | None = None, root_of: str | None = None, **attributes: Any) -> Span:
    """Open a span (as a child of ``parent``, else of the current span; ``root_of=trace_id`` opens the root
    of that trace) and announce it on the bus."""
    from pipeline.observe import events

    parent = None if root_of else (parent or current())
    trace_id = root_of or (parent.trace_id if parent else new_trace_id())
    opened = Span(name, trace_id, span_id or new_span_id(), parent.span_id if parent else "",
                  task if task is not None else (parent.task if parent else None), start_ns or time.time_ns(),
                  sampled=parent.sampled if parent else True)
    opened.set(**attributes)
    events.emit(events.Event(events.SPAN_STARTED, opened.task, {"name": name, "attributes": dict(opened.attributes)},
                             time=opened.start_ns / 1e9, trace_id=trace_id, span_id=opened.span_id,
                             parent_id=opened.parent_id))
    return opened


def finish(opened: Span, *, error: str | None = None, end_ns: int | None = None) -> dict[str, Any]:
    """Close a span: announce it (with its duration and attributes) and record it for the task's result."""
    opened.end_ns = end_ns or max(time.time_ns(), opened.start_ns)
    if error is not None:
        opened.status, opened.error = "error", error
    record = opened.record()
    recorded = _recording.get()
    if recorded is not None:
        recorded.append(record)
    announce(record)
    return record


_announced: set[str] = set()


def announced() -> set[str]:
    """Ids of the spans this process has put on the bus in this run (the reporter replays only the others)."""
    return _announced


def announce(record: Mapping[str, Any], *, replayed: bool = False) -> None:
    """Put a finished span on the bus; ``replayed`` marks one that was already told once (by a worker
    process, or while the tasks loaded), so the log does not show it twice."""
    from pipeline.observe import events

    _announced.add(record["span_id"])
    data = {**record, "replayed": True} if replayed else dict(record)
    events.emit(events.Event(events.SPAN_FINISHED, record.get("task"), data, time=record["end_ns"] / 1e9,
                             trace_id=record["trace_id"], span_id=record["span_id"],
                             parent_id=record.get("parent_id") or ""))


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span]:
    """Measure the block as a child of the current span; an exception marks it failed and goes on up.
    ``display="..."`` asks for a spinner on a terminal while it runs."""
    opened = start(name, **attributes)
    token = _current.set(opened.ref())
    try:
        yield opened
    except BaseException as exc:
        _current.reset(token)
        finish(opened, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise
    _current.reset(token)
    finish(opened, error=opened.error if opened.status == "error" else None)


@contextmanager
def recording() -> Iterator[list[dict[str, Any]]]:
    """Collect the spans finished inside the block (a task's action returns them with its result)."""
    collected: list[dict[str, Any]] = []
    token = _recording.set(collected)
    try:
        yield collected
    finally:
        _recording.reset(token)


def carrier() -> dict[str, str]:
    """Environment for a child process started inside the current span: its own ``TRACEPARENT``."""
    ref = current()
    return {"TRACEPARENT": ref.traceparent()} if ref else {}
