"""The ``vango dev`` server's Prometheus metrics, exposed at ``/__vango/metrics`` for the server's lifetime:
HTTP requests, live clients, patch bytes, builds and task durations, in prometheus-client's registry.

The names are public API (see docs/observability.md); they follow Prometheus conventions: base units,
``_seconds``, ``_bytes``, ``_total`` for counters.
"""

from __future__ import annotations

import threading

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from pipeline.observe import events
from pipeline.observe.metrics import task_span

HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BUILD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class DevMetrics:
    """The ``vango dev`` server's metrics, for the server's lifetime."""

    def __init__(self, server: str = "") -> None:
        self.server = server  # count only this server's requests and sockets (another may run in the process)
        disable_created_metrics()  # no *_created series: they are not part of our documented names
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("vango_http_requests", "HTTP requests answered by the dev server",
                                ["method", "route", "code"], registry=r)
        self.request_duration = Histogram("vango_http_request_duration_seconds", "Time to answer a request",
                                          ["route"], buckets=HTTP_BUCKETS, registry=r)
        self.live_clients = Gauge("vango_live_clients", "Connected live-reload and DevTools WebSockets",
                                  registry=r)
        self.patch_bytes = Counter("vango_patch_bytes_sent", "Bytes of changed files announced to browsers",
                                   registry=r)
        self.builds = Counter("vango_builds", "Builds by result", ["result"], registry=r)
        self.build_duration = Histogram("vango_build_duration_seconds", "Time of each rebuild",
                                        buckets=BUILD_BUCKETS, registry=r)
        self.task_duration = Histogram("vango_task_duration_seconds", "Time of each task of each rebuild",
                                       ["task", "status"], buckets=BUILD_BUCKETS, registry=r)
        for result in ("ok", "failed"):
            self.builds.labels(result)
        self._clients: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, event: events.Event) -> None:
        data = event.data
        found = task_span(event)
        if found:
            task, status, seconds = found
            self.task_duration.labels(task, status).observe(seconds)
        elif event.kind in (events.HTTP_REQUEST, events.LIVE_CLIENTS) and data.get("server", "") != self.server:
            return
        elif event.kind == events.HTTP_REQUEST:
            self.requests.labels(data["method"], data["route"], str(data["code"])).inc()
            self.request_duration.labels(data["route"]).observe(float(data["duration_s"]))
        elif event.kind == events.LIVE_CLIENTS:
            with self._lock:
                self._clients[str(data["channel"])] = int(data["count"])
                self.live_clients.set(sum(self._clients.values()))
        elif event.kind == events.PATCH_SENT:
            self.patch_bytes.inc(int(data.get("bytes") or 0))
        elif event.kind == events.WATCH_BUILD:
            self.builds.labels("ok" if data.get("ok") else "failed").inc()
            self.build_duration.observe(float(data.get("duration_s") or 0.0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

