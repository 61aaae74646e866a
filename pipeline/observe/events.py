"""Build lifecycle events: produced once (by the doit reporter), consumed by logs, and later by
metrics, traces and the DevTools stream, so all of them tell the same story."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RUN_STARTED = "run.started"
RUN_FINISHED = "run.finished"
TASK_STARTED = "task.started"
TASK_EXECUTED = "task.executed"
TASK_UPTODATE = "task.uptodate"
TASK_FAILED = "task.failed"
TASK_IGNORED = "task.ignored"


@dataclass(frozen=True)
class Event:
    kind: str
    task: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    """Register a consumer; returns a function that unregisters it."""
    _subscribers.append(subscriber)
    return lambda: _subscribers.remove(subscriber) if subscriber in _subscribers else None


def emit(event: Event) -> None:
    for subscriber in list(_subscribers):
        subscriber(event)
