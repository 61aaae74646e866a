"""The dev server on the event bus: request ids in and out, a span and an event per request, the ids in JSON
log records of the request, and ``/__vango/metrics`` in Prometheus's text format."""

from __future__ import annotations

import io
import json
import logging
import re
import warnings
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.dev.server import Hub, create_app
from pipeline.dev.server.extend import DevServerSetup
from pipeline.dev.server.observe import request_id
from pipeline.observe import eventlog, events, log

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

HOST = "127.0.0.1:8000"


@pytest.fixture
def client(tmp_path: Path):
    root = tmp_path / "dist"
    root.mkdir()
    (root / "index.html").write_bytes(b"<html><body>shell</body></html>")

    def logs_something(request):
        from starlette.responses import PlainTextResponse

        log.get_logger("addon").info("inside the request")
        return PlainTextResponse("ok")

    setup = DevServerSetup()
    setup.add_route("/__vango/addons/probe/log", logs_something)
    app = create_app(root, Hub(), extensions=setup)
    with TestClient(app, base_url=f"http://{HOST}") as test_client:  # the lifespan subscribes the metrics
        yield test_client


def metric_values(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.parametrize(("header", "kept"), [("abc-123", True), ("0af7651916cd43dd8448eb211c80319c", True),
                                              ("req:7/shard=2", True), ("", False), ("bad id", False),
                                              ("x" * 129, False), ("-leading", False), ("a\u00e9b", False)])
def test_a_request_id_is_kept_only_when_well_formed(header: str, kept: bool):
    chosen = request_id(header)
    assert (chosen == header) is kept
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}", chosen)


def test_every_response_carries_the_request_id(client: TestClient):
    given = client.get("/", headers={"x-request-id": "trace-me-1"})
    assert given.headers["x-request-id"] == "trace-me-1"
    made = client.get("/", headers={"x-request-id": "has spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert client.get("/missing.js").headers["x-request-id"] != made.headers["x-request-id"]
    blocked = client.get("/", headers={"host": "evil.example"})
    assert blocked.status_code == 403 and blocked.headers["x-request-id"]


def test_a_request_is_a_span_and_an_event_and_its_log_records_carry_the_ids(client: TestClient):
    seen: list[events.Event] = []
    stop = events.subscribe(seen.append)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.JsonFormatter())
    logger = logging.getLogger(log.LOGGER_NAME)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    eventlog.subscribe_once()  # as every entry point's log.setup() does
    try:
        response = client.get("/__vango/addons/probe/log", headers={"x-request-id": "req-42"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        stop()
    assert response.status_code == 200
    (request,) = [e for e in seen if e.kind == events.HTTP_REQUEST]
    assert request.data["route"] == "/__vango/addons/probe/log" and request.data["code"] == 200
    assert request.data["request_id"] == "req-42" and request.data["duration_s"] >= 0
    (span,) = [e for e in seen if e.kind == events.SPAN_FINISHED and e.data["name"] == "http.request"]
    assert span.data["attributes"]["http.response.status_code"] == 200 and span.data["parent_id"] == ""
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    record = next(line for line in lines if line["msg"] == "inside the request")
    assert record["request_id"] == "req-42"
    assert record["trace_id"] == span.trace_id and record["span_id"] == span.span_id
    own = next(line for line in lines if line["event"] == "span.finished" and line["name"] == "http.request")
    assert own["request_id"] == "req-42"  # the request's own span line too


def test_metrics_count_requests_by_route_and_code(client: TestClient):
    for path in ("/", "/", "/missing.js", "/__vango/client.js"):
        client.get(path)
    response = client.get("/__vango/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    values = metric_values(response.text)
    assert values[("vango_http_requests_total", (("code", "200"), ("method", "GET"), ("route", "files")))] == 2
    assert values[("vango_http_requests_total", (("code", "404"), ("method", "GET"), ("route", "files")))] == 1
    assert values[("vango_http_requests_total", (("code", "200"), ("method", "GET"),
                                                 ("route", "/__vango/client.js")))] == 1
    assert values[("vango_http_request_duration_seconds_count", (("route", "files"),))] == 3
    assert values[("vango_live_clients", ())] == 0
    assert values[("vango_builds_total", (("result", "ok"),))] == 0


def test_live_clients_and_patch_bytes_and_builds(client: TestClient):
    with client.websocket_connect(f"ws://{HOST}/__vango/ws", headers={"origin": f"http://{HOST}"}), \
            client.websocket_connect(f"ws://{HOST}/__vango/devtools", headers={"origin": f"http://{HOST}"}):
        connected = metric_values(client.get("/__vango/metrics").text)
    events.emit(events.Event(events.PATCH_SENT, data={"bytes": 1234, "files": 2}))
    events.emit(events.Event(events.WATCH_BUILD, data={"id": 1, "ok": True, "duration_s": 0.5}))
    events.emit(events.Event(events.WATCH_BUILD, data={"id": 2, "ok": False, "duration_s": 0.2}))
    after = metric_values(client.get("/__vango/metrics").text)
    assert connected[("vango_live_clients", ())] == 2
    assert after[("vango_live_clients", ())] == 0
    assert after[("vango_patch_bytes_sent_total", ())] == 1234
    assert after[("vango_builds_total", (("result", "ok"),))] == 1
    assert after[("vango_builds_total", (("result", "failed"),))] == 1
    assert after[("vango_build_duration_seconds_count", ())] == 2


def test_two_servers_count_their_own_requests(tmp_path: Path):
    (tmp_path / "index.html").write_bytes(b"<html><body>x</body></html>")
    first, second = create_app(tmp_path, Hub()), create_app(tmp_path, Hub())
    with TestClient(first, base_url=f"http://{HOST}") as a, TestClient(second, base_url=f"http://{HOST}") as b:
        for _ in range(3):
            a.get("/")
        counted = metric_values(b.get("/__vango/metrics").text)
    assert ("vango_http_requests_total", (("code", "200"), ("method", "GET"), ("route", "files"))) not in counted
    # Once stopped, a server stops listening to the bus.
    before = events.BUS._subscribers.copy()
    with TestClient(create_app(tmp_path, Hub()), base_url=f"http://{HOST}"):
        assert len(events.BUS._subscribers) > len(before)
    assert events.BUS._subscribers == before


def test_request_spans_reach_an_installed_sdk(client: TestClient):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from pipeline.observe import tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.set_provider(provider)
    try:
        client.get("/missing.css", headers={"x-request-id": "sdk-1"})
    finally:
        tracing.set_provider(None)
    (span,) = exporter.get_finished_spans()
    assert span.name == "http.request" and span.attributes["http.response.status_code"] == 404
    assert span.attributes["vango.request_id"] == "sdk-1" and span.attributes["http.route"] == "files"
