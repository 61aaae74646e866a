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


def test_after_a_release_only_the_changed_series_are_formatted_and_the_text_is_the_same(tmp_path: Path,
                                                                                      monkeypatch):
    from prometheus_client import CollectorRegistry

    from pipeline.observe import metrics as module

    reports, manifest = tmp_path / "reports", tmp_path / "asset-manifest.json"
    sizes = {f"css/s{i}.css": 100 + i for i in range(50)}
    write_manifest(manifest, sizes)
    finish(reports, manifest)
    write_manifest(manifest, {**sizes, "css/s7.css": 999, "new.js": 5})  # one file changed, one added
    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    formatted: list[int] = []
    real = module.generate_latest
    monkeypatch.setattr(module, "generate_latest", lambda r: formatted.append(r) or real(r))
    found = finish(reports, manifest)
    assert found[("css/s7.css", "identity")] == 999 and found[("new.js", "br")] == 2
    assert found[("css/s8.css", "identity")] == 108 and len(found) == 102
    # What was formatted: the run's own gauges, and the four new series alone.
    artifact = [[(m.labels["asset"], m.labels["encoding"], m.value) for f in r.collect() for m in f.samples]
                for r in formatted if any(f.name == "vango_artifact_size_bytes" for f in r.collect())]
    assert [sorted(samples) for samples in artifact] == [[("css/s7.css", "br", 499), ("css/s7.css", "identity", 999),
                                                          ("new.js", "br", 2), ("new.js", "identity", 5)]]
    # The same bytes as formatting all of them.
    every = module.ArtifactSizes()
    every.samples = json.loads((reports / ARTIFACT_MEMO).read_bytes().split(b"\n", 2)[1])
    every.samples = [tuple(s) for s in every.samples]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(every)
    text = (reports / "metrics.prom").read_bytes()
    assert text.endswith(real(registry))
