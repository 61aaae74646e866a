"""The OpenTelemetry SDK, configured once per process from the standard variables, exporting at the end of
each run within a fixed time budget.

Spans are buffered (up to :data:`MAX_BUFFERED`) while a run goes on and exported in one go when it ends,
from a background thread the run waits for at most :data:`EXPORT_BUDGET_S` seconds: an unreachable or slow
collector costs a build at most that, and one warning line. The exported spans keep the ids of the
pipeline's event bus (:class:`IdsFromBus`), so the ``trace_id``/``span_id`` of a JSON log line find its
span in a trace viewer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from pipeline.observe import tracing

EXPORT_BUDGET_S = 2.0
MAX_BUFFERED = 20_000
PROTOCOLS = ("http/protobuf", "grpc")
EXPORTERS = ("otlp", "console", "none")
_TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A standard variable has a value this addon cannot use."""


@dataclass(frozen=True)
class ExportSettings:
    """What the ``OTEL_*`` variables say, read once (never again from ``os.environ`` after that)."""

    disabled: bool = False
    exporter: str = "otlp"
    protocol: str = "http/protobuf"
    endpoint: str = ""  # the traces URL, ``/v1/traces`` already appended for HTTP
    headers: dict[str, str] = field(default_factory=dict)
    service_name: str = "vango"
    resource_attributes: dict[str, str] = field(default_factory=dict)
    timeout_s: float = EXPORT_BUDGET_S

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ExportSettings:
        exporter = (env.get("OTEL_TRACES_EXPORTER") or "otlp").strip().lower()
        if exporter not in EXPORTERS:
            raise SettingsError(f"OTEL_TRACES_EXPORTER={exporter!r}: expected one of {', '.join(EXPORTERS)}")
        protocol = (env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                    or "http/protobuf").strip().lower()
        if protocol not in PROTOCOLS:
            raise SettingsError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: expected one of {', '.join(PROTOCOLS)}")
        return cls(
            disabled=(env.get("OTEL_SDK_DISABLED") or "").strip().lower() in _TRUE,
            exporter=exporter, protocol=protocol, endpoint=traces_endpoint(env, protocol),
            headers=pairs(env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS") or "",
                          "OTEL_EXPORTER_OTLP_HEADERS"),
            service_name=(env.get("OTEL_SERVICE_NAME") or "").strip() or "vango",
            resource_attributes=pairs(env.get("OTEL_RESOURCE_ATTRIBUTES") or "", "OTEL_RESOURCE_ATTRIBUTES"),
            timeout_s=min(EXPORT_BUDGET_S, _seconds(env.get("OTEL_EXPORTER_OTLP_TIMEOUT"))),
        )


def _seconds(milliseconds: str | None) -> float:
    try:
        return max(0.1, float(milliseconds or "") / 1000)
    except ValueError:
        return EXPORT_BUDGET_S


def traces_endpoint(env: Mapping[str, str], protocol: str) -> str:
    """The signal-specific variable as it is; the general one gets ``/v1/traces`` (HTTP) appended."""
    specific = (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or "").strip()
    if specific:
        return specific
    base = (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
    if protocol == "grpc":
        return base or "http://localhost:4317"
    return (base or "http://localhost:4318").rstrip("/") + "/v1/traces"


def pairs(text: str, variable: str) -> dict[str, str]:
    """``key1=value1,key2=value2`` (values percent-decoded), as the specification writes them."""
    from urllib.parse import unquote

    found: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{variable}: {item!r} is not key=value")
        found[unquote(key.strip())] = unquote(value.strip())
    return found


class IdsFromBus(RandomIdGenerator):
    """Span and trace ids of the bus span being converted (see ``pipeline.observe.tracing``), else random."""

    def generate_span_id(self) -> int:
        ids = tracing.pending_ids()
        return ids[1] if ids else super().generate_span_id()

    def generate_trace_id(self) -> int:
        ids = tracing.pending_ids()
        return ids[0] if ids else super().generate_trace_id()


class RunBuffer(SpanProcessor):
    """Keeps the ended spans until the run is over (bounded; the oldest are dropped beyond the limit)."""

    def __init__(self, limit: int = MAX_BUFFERED) -> None:
        self.limit = limit
        self._spans: list[ReadableSpan] = []
        self._lock = threading.Lock()
        self.dropped = 0

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self._spans.append(span)
            if len(self._spans) > self.limit:
                self._spans.pop(0)
                self.dropped += 1

    def take(self) -> list[ReadableSpan]:
        with self._lock:
            taken, self._spans = self._spans, []
        return taken


class _Reasons(logging.Handler):
    """The exporters' own log lines (why an export failed), kept for the one warning instead of printed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage().splitlines()[0][:200])


@dataclass
class Exporting:
    """The installed SDK: where spans go, and the run-end export within the budget."""

    settings: ExportSettings
    exporter: SpanExporter | None
    buffer: RunBuffer
    provider: TracerProvider
    reasons: _Reasons
    timer: threading.Thread | None = None

    def export(self, warn: Callable[[str], None]) -> bool:
        """Send what the run produced; True when the collector took it within the budget."""
        with _exporting:
            return self._export(warn)

    def _export(self, warn: Callable[[str], None]) -> bool:
        batch = self.buffer.take()
        if not batch or self.exporter is None:
            return True
        outcome: dict[str, Any] = {}

        def send() -> None:
            try:
                outcome["result"] = self.exporter.export(batch)  # type: ignore[union-attr]
            except Exception as exc:  # a broken exporter is a warning, like an unreachable collector
                outcome["error"] = f"{type(exc).__name__}: {exc}"

        self.reasons.messages.clear()
        worker = threading.Thread(target=send, name="vango-otel-export", daemon=True)
        worker.start()
        worker.join(EXPORT_BUDGET_S)
        if worker.is_alive():
            warn(f"otel: the collector at {self.settings.endpoint} did not answer within {EXPORT_BUDGET_S:g} s; "
                 f"{len(batch)} spans were not exported")
            return False
        if outcome.get("result") == SpanExportResult.SUCCESS:
            return True
        reason = outcome.get("error") or (self.reasons.messages[-1] if self.reasons.messages else "export failed")
        warn(f"otel: could not export {len(batch)} spans to {self.settings.endpoint}: {reason}")
        return False


def make_exporter(settings: ExportSettings) -> SpanExporter | None:
    if settings.exporter == "none":
        return None
    if settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if settings.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter(endpoint=settings.endpoint, insecure=settings.endpoint.startswith("http://"),
                            headers=tuple(settings.headers.items()) or None, timeout=settings.timeout_s)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

    return HttpExporter(endpoint=settings.endpoint, headers=settings.headers or None, timeout=settings.timeout_s)


_installed: list[Exporting] = []
_exporting = threading.Lock()  # one export at a time (a run's end, the dev server's timer)
DEV_EXPORT_INTERVAL_S = 5.0


def export_periodically(warn: Callable[[str], None], interval: float = DEV_EXPORT_INTERVAL_S) -> None:
    """For ``vango dev``: its requests' spans (``http.request``) are exported every ``interval`` seconds, not
    only when a build ends; a collector that stays unreachable is reported once, until it answers again."""
    exporting = installed()
    if exporting is None or getattr(exporting, "timer", None) is not None:
        return
    failing = [False]

    def quiet_after_first(line: str) -> None:
        if not failing[0]:
            warn(line)
        failing[0] = True

    def loop() -> None:
        while installed() is exporting:  # for the process's life (a test may uninstall it)
            time.sleep(interval)
            if exporting.export(quiet_after_first):
                failing[0] = False

    exporting.timer = threading.Thread(target=loop, name="vango-otel-dev-export", daemon=True)
    exporting.timer.start()


def install(settings: ExportSettings, *, app: str, exporter: SpanExporter | None = None) -> Exporting | None:
    """Install the SDK as the process's tracer provider (once: OpenTelemetry allows one per process)."""
    if _installed:
        return _installed[0]
    if settings.disabled:
        return None
    reasons = _Reasons()
    for name in ("opentelemetry.exporter", "opentelemetry.sdk"):
        quiet = logging.getLogger(name)
        quiet.addHandler(reasons)
        quiet.propagate = False  # their reasons go into our one warning line, not onto stderr
    resource = Resource.create({**settings.resource_attributes, "service.name": settings.service_name,
                                "vango.app": app})
    provider = TracerProvider(resource=resource, id_generator=IdsFromBus(), shutdown_on_exit=False)
    buffer = RunBuffer()
    provider.add_span_processor(buffer)
    tracing.set_provider(provider)  # the pipeline's spans only: a provider the process set itself stays
    installed = Exporting(settings, exporter if exporter is not None else make_exporter(settings), buffer, provider,
                          reasons)
    _installed.append(installed)
    return installed


def installed() -> Exporting | None:
    return _installed[0] if _installed else None

