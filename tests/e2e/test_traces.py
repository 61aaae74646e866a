"""Traces of real builds: one trace per run, a span per task, the inner spans under the task that made them
(also from doit's worker processes), TRACEPARENT in and out, exported through an in-memory exporter."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO

from pipeline.config.context import Settings
from pipeline.observe import tracing

pytestmark = pytest.mark.e2e

sys.path.insert(0, str(REPO / "addons" / "otel"))  # the otel addon's id generator, as the addon installs it

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TASKS = {"static", "css", "js", "wasm:compile", "wasm:runtime", "pwa", "public", "pages", "sw", "deploy",
         "compress", "manifest", "release"}


@pytest.fixture
def exported() -> Iterator[object]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from vango_addon_otel.sdk import IdsFromBus

    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=IdsFromBus(), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.set_provider(provider)
    yield exporter
    tracing.set_provider(None)


def build(app: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, *args: str, run_id: str,
          traceparent: str = "", go: str | None = None) -> int:
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    from pipeline.engine.loader import namespace

    monkeypatch.chdir(app)
    settings = Settings.from_environment({}, app=app, cache=cache, run_id=run_id, traceparent=traceparent, go=go)
    return DoitMain(ModuleTaskLoader(namespace(settings))).run(["run", *args, "release"])


def tree(spans: list) -> dict[str, list]:
    by_name: dict[str, list] = {}
    for span in spans:
        by_name.setdefault(span.name, []).append(span)
    return by_name


def hex_id(value: int, digits: int) -> str:
    return format(value, f"0{digits}x")


class TestTraceExport:
    """A real build with an in-memory span exporter: span names, the parent/child tree, attributes."""

    @pytest.mark.parametrize("parallel", [(), ("-n", "2")], ids=["serial", "two-processes"])
    def test_a_build_is_one_trace(self, app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exported,
                                  parallel):
        check_build_trace(app, tmp_path, monkeypatch, exported, parallel)


def check_build_trace(app: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exported, parallel) -> None:
    # A cache of its own: the brotli of the wasm really runs (a cached result has no span).
    assert build(app, tmp_path / "cache", monkeypatch, *parallel, run_id=f"trace-{len(parallel)}",
                 traceparent=f"00-{CALLER_TRACE}-{CALLER_SPAN}-01") == 0
    spans = exported.get_finished_spans()
    names = tree(spans)
    assert {s.context.trace_id for s in spans} == {int(CALLER_TRACE, 16)}  # one trace, the caller's

    (root,) = names["vango run"]
    assert root.parent is not None and hex_id(root.parent.span_id, 16) == CALLER_SPAN
    assert root.attributes["vango.run.exit_code"] == 0 and root.attributes["vango.run.executed"] == len(TASKS)

    tasks = {s.attributes["vango.task.name"]: s for s in spans if s.name.startswith("task ")}
    assert set(tasks) == TASKS
    for name, span in tasks.items():
        assert span.name == f"task {name}" and span.parent.span_id == root.context.span_id
        assert span.attributes["vango.task.status"] == "executed" and span.attributes["vango.task.exit_code"] == 0
        assert root.start_time <= span.start_time <= span.end_time <= root.end_time
    assert tasks["release"].attributes["vango.task.files_written"] > 20
    assert tasks["release"].attributes["vango.task.bytes_written"] > 1_000_000

    def under(child: str, parent) -> list:
        found = [s for s in names.get(child, []) if s.parent.span_id == parent.context.span_id]
        assert found, f"no {child} span under {parent.name}"
        return found

    (go_build,) = under("go.build", tasks["wasm:compile"])
    assert go_build.attributes["process.exit_code"] == 0 and "display" not in go_build.attributes
    under("go.list", root)  # while tasks are loaded, before any runs
    transforms = under("html.transform", tasks["pages"])
    assert {s.attributes["vango.transform.name"] for s in transforms} >= {"urls", "loader", "sri", "csp"}
    protect = next(s for s in transforms if s.attributes["vango.transform.name"] == "sri")
    under("sri.hash", protect)
    (written,) = under("html.write", tasks["pages"])
    assert written.attributes["vango.pages"] >= 1 and written.attributes["vango.reused"] == 0  # a first build
    (rendered,) = under("sw.render", tasks["sw"])
    assert rendered.attributes["vango.sw.parts"] == 0  # a small app's sw.js lists its files itself
    (brotli,) = [s for s in under("compress.brotli", tasks["compress"]) if s.attributes["vango.file"].endswith(".wasm")]
    assert 0 < brotli.attributes["vango.bytes_out"] < brotli.attributes["vango.bytes_in"]
    ids = [s.context.span_id for s in spans]
    assert len(ids) == len(set(ids))  # a worker's spans are replayed once, never twice


def test_up_to_date_tasks_have_spans_too(app: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch, exported):
    assert build(app, shared_cache, monkeypatch, run_id="first") == 0
    exported.clear()
    assert build(app, shared_cache, monkeypatch, run_id="second") == 0
    spans = exported.get_finished_spans()
    tasks = [s for s in spans if s.name.startswith("task ")]
    assert {s.attributes["vango.task.status"] for s in tasks} == {"uptodate"} and len(tasks) == len(TASKS)
    (root,) = [s for s in spans if s.name == "vango run"]
    assert root.parent is None  # no TRACEPARENT: the run is a trace of its own
    assert root.attributes["vango.run.uptodate"] == len(TASKS)


def test_each_go_process_gets_its_own_traceparent(app: Path, shared_cache: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, exported):
    from pipeline.wasm.toolchain import find_toolchain

    real_go = find_toolchain(None, app, None).go
    calls = tmp_path / "calls.jsonl"
    wrapper = tmp_path / "go"
    wrapper.write_text(f"#!/bin/sh\nprintf '{{\"command\": \"%s\", \"traceparent\": \"%s\"}}\\n' \"$1\" "
                       f"\"$TRACEPARENT\" >> {calls}\nexec {real_go} \"$@\"\n", encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("TRACEPARENT", f"00-{CALLER_TRACE}-{CALLER_SPAN}-01")  # what a CI system set for us
    assert build(app, shared_cache, monkeypatch, run_id="carrier", traceparent=os.environ["TRACEPARENT"],
                 go=str(wrapper)) == 0
    seen = {}
    for line in calls.read_text(encoding="utf-8").splitlines():
        call = json.loads(line)
        seen.setdefault(call["command"], call["traceparent"])
    spans = tree(exported.get_finished_spans())
    for command, span_name in (("list", "go.list"), ("build", "go.build")):
        (span,) = spans[span_name]
        assert seen[command] == f"00-{CALLER_TRACE}-{hex_id(span.context.span_id, 16)}-01"


def test_debug_logs_show_each_span_once_with_parallel_workers(app: Path, tmp_path: Path, vango):
    run = vango(app, "build", "-n", "2", env={"VANGO_LOG_LEVEL": "DEBUG", "VANGO_CACHE_DIR": str(tmp_path / "c")})
    assert run.returncode == 0, run.stderr
    finished = [e for e in run.events if e.get("event") == "span.finished"]
    ids = [e["span_id"] for e in finished]
    assert len(ids) == len(set(ids)), "a span was logged twice"
    names = {e["name"] for e in finished}
    assert {"go.list", "go.build", "compress.brotli", "sri.hash", "vango run", "task release"} <= names
    (trace,) = {e["trace_id"] for e in finished}
    assert all(e["trace_id"] == trace for e in run.events if (e.get("event") or "").startswith("task."))


def test_a_failed_compile_is_an_error_span(app: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch, exported):
    from opentelemetry.trace import StatusCode

    (app / "main.go").write_text((app / "main.go").read_text() + "\nfunc broken( {\n")
    assert build(app, shared_cache, monkeypatch, run_id="broken") == 1
    spans = tree(exported.get_finished_spans())
    (go_build,) = spans["go.build"]
    (task,) = spans["task wasm:compile"]
    (root,) = spans["vango run"]
    assert go_build.status.status_code == StatusCode.ERROR and go_build.attributes["process.exit_code"] == 1
    assert task.status.status_code == StatusCode.ERROR and task.attributes["vango.task.status"] == "failed"
    assert "main.go" in task.status.description and root.status.status_code == StatusCode.ERROR
