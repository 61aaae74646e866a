"""The OpenTelemetry bridge: every finished span on the event bus becomes an OpenTelemetry span, with its
own ids, times, parent and attributes.

The pipeline depends on ``opentelemetry-api`` only, and imports it only when there is something to export
to. Until an SDK tracer provider is installed (the ``otel`` addon hands one to :func:`set_provider`; a
global one set with the OpenTelemetry API works too, and whoever set it imported the API), the bridge
returns at once and spans cost nothing more, not even the import. Spans are created when they end,
with their recorded start time and an explicit parent, so spans a worker process recorded (replayed by
the reporter) join the same trace. An SDK installed with :class:`IdsFromBus` (see the ``otel`` addon) gives
the exported spans the bus's ids, so ``trace_id``/``span_id`` in the JSON logs find them in a trace viewer.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.observe import events

if TYPE_CHECKING:
    from opentelemetry import context as otel_context

INSTRUMENTATION = "vango.pipeline"
HIDDEN_ATTRIBUTES = frozenset({"display"})  # the spinner's text, not a fact about the span

_pending: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar("vango_otel_ids", default=None)


def pending_ids() -> tuple[int, int] | None:
    """(trace id, span id) of the span being converted, for an SDK id generator; None outside a conversion."""
    return _pending.get()


_provider: list[Any] = []


def set_provider(provider: Any | None) -> None:
    """Export through ``provider`` (an SDK ``TracerProvider``) rather than the process's global one: the ``otel``
    addon and the tests use it, so a provider the host process set for itself is left alone."""
    _provider[:] = [provider] if provider is not None else []


def provider() -> Any:
    from opentelemetry import trace

    return _provider[0] if _provider else trace.get_tracer_provider()


def sdk_installed() -> bool:
    if _provider:
        return True
    if "opentelemetry.trace" not in sys.modules:  # nobody imported the API, so nobody set a provider
        return False
    from opentelemetry import trace

    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items()
            if key not in HIDDEN_ATTRIBUTES and isinstance(value, str | bool | int | float)}


def _parent(record: Mapping[str, Any]) -> otel_context.Context:
    from opentelemetry import context as otel_context
    from opentelemetry import trace

    parent = record.get("parent_id") or ""
    if not parent:
        return otel_context.Context()  # a root: never the caller's current span
    span_context = trace.SpanContext(int(record["trace_id"], 16), int(parent, 16), is_remote=True,
                                     trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context), otel_context.Context())


def export(record: Mapping[str, Any]) -> None:
    """One finished bus span as an OpenTelemetry span, ended at its recorded end time."""
    from opentelemetry import trace

    tracer = provider().get_tracer(INSTRUMENTATION, __version__)
    token = _pending.set((int(record["trace_id"], 16), int(record["span_id"], 16)))
    try:
        span = tracer.start_span(str(record["name"]), context=_parent(record), start_time=int(record["start_ns"]),
                                 attributes=_attributes(record.get("attributes") or {}))
    finally:
        _pending.reset(token)
    if record.get("task"):
        span.set_attribute("vango.task.name", str(record["task"]))
    if record.get("status") == "error":
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(record.get("error") or "")))
    span.end(end_time=int(record["end_ns"]))


def bridge(event: events.Event) -> None:
    """Bus subscriber: converts finished spans when an SDK is installed, else does nothing (unsampled
    traces, from a caller's ``TRACEPARENT`` with flags 00, are never recorded)."""
    if event.kind == events.SPAN_FINISHED and event.data.get("sampled", True) and sdk_installed():
        export(event.data)


_attached: list[Callable[[], None]] = []  # the bridge's subscription, shared by everyone who attached it
_users = [0]


def attach() -> Callable[[], None]:
    """Subscribe the bridge once however many want it (each run, the dev server for its requests); the
    returned function lets go of it, and the last one out unsubscribes it."""
    if _users[0] == 0:
        _attached[:] = [events.subscribe(bridge)]
    _users[0] += 1
    released = [False]

    def detach() -> None:
        if released[0]:
            return
        released[0] = True
        _users[0] -= 1
        if _users[0] == 0 and _attached:
            _attached.pop()()

    return detach


