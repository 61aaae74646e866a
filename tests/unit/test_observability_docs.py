"""docs/observability.md lists every metric (with its type), log field, span name and event kind the code
produces: they are public API, so the page may not drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.observe import events, log, spans
from pipeline.observe.dev_metrics import DevMetrics
from pipeline.observe.metrics import RunMetrics

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "observability.md").read_text(encoding="utf-8")


def rows() -> dict[str, str]:
    """First cell (a code span) -> the whole table row."""
    found = {}
    for line in DOC.splitlines():
        match = re.match(r"^\| `([^`]+)`", line)
        if match:
            found.setdefault(match.group(1), line)
    return found


def families(registry) -> dict[str, str]:
    return {family.name: family.type for family in registry.collect()}


def test_every_metric_is_listed_with_its_type(tmp_path: Path):
    table = rows()
    dev = families(DevMetrics().registry)
    for name, kind in dev.items():
        shown = name + "_total" if kind == "counter" else name
        assert shown in table, f"{shown} is not in docs/observability.md"
        assert f"| {kind} |" in table[shown], f"{shown} should be listed as a {kind}"
    run = RunMetrics(tmp_path, tmp_path / "none.json", app="x", go_version=lambda: "go1")
    for name, kind in families(run.exposed()).items():
        assert kind == "gauge" and name in table, f"{name} is not in docs/observability.md"


def test_metric_names_follow_the_conventions(tmp_path: Path):
    run = RunMetrics(tmp_path, tmp_path / "none.json", app="x", go_version=lambda: "go1")
    for name, kind in {**families(DevMetrics().registry), **families(run.exposed())}.items():
        assert name.startswith("vango_")
        assert not name.endswith("_total"), "prometheus-client adds _total to counters itself"
        if "duration" in name:
            assert name.endswith("_seconds")
        if "size" in name or "bytes" in name:
            assert name.endswith("_bytes") or (kind == "counter" and name.endswith("_bytes_sent"))


def test_every_log_field_and_event_kind_is_listed():
    table = rows()
    for field in log.FIELDS:
        assert field in table or f"`{field}`" in DOC, field
    for kind in events.KINDS:
        assert f"`{kind}`" in DOC, kind


def test_every_span_the_code_opens_is_named_and_listed():
    opened = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        opened.update(re.findall(r'spans\.(?:span|start)\(\s*"([^"]+)"', path.read_text(encoding="utf-8")))
    opened.update({"compress.brotli", "compress.gzip"})  # named by a format string in the compress step
    opened = {name for name in opened if "{" not in name}
    assert opened <= set(spans.SPAN_NAMES), opened - set(spans.SPAN_NAMES)
    listed = "".join(re.findall(r"^\| `[^|]+\|", DOC, flags=re.M))
    for name in spans.SPAN_NAMES:
        assert f"`{name}`" in listed, f"span {name} is not in docs/observability.md"
