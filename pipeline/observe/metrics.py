"""The run's Prometheus metrics, a consumer of the event bus: one :class:`RunMetrics` per ``doit`` run
(``vango build``, ``doit release``, a gate): task durations and statuses, artifact sizes (raw, gzip, brotli),
gate verdicts and ``vango_build_info``, written when the run ends to ``build/reports/metrics.prom``
(atomically, in the format node_exporter's textfile collector reads) and, when asked, pushed to a
Pushgateway for CI runners that are gone before a scrape. The dev server's live metrics are
:mod:`pipeline.observe.dev_metrics`.

The file is written by :mod:`pipeline.observe.textfile`, so a run imports prometheus-client only to push.
The names are public API (see docs/observability.md); they follow Prometheus conventions: base units,
``_seconds``, ``_bytes``, ``_info`` for metadata.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.core.fs import write_atomic
from pipeline.core.jsonio import read_document
from pipeline.observe import events, textfile

TEXTFILE = "metrics.prom"
ARTIFACT_MEMO = ".artifact-sizes"  # beside it, not read by node_exporter (which reads *.prom)
PUSH_JOB = "vango_build"
PUSH_TIMEOUT_S = 5.0
ENCODING_LABELS = {"br": "br", "gzip": "gzip"}
TASK_PREFIX = "task "


def task_span(event: events.Event) -> tuple[str, str, float] | None:
    """(task, status, seconds) of a finished task span, else None."""
    if event.kind != events.SPAN_FINISHED or not str(event.data.get("name", "")).startswith(TASK_PREFIX):
        return None
    attributes = event.data.get("attributes") or {}
    return (str(attributes.get("vango.task.name") or event.task), str(attributes.get("vango.task.status", "executed")),
            float(event.data.get("duration_s") or 0.0))


class Family:
    """One gauge family of the run: its samples by label values, in the order each was first set (the order
    prometheus-client keeps), and its exposition (:mod:`pipeline.observe.textfile`)."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        self.samples: dict[tuple[str, ...], float] = {} if labels else {(): 0.0}

    def set(self, value: float, *values: object) -> None:
        self.samples[tuple(str(v) for v in values)] = float(value)

    def text(self) -> bytes:
        return textfile.gauge(self.name, self.documentation, self.labels, self.samples.items())


class RunMetrics:
    """The metrics of one run, collected from its events and written when it finishes."""

    def __init__(self, reports_dir: Path, manifest: Path, *, app: str, go_version: Callable[[], str],
                 push_gateway: str = "", warn: Callable[[str], None] = lambda line: None) -> None:
        self.reports_dir, self.manifest, self.app = reports_dir, manifest, app
        self.go_version, self.push_gateway, self.warn = go_version, push_gateway, warn
        self.info = Family("vango_build_info", "The pipeline's and Go's versions (always 1)",
                           ("version", "go_version", "app"))
        self.duration = Family("vango_build_duration_seconds", "Wall time of the run")
        self.exit_code = Family("vango_build_exit_code", "The run's exit code (0 success, 1 a task failed, "
                                "2 configuration, 3/4 a gate's verdict)")
        self.finished = Family("vango_build_last_run_timestamp_seconds", "When the run finished (Unix time)")
        self.tasks = Family("vango_build_tasks", "Tasks of the run by status", ("status",))
        self.task_duration = Family("vango_task_duration_seconds", "Wall time of each task in the run",
                                    ("task", "status"))
        self.gate_passed = Family("vango_gate_passed", "1 when the gate passed, 0 when it failed", ("gate",))
        self.gate_exit = Family("vango_gate_exit_code", "The gate's exit code", ("gate",))
        self.families = [self.info, self.duration, self.exit_code, self.finished, self.tasks, self.task_duration,
                         self.gate_passed, self.gate_exit]
        # Written from its own memo (see _artifact_text) after the others, pushed with them.
        self.artifact = Family("vango_artifact_size_bytes", "Size of each published file, raw and precompressed",
                               ("asset", "encoding"))
        self.build_failed = False

    def __call__(self, event: events.Event) -> None:
        found = task_span(event)
        if found:
            task, status, seconds = found
            self.task_duration.set(seconds, task, status)
            self.build_failed = self.build_failed or (status == "failed" and not task.startswith("gate:"))
        elif event.kind == events.SPAN_FINISHED and event.data.get("name") == "gate.evaluate":
            attributes = event.data.get("attributes") or {}
            if attributes.get("vango.gate.verdict") in ("pass", "fail"):
                gate = str(attributes.get("vango.gate.name"))
                self.gate_passed.set(1 if attributes["vango.gate.verdict"] == "pass" else 0, gate)
                self.gate_exit.set(int(attributes.get("vango.gate.exit_code") or 0), gate)
        elif event.kind == events.RUN_FINISHED:
            self.finish(event)

    def finish(self, event: events.Event) -> Path:
        data = event.data
        self.duration.set(float(data.get("duration_s") or 0.0))
        self.exit_code.set(int(data.get("exit_code") or 0))
        self.finished.set(event.time)
        for status in ("executed", "uptodate", "failed", "ignored"):
            self.tasks.set(int(data.get(status) or 0), status)
        self.info.set(1, __version__, self.go_version(), self.app)
        text = b"".join(family.text() for family in self.families)
        if not self.build_failed:  # a failed build published nothing: dist/ is still the last one's
            text += self._artifact_text()
        target = self.reports_dir / TEXTFILE
        write_atomic(target, text)  # a temporary file, then a rename: a scrape never reads half of it
        if self.push_gateway:
            self.push()
        return target

    def exposed(self, *, artifacts: bool = True) -> Any:
        """Every series of the run in one prometheus-client registry (what is pushed): the run's gauges, then
        the artifacts' when ``artifacts``."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.core import GaugeMetricFamily

        families = [*self.families, *([self.artifact] if artifacts else [])]

        class Collected:
            def collect(self) -> list[Any]:
                collected = []
                for family in families:
                    metric = GaugeMetricFamily(family.name, family.documentation, labels=list(family.labels))
                    for values, value in family.samples.items():
                        metric.add_metric(list(values), value)
                    collected.append(metric)
                return collected

        registry = CollectorRegistry()
        registry.register(Collected())
        return registry

    def _artifact_text(self) -> bytes:
        """The ``vango_artifact_size_bytes`` lines of the published manifest. They change only when dist/
        does, so they are kept under the manifest's stat (``ARTIFACT_MEMO``): a no-op run of a 10,000-file
        app neither reads the manifest nor formats its 15,000 series again."""
        try:
            stat = os.stat(self.manifest)
        except OSError:
            return b""
        # The manifest's stat (ctime too: a new file can reuse an inode and an mtime), and what formats the
        # lines: this module and the text format's (an edit or an upgrade is a new key).
        code = [os.stat(path).st_mtime_ns for path in (__file__, textfile.__file__)]
        key = f"{__version__} {code} {stat.st_size} {stat.st_mtime_ns} {stat.st_ctime_ns} {stat.st_ino}".encode()
        memo = self.reports_dir / ARTIFACT_MEMO
        try:
            head, _, text = memo.read_bytes().partition(b"\n")
            if head == key:
                return text
        except OSError:
            pass
        self._artifacts()
        text = self.artifact.text()
        write_atomic(memo, key + b"\n" + text)
        return text

    def _artifacts(self) -> None:
        samples = self.artifact.samples
        samples.clear()
        try:
            manifest = read_document(self.manifest)  # decoded already when this process published it
        except (OSError, ValueError):
            return
        for name, asset in (manifest.get("assets") or {}).items():
            if not isinstance(asset, Mapping):
                continue
            samples[(name, "identity")] = int(asset.get("size") or 0)
            for coding, sibling in (asset.get("encodings") or {}).items():
                if coding in ENCODING_LABELS and isinstance(sibling, Mapping):
                    samples[(name, ENCODING_LABELS[coding])] = int(sibling.get("size") or 0)

    def push(self) -> None:
        """Push to the gateway under job ``vango_build`` and the app's name; a gateway that is down costs at most
        :data:`PUSH_TIMEOUT_S` and one warning, never the build."""
        from prometheus_client.exposition import push_to_gateway

        if not self.build_failed:
            self._artifacts()
        try:
            push_to_gateway(self.push_gateway, job=PUSH_JOB, registry=self.exposed(artifacts=not self.build_failed),
                            grouping_key={"app": self.app}, timeout=PUSH_TIMEOUT_S)
        except Exception as exc:  # any transport error: the metrics file is still there
            self.warn(f"could not push metrics to {self.push_gateway}: {exc}")


def record_failed_run(reports_dir: Path, exit_code: int, *, app: str, push_gateway: str = "") -> Path:
    """The metrics of a run that ended while its tasks loaded (exit 2): no task ran, so only the verdict,
    the time and the versions; written and pushed like any run's."""
    metrics = RunMetrics(reports_dir, reports_dir / "no-manifest", app=app, go_version=lambda: "unknown",
                         push_gateway=push_gateway, warn=lambda line: logging.getLogger("vango").warning("%s", line))
    event = events.Event(events.RUN_FINISHED, data={"exit_code": exit_code, "ok": False}, time=time.time())
    return metrics.finish(event)
