"""pipeline.observe.metrics.RunMetrics: the run's textfile, and the memo of its artifact series."""

from __future__ import annotations

import json
import os
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from pipeline.observe import events
from pipeline.observe.metrics import ARTIFACT_MEMO, RunMetrics


def write_manifest(path: Path, sizes: dict[str, int]) -> None:
    assets = {name: {"path": name, "size": size, "encodings": {"br": {"path": f"{name}.br", "size": size // 2}}}
              for name, size in sizes.items()}
    path.write_text(json.dumps({"assets": assets}), encoding="utf-8")


def finish(reports: Path, manifest: Path) -> dict[tuple[str, str], float]:
    metrics = RunMetrics(reports, manifest, app="t", go_version=lambda: "go1.0")
    target = metrics.finish(events.Event(events.RUN_FINISHED, data={"exit_code": 0, "ok": True}, time=1.0))
    found = {}
    for family in text_string_to_metric_families(target.read_text(encoding="utf-8")):
        for sample in family.samples:
            if sample.name == "vango_artifact_size_bytes":
                found[(sample.labels["asset"], sample.labels["encoding"])] = sample.value
            elif sample.name == "vango_build_exit_code":
                assert sample.value == 0
    return found


def test_artifact_series_come_from_the_memo_until_the_manifest_changes(tmp_path: Path):
    reports, manifest = tmp_path / "reports", tmp_path / "asset-manifest.json"
    write_manifest(manifest, {"a.css": 100, "b.js": 40})
    assert finish(reports, manifest) == {("a.css", "identity"): 100, ("a.css", "br"): 50,
                                         ("b.js", "identity"): 40, ("b.js", "br"): 20}
    memo = reports / ARTIFACT_MEMO
    key, _, text = memo.read_bytes().partition(b"\n")
    memo.write_bytes(key + b"\n" + text.replace(b"100.0", b"7.0"))  # a run that reuses it shows the change
    assert finish(reports, manifest)[("a.css", "identity")] == 7

    write_manifest(manifest, {"a.css": 120})  # a new release: read again
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert finish(reports, manifest) == {("a.css", "identity"): 120, ("a.css", "br"): 60}


def test_no_manifest_means_no_artifact_series(tmp_path: Path):
    assert finish(tmp_path / "reports", tmp_path / "missing.json") == {}


def test_the_file_is_what_prometheus_client_would_write(tmp_path: Path):
    """The run's gauges and its artifact series, formatted without prometheus-client, are the bytes its
    ``generate_latest`` gives for the same registry (the one pushed to a Pushgateway)."""
    from prometheus_client import generate_latest

    reports, manifest = tmp_path / "reports", tmp_path / "asset-manifest.json"
    write_manifest(manifest, {f"css/s{i}.css": 100 + i for i in range(50)} | {'odd "name"\\.js': 3})
    metrics = RunMetrics(reports, manifest, app='my "app"', go_version=lambda: "go1.0")
    for task, status, seconds in (("css", "executed", 0.25), ("gate:size", "executed", 1234567.5),
                                  ("pages", "uptodate", 1e-7), ("css", "executed", 0.5)):
        metrics(events.Event(events.SPAN_FINISHED, data={
            "name": f"task {task}", "duration_s": seconds,
            "attributes": {"vango.task.name": task, "vango.task.status": status}}))
    metrics(events.Event(events.SPAN_FINISHED, data={"name": "gate.evaluate", "attributes": {
        "vango.gate.verdict": "fail", "vango.gate.name": "size", "vango.gate.exit_code": 3}}))
    target = metrics.finish(events.Event(events.RUN_FINISHED, data={
        "exit_code": 3, "ok": False, "duration_s": 2.5, "executed": 2, "uptodate": 11}, time=1796000000.125))
    assert target.read_bytes() == generate_latest(metrics.exposed())
    assert b'vango_task_duration_seconds{status="executed",task="css"} 0.5\n' in target.read_bytes()
    assert finish(reports, manifest)[('odd "name"\\.js', "identity")] == 3  # the memo's copy parses the same
