"""Prometheus metrics, two consumers of the event bus.

- :class:`RunMetrics`, one per ``doit`` run (``vango build``, ``doit release``, a gate): task durations and
  statuses, artifact sizes (raw, gzip, brotli), gate verdicts and ``vango_build_info``, written when the run
  ends to ``build/reports/metrics.prom`` (atomically, in the format node_exporter's textfile collector
  reads) and, when asked, pushed to a Pushgateway for CI runners that are gone before a scrape.
- :class:`DevMetrics`, for the life of a ``vango dev`` server, exposed at ``/__vango/metrics``: HTTP
  requests, live clients, patch bytes, builds and task durations.

The names are public API (see docs/observability.md); they follow Prometheus conventions: base units,
``_seconds``, ``_bytes``, ``_total`` for counters, ``_info`` for metadata.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import prometheus_client
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import push_to_gateway

from pipeline import __version__
from pipeline.core.fs import write_atomic
from pipeline.observe import events

TEXTFILE = "metrics.prom"
ARTIFACT_MEMO = ".artifact-sizes"  # beside it, not read by node_exporter (which reads *.prom)
PUSH_JOB = "vango_build"
PUSH_TIMEOUT_S = 5.0
ENCODING_LABELS = {"br": "br", "gzip": "gzip"}
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BUILD_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
TASK_PREFIX = "task "


def task_span(event: events.Event) -> tuple[str, str, float] | None:
    """(task, status, seconds) of a finished task span, else None."""
    if event.kind != events.SPAN_FINISHED or not str(event.data.get("name", "")).startswith(TASK_PREFIX):
        return None
    attributes = event.data.get("attributes") or {}
    return (str(attributes.get("vango.task.name") or event.task), str(attributes.get("vango.task.status", "executed")),
            float(event.data.get("duration_s") or 0.0))


class ArtifactSizes:
    """``vango_artifact_size_bytes``: one series per published file and encoding, as a custom collector
    (prometheus-client's form for many series at once), so 10,000 files cost a list of tuples, not 30,000
    labelled gauges."""

    NAME = "vango_artifact_size_bytes"
    HELP = "Size of each published file, raw and precompressed"

    def __init__(self) -> None:
        self.samples: list[tuple[str, str, int]] = []

    def describe(self) -> list[Any]:
        return [GaugeMetricFamily(self.NAME, self.HELP, labels=["asset", "encoding"])]

    def collect(self) -> list[Any]:
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["asset", "encoding"])
        for asset, encoding, size in self.samples:
            family.add_metric([asset, encoding], size)
        return [family]


def _lines(text: bytes) -> list[bytes]:
    """Exposition lines with their newline: split on ``\\n`` alone, as the format is (a label value may hold a
    carriage return, which ``splitlines`` would split on)."""
    return [line + b"\n" for line in text.split(b"\n")[:-1]]


class RunMetrics:
    """The metrics of one run, collected from its events and written when it finishes."""

    def __init__(self, reports_dir: Path, manifest: Path, *, app: str, go_version: Callable[[], str],
                 push_gateway: str = "", warn: Callable[[str], None] = lambda line: None) -> None:
        self.reports_dir, self.manifest, self.app = reports_dir, manifest, app
        self.go_version, self.push_gateway, self.warn = go_version, push_gateway, warn
        self.registry = CollectorRegistry()
        r = self.registry
        self.info = Gauge("vango_build_info", "The pipeline's and Go's versions (always 1)",
                          ["version", "go_version", "app"], registry=r)
        self.duration = Gauge("vango_build_duration_seconds", "Wall time of the run", registry=r)
        self.exit_code = Gauge("vango_build_exit_code", "The run's exit code (0 success, 1 a task failed, "
                               "2 configuration, 3/4 a gate's verdict)", registry=r)
        self.finished = Gauge("vango_build_last_run_timestamp_seconds", "When the run finished (Unix time)",
                              registry=r)
        self.tasks = Gauge("vango_build_tasks", "Tasks of the run by status", ["status"], registry=r)
        self.task_duration = Gauge("vango_task_duration_seconds", "Wall time of each task in the run",
                                   ["task", "status"], registry=r)
        self.artifact = ArtifactSizes()  # written from its own memo (see _artifact_text), pushed with the rest
        self.gate_passed = Gauge("vango_gate_passed", "1 when the gate passed, 0 when it failed", ["gate"],
                                 registry=r)
        self.gate_exit = Gauge("vango_gate_exit_code", "The gate's exit code", ["gate"], registry=r)
        self.build_failed = False

    def __call__(self, event: events.Event) -> None:
        found = task_span(event)
        if found:
            task, status, seconds = found
            self.task_duration.labels(task, status).set(seconds)
            self.build_failed = self.build_failed or (status == "failed" and not task.startswith("gate:"))
        elif event.kind == events.SPAN_FINISHED and event.data.get("name") == "gate.evaluate":
            attributes = event.data.get("attributes") or {}
            if attributes.get("vango.gate.verdict") in ("pass", "fail"):
                gate = str(attributes.get("vango.gate.name"))
                self.gate_passed.labels(gate).set(1 if attributes["vango.gate.verdict"] == "pass" else 0)
                self.gate_exit.labels(gate).set(int(attributes.get("vango.gate.exit_code") or 0))
        elif event.kind == events.RUN_FINISHED:
            self.finish(event)

    def finish(self, event: events.Event) -> Path:
        data = event.data
        self.duration.set(float(data.get("duration_s") or 0.0))
        self.exit_code.set(int(data.get("exit_code") or 0))
        self.finished.set(event.time)
        for status in ("executed", "uptodate", "failed", "ignored"):
            self.tasks.labels(status).set(int(data.get(status) or 0))
        self.info.labels(__version__, self.go_version(), self.app).set(1)
        text = generate_latest(self.registry)
        if not self.build_failed:  # a failed build published nothing: dist/ is still the last one's
            text += self._artifact_text()
        target = self.reports_dir / TEXTFILE
        write_atomic(target, text)  # a temporary file, then a rename: a scrape never reads half of it
        if self.push_gateway:
            self.push()
        return target

    def exposed(self) -> CollectorRegistry:
        """Every series of the run in one registry (what is pushed): the run's gauges and the artifacts'."""
        registry = CollectorRegistry(auto_describe=False)
        for collector in (self.registry, self.artifact):
            registry.register(collector)
        return registry

    def _artifact_text(self) -> bytes:
        """The ``vango_artifact_size_bytes`` lines of the published manifest. They change only when dist/
        does, so they are kept under the manifest's stat (``ARTIFACT_MEMO``) and a no-op run of a
        10,000-file app reads neither the manifest nor formats 15,000 series again; after an edit, only the
        series whose file or size changed are formatted, the others' lines are those of the last run."""
        try:
            stat = os.stat(self.manifest)
        except OSError:
            return b""
        # The manifest's stat (ctime too: a new file can reuse an inode and an mtime), and what formats the
        # lines: this module and prometheus-client (an edit or an upgrade is a new key).
        code = [os.stat(path).st_mtime_ns for path in (__file__, prometheus_client.__file__)]
        formatter = f"{__version__} {code}"
        key = f"{formatter} {stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_ino}".encode()
        memo = self.reports_dir / ARTIFACT_MEMO
        known: dict[tuple[str, str, int], bytes] = {}
        try:
            head, _, rest = memo.read_bytes().partition(b"\n")
            samples, _, text = rest.partition(b"\n")
            if head == key:
                return text
            if head.startswith(formatter.encode() + b" "):  # lines the same code formatted: reusable
                lines = [line for line in _lines(text) if not line.startswith(b"#")]
                known = dict(zip((tuple(s) for s in json.loads(samples)), lines, strict=True))
        except (OSError, ValueError, TypeError):
            known = {}
        self._artifacts()
        text = self._formatted(known)
        listed = json.dumps(self.artifact.samples, separators=(",", ":")).encode()
        write_atomic(memo, key + b"\n" + listed + b"\n" + text)
        return text

    def _formatted(self, known: dict[tuple[str, str, int], bytes]) -> bytes:
        """The exposition of every artifact sample, prometheus-client formatting those ``known`` has no line
        for (its header lines too), in the manifest's order: the bytes :func:`generate_latest` would give."""
        fresh = ArtifactSizes()
        fresh.samples = [s for s in self.artifact.samples if s not in known]
        alone = CollectorRegistry(auto_describe=False)
        alone.register(fresh)
        generated = _lines(generate_latest(alone))
        header = [line for line in generated if line.startswith(b"#")]
        made = dict(zip(fresh.samples, (line for line in generated if not line.startswith(b"#")), strict=True))
        return b"".join([*header, *(known.get(s) or made[s] for s in self.artifact.samples)])

    def _artifacts(self) -> None:
        self.artifact.samples.clear()
        try:
            manifest = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        samples = self.artifact.samples
        for name, asset in (manifest.get("assets") or {}).items():
            if not isinstance(asset, Mapping):
                continue
            samples.append((name, "identity", int(asset.get("size") or 0)))
            for coding, sibling in (asset.get("encodings") or {}).items():
                if coding in ENCODING_LABELS and isinstance(sibling, Mapping):
                    samples.append((name, ENCODING_LABELS[coding], int(sibling.get("size") or 0)))

    def push(self) -> None:
        """Push to the gateway under job ``vango_build`` and the app's name; a gateway that is down costs at most
        :data:`PUSH_TIMEOUT_S` and one warning, never the build."""
        if not self.build_failed:
            self._artifacts()
        registry = self.exposed() if not self.build_failed else self.registry
        try:
            push_to_gateway(self.push_gateway, job=PUSH_JOB, registry=registry, grouping_key={"app": self.app},
                            timeout=PUSH_TIMEOUT_S)
        except Exception as exc:  # any transport error: the metrics file is still there
            self.warn(f"could not push metrics to {self.push_gateway}: {exc}")


def record_failed_run(reports_dir: Path, exit_code: int, *, app: str, push_gateway: str = "") -> Path:
    """The metrics of a run that ended while its tasks loaded (exit 2): no task ran, so only the verdict,
    the time and the versions; written and pushed like any run's."""
    metrics = RunMetrics(reports_dir, reports_dir / "no-manifest", app=app, go_version=lambda: "unknown",
                         push_gateway=push_gateway, warn=lambda line: logging.getLogger("vango").warning("%s", line))
    event = events.Event(events.RUN_FINISHED, data={"exit_code": exit_code, "ok": False}, time=time.time())
    return metrics.finish(event)


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

