"""The one event stream: every producer (the doit reporter, inner spans, watch, the dev server, gates) emits
typed events here, and logs, the terminal spinner, metrics, traces and DevTools are its subscribers, so all
of them tell the same story.

Every event carries its time, the run id and the span it belongs to (trace id, span id, parent span id),
filled in from the current span when the producer does not say. A subscriber that raises is reported once
on stderr and detached: observing a build never breaks it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RUN_STARTED = "run.started"
RUN_FINISHED = "run.finished"
RUN_WAITING = "run.waiting"
TASK_STARTED = "task.started"
TASK_EXECUTED = "task.executed"
TASK_UPTODATE = "task.uptodate"
TASK_FAILED = "task.failed"
TASK_IGNORED = "task.ignored"
SPAN_STARTED = "span.started"
SPAN_FINISHED = "span.finished"
DEV_SERVING = "dev.serving"
WATCH_READY = "watch.ready"
WATCH_STARTED = "watch.build.started"
WATCH_BUILD = "watch.build"
HTTP_REQUEST = "http.request"
LIVE_CLIENTS = "live.clients"
PATCH_SENT = "patch.sent"

KINDS = (RUN_STARTED, RUN_FINISHED, RUN_WAITING, TASK_STARTED, TASK_EXECUTED, TASK_UPTODATE, TASK_FAILED,
         TASK_IGNORED, SPAN_STARTED, SPAN_FINISHED, DEV_SERVING, WATCH_READY, WATCH_STARTED, WATCH_BUILD, HTTP_REQUEST,
         LIVE_CLIENTS, PATCH_SENT)


@dataclass(frozen=True)
class Event:
    kind: str
    task: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    time: float = 0.0  # seconds since the epoch; filled in on emit
    run_id: str = ""
    trace_id: str = ""
    span_id: str = ""
    parent_id: str = ""


Subscriber = Callable[[Event], None]


class Bus:
    """Subscribers in registration order; each is isolated from the others and from the producer."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Register a consumer; returns a function that unregisters it."""
        with self._lock:
            self._subscribers.append(subscriber)
        return lambda: self.unsubscribe(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def emit(self, event: Event) -> Event:
        from pipeline.observe import spans

        event = spans.stamp(event)
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception as exc:  # a broken observer is dropped, the build goes on
                self.unsubscribe(subscriber)
                _report_detached(subscriber, event, exc)
        return event


def _report_detached(subscriber: Subscriber, event: Event, exc: Exception) -> None:
    """One warning, straight to the logging module (never back through the bus it broke)."""
    name = getattr(subscriber, "__qualname__", None) or type(subscriber).__name__
    logging.getLogger("vango.events").warning(
        "event subscriber %s raised %s: %s (on %s); it is detached and the build goes on", name,
        type(exc).__name__, exc, event.kind)


BUS = Bus()


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    return BUS.subscribe(subscriber)


def emit(event: Event) -> Event:
    return BUS.emit(event)

