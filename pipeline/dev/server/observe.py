"""What the dev server tells the event bus: a span and an ``http.request`` event per request, with a request
id (the client's ``X-Request-ID`` when it is well formed, else a new one) that every log record of the
request carries and the response returns; and ``/__vango/metrics``, the Prometheus view of the bus."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.observe import events, log, spans
from pipeline.observe.dev_metrics import DevMetrics

METRICS_URL = "/__vango/metrics"
REQUEST_ID_HEADER = "x-request-id"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}$")
FILES_ROUTE = "/{path:path}"


def request_id(header: str | None) -> str:
    """The client's id when it is 1-128 characters of letters, digits and ``._:+=/-``; otherwise a new one
    (so a hostile header can never inject text into logs)."""
    if header and _WELL_FORMED.match(header):
        return header
    return uuid.uuid4().hex


def route_label(scope: Scope) -> str:
    """The route's template, never the raw path (bounded label values): ``files`` for the app's own files."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path == FILES_ROUTE:
        return "files"
    return str(path) if path else "unmatched"


class RequestObserver:
    """Outermost middleware: times every HTTP request as a span of its own trace and reports it."""

    def __init__(self, app: ASGIApp, server: str = "") -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for n, v in scope["headers"] if n == b"x-request-id"), None)
        rid = request_id(header)
        method = scope.get("method", "GET")
        status = {"code": 500}
        started = time.perf_counter()
        opened = spans.start("http.request", root_of=spans.new_trace_id(), **{
            "http.request.method": method, "url.path": scope.get("path", ""), "vango.request_id": rid})
        token = log.current_request.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode("latin-1"))]}
            await send(message)

        try:
            with spans.within(opened.ref()):
                await self.app(scope, receive, send_with_id)
        finally:
            route = route_label(scope)
            opened.set(**{"http.route": route, "http.response.status_code": status["code"]})
            spans.finish(opened, error=f"HTTP {status['code']}" if status["code"] >= 500 else None)
            events.emit(events.Event(events.HTTP_REQUEST, data={
                "method": method, "route": route, "code": status["code"], "request_id": rid, "server": self.server,
                "duration_s": round(time.perf_counter() - started, 6)}, trace_id=opened.trace_id,
                span_id=opened.span_id))
            log.current_request.reset(token)  # after the request's own span and event, which carry it too


def metrics_endpoint(metrics: DevMetrics) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return endpoint
