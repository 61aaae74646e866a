"""The bundled ``otel`` addon as a user installs it (``vango addon install otel``): a build's spans arrive
at an OTLP/HTTP receiver with the ids the JSON logs show; a slow or absent collector costs at most the
export budget and one warning; the standard variables choose the exporter."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from support import EXAMPLE, IGNORED, REPO, OtlpReceiver, free_port, run_pipeline

pytestmark = pytest.mark.e2e

sys.path.insert(0, str(REPO / "addons" / "otel"))


def vango(app: Path, *args: str, env: dict[str, str] | None = None):
    return run_pipeline(["pipeline.cli", *args], app, env)


@pytest.fixture(scope="module")
def otel_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("otel-template") / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    run = vango(target, "addon", "install", "otel", "--no-build-isolation")
    assert run.returncode == 0, run.stderr
    return target


@pytest.fixture
def otel_app(otel_template: Path, tmp_path: Path, shared_cache: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(otel_template, target, symlinks=True)
    return target


@pytest.fixture
def receiver():
    server = OtlpReceiver()
    yield server
    server.stop()


def logged_spans(run) -> dict[str, dict]:
    return {e["span_id"]: e for e in run.events if e.get("event") == "span.finished"}


def test_a_build_exports_the_same_spans_the_logs_show(otel_app: Path, shared_cache: Path, receiver: OtlpReceiver):
    env = {"VANGO_CACHE_DIR": str(shared_cache), "VANGO_LOG_LEVEL": "DEBUG",
           "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_SERVICE_NAME": "todo-ci",
           "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test,team=web",
           "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cret"}
    run = vango(otel_app, "build", env=env)
    assert run.returncode == 0, run.stderr
    logged = logged_spans(run)
    received = receiver.wait_for(lambda spans: len(spans) >= len(logged))
    assert {s["span_id"]: s["name"] for s in received} == {k: v["name"] for k, v in logged.items()}
    by_id = {s["span_id"]: s for s in received}
    for span_id, entry in logged.items():
        assert by_id[span_id]["trace_id"] == entry["trace_id"] and by_id[span_id]["parent_id"] == entry["parent_id"]
    names = {s["span_id"]: s["name"] for s in received}
    parents = {s["name"]: names.get(s["parent_id"]) for s in received}
    assert parents["go.build"] == "task wasm:compile" and parents["sri.hash"] == "html.transform"
    assert parents["task release"] == "vango run" and parents["html.transform"] == "task pages"
    (root,) = [s for s in received if s["name"] == "vango run"]
    assert root["parent_id"] == "" and root["resource"]["service.name"] == "todo-ci"
    assert root["resource"]["deployment.environment"] == "test" and root["resource"]["vango.app"] == "Vango Todo"
    assert {r["path"] for r in receiver.requests} == {"/v1/traces"}
    assert receiver.requests[0]["headers"].get("x-api-key") == "s3cret"
    assert receiver.requests[0]["content_type"] == "application/x-protobuf"
    assert "warning" not in run.stderr.lower()


def test_a_stalled_collector_costs_at_most_the_budget_and_one_warning(otel_app: Path, shared_cache: Path):
    env = {"VANGO_CACHE_DIR": str(shared_cache)}
    assert vango(otel_app, "build", env=env).returncode == 0
    started = time.monotonic()
    baseline = vango(otel_app, "build", env={**env, "OTEL_TRACES_EXPORTER": "none"})
    plain = time.monotonic() - started
    stalled = OtlpReceiver(delay=30)
    try:
        started = time.monotonic()
        run = vango(otel_app, "build", env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": stalled.url})
        slow = time.monotonic() - started
    finally:
        stalled.stop()
    assert baseline.returncode == 0 and run.returncode == 0
    # The collector answers after 30 s; the build waits for it at most 2 s (the rest is start-up noise).
    assert slow - plain < 6, (slow, plain)
    warnings = [e for e in run.events if e.get("event") == "otel.export_failed"]
    assert len(warnings) == 1 and "did not answer within 2 s" in warnings[0]["msg"]


def test_an_unreachable_collector_is_one_warning(otel_app: Path, shared_cache: Path):
    run = vango(otel_app, "build", env={"VANGO_CACHE_DIR": str(shared_cache),
                                        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"})
    assert run.returncode == 0
    warnings = [e for e in run.events if e.get("level") == "warning"]
    assert len(warnings) == 1 and warnings[0]["event"] == "otel.export_failed"
    assert "could not export" in warnings[0]["msg"] and "Traceback" not in run.stderr


def test_disabled_or_console(otel_app: Path, shared_cache: Path, receiver: OtlpReceiver):
    env = {"VANGO_CACHE_DIR": str(shared_cache), "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
    assert vango(otel_app, "build", env={**env, "OTEL_SDK_DISABLED": "true"}).returncode == 0
    console = vango(otel_app, "build", env={**env, "OTEL_TRACES_EXPORTER": "console"})
    assert console.returncode == 0 and '"name": "vango run"' in console.stdout
    time.sleep(0.5)
    assert receiver.spans == []
    bad = vango(otel_app, "build", env={**env, "OTEL_TRACES_EXPORTER": "zipkin"})
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "OTEL_TRACES_EXPORTER='zipkin': expected one of otlp, console, none" in bad.stderr


def test_the_standard_variables_are_read_as_specified():
    from vango_addon_otel.sdk import ExportSettings, SettingsError

    settings = ExportSettings.from_environment({
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/", "OTEL_EXPORTER_OTLP_HEADERS": "a=1,b=x%20y",
        "OTEL_RESOURCE_ATTRIBUTES": "team=web", "OTEL_EXPORTER_OTLP_TIMEOUT": "10000"})
    assert settings.endpoint == "http://collector:4318/v1/traces" and settings.protocol == "http/protobuf"
    assert settings.headers == {"a": "1", "b": "x y"} and settings.resource_attributes == {"team": "web"}
    assert settings.timeout_s == 2.0 and settings.service_name == "vango" and not settings.disabled
    grpc = ExportSettings.from_environment({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert grpc.endpoint == "http://localhost:4317"
    specific = ExportSettings.from_environment({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://x.example/traces",
                                                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318"})
    assert specific.endpoint == "https://x.example/traces"
    for bad in ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, {"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}):
        with pytest.raises(SettingsError):
            ExportSettings.from_environment(bad)


def test_the_dev_server_s_request_spans_are_exported_every_few_seconds():
    """In vango dev no run may end for a long time: the addon's timer exports what the buffer holds."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from vango_addon_otel import sdk

    exporter, buffer = InMemorySpanExporter(), sdk.RunBuffer()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(buffer)
    exporting = sdk.Exporting(sdk.ExportSettings(), exporter, buffer, provider, sdk._Reasons())
    saved = list(sdk._installed)
    sdk._installed[:] = [exporting]
    try:
        warnings: list[str] = []
        sdk.export_periodically(warnings.append, interval=0.05)
        provider.get_tracer("test").start_span("http.request").end()
        deadline = time.monotonic() + 10
        while not exporter.get_finished_spans() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [s.name for s in exporter.get_finished_spans()] == ["http.request"] and warnings == []
        sdk.export_periodically(warnings.append, interval=0.05)  # a second call starts no second timer
        assert exporting.timer is not None and exporting.timer.is_alive()
    finally:
        sdk._installed[:] = saved
