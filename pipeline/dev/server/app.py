"""The ``vango dev`` web app (ASGI, Starlette): the dev output folder, live reload and the DevTools stream.

- Files under ``root`` (resolved again on every request: the build swaps the folder by renaming it), with the
  pipeline's content types, ``Cache-Control: no-cache``, precompressed ``.br``/``.gz`` siblings negotiated by
  ``Accept-Encoding``, directory ``index.html`` files and an SPA fallback to the entry page for navigations.
- Every HTML response gets the live-reload client (``/__vango/client.js``) injected; files on disk never do.
- ``/__vango/ws`` (reload channel) and ``/__vango/devtools`` (devtools channel) WebSockets, fed by a
  :class:`~pipeline.dev.server.hub.Hub`; ``/__vango/devtools/`` serves the DevTools panel.
- Requests whose ``Host`` is not allowed (DNS rebinding) get 403; cross-origin WebSocket handshakes get 403.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable, Collection
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from pipeline.core.mediatypes import content_type
from pipeline.dev.server import negotiate, paths
from pipeline.dev.server.hub import DEVTOOLS, RELOAD, Hub
from pipeline.dev.server.observe import METRICS_URL, RequestObserver, metrics_endpoint
from pipeline.observe import events, tracing
from pipeline.observe.dev_metrics import DevMetrics

CLIENT_URL = "/__vango/client.js"
CLIENT_TAG = b'<script src="/__vango/client.js" defer></script>'
PANEL_URL = "/__vango/devtools/"
# The panel is framed by the DevTools extension (chrome-extension:, moz-extension:), so frame-ancestors allows it.
PANEL_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'self' chrome-extension: moz-extension:")
PANEL_FILES = frozenset({"index.html", "panel.js", "panel.css"})

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_CHUNK = 256 * 1024
_ATTEMPTS = 3
_HTML = "text/html; charset=utf-8"


def inject_client(html: bytes) -> bytes:
    """Insert the live-reload client before the last ``</body>`` (appended when there is none)."""
    if CLIENT_TAG in html:
        return html
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + CLIENT_TAG
    at = ends[-1].start()
    return html[:at] + CLIENT_TAG + html[at:]


def _asset(*names: str) -> bytes:
    return resources.files("pipeline.dev.server").joinpath("static", *names).read_bytes()


def _page(title: str, text: str) -> bytes:
    """A minimal page of the server's own (404, waiting for the first build), with the client injected."""
    escaped = [part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for part in (title, text)]
    return inject_client(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escaped[0]}</title>'
                         f'</head><body><h1>{escaped[0]}</h1><p>{escaped[1]}</p></body></html>'.encode())


class FileStream:
    """A 200 response streaming an already opened file (so a folder swap after the lookup cannot break it)."""

    def __init__(self, file: IO[bytes], size: int, headers: dict[str, str]) -> None:
        self.file = file
        self.size = size
        self.headers = {**headers, "content-length": str(size)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(name.encode("latin-1"), value.encode("latin-1"))
                                    for name, value in self.headers.items()]})
            remaining = 0 if scope.get("method") == "HEAD" else self.size
            while True:
                chunk = await anyio.to_thread.run_sync(self.file.read, min(_CHUNK, remaining)) if remaining else b""
                remaining = remaining - len(chunk) if chunk else 0
                await send({"type": "http.response.body", "body": chunk, "more_body": bool(remaining)})
                if not remaining:
                    break
        finally:
            self.file.close()


class DevFiles:
    """The static half of the app: maps a request to a response, touching only files inside the root."""

    def __init__(self, root: Path | Callable[[], Path], *, entry: str = "index.html", base: str = "/",
                 not_found: str | None = None) -> None:
        self.root = root if callable(root) else (lambda: Path(root))
        self.not_found = not_found  # a page served with 404 for unknown routes instead of the SPA entry
        try:
            self.entry = paths.request_segments("/" + entry).segments
            self.base = paths.request_segments(base).segments
        except paths.BadPath as error:
            raise ValueError(f"bad entry {entry!r} or base {base!r}: {error}") from error
        if not self.entry or not base.startswith("/"):
            raise ValueError(f"bad entry {entry!r} or base {base!r}")

    def respond(self, request: Request) -> Response | FileStream:
        """Runs in a worker thread (Starlette does that for sync endpoints): all file-system work happens here.

        A build may swap the folder between the lookup and the open; the lookup is then simply done again.
        """
        for _ in range(_ATTEMPTS):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                return self._respond(request)
        return self._missing(negotiate.accepts_html(request.headers.get("accept")), request)

    def _respond(self, request: Request) -> Response | FileStream:
        try:
            target = paths.request_segments(request.scope.get("raw_path") or request.scope["path"].encode())
        except paths.BadPath as error:
            return PlainTextResponse(f"Bad request path: {error}\n", status_code=400)
        navigation = negotiate.accepts_html(request.headers.get("accept"))
        segments = target.segments
        if segments[:1] == ("__vango",):
            return self._missing(navigation, request)
        if segments[: len(self.base)] != self.base or (segments == self.base and self.base and
                                                       not target.trailing_slash):
            if segments == self.base[: len(segments)]:  # "/" or "/app" under base "/app/"
                return RedirectResponse(self._url(self.base, request), status_code=302)
            return self._missing(navigation, request)
        root = paths.resolve_root(self.root())
        if root is None:
            if navigation:
                return Response(_page("Waiting for the first build", "This page reloads when the build is ready."),
                                status_code=503, media_type=_HTML, headers={"retry-after": "1"})
            return PlainTextResponse("No build output yet\n", status_code=503, headers={"retry-after": "1"})
        relative = segments[len(self.base):]
        found = paths.contained(root, *relative)
        if found is not None and found.is_dir():
            index = paths.contained_file(root, *relative, "index.html")
            if index is not None:
                if relative and not target.trailing_slash:
                    return RedirectResponse(self._url(segments, request), status_code=302)
                return self._file(root, index, request)
        elif found is not None and found.is_file() and not target.trailing_slash:
            return self._file(root, found, request)
        if navigation and self.not_found is not None:  # a static site: its own 404 page
            page = paths.contained_file(root, self.not_found)
            if page is not None:
                return Response(inject_client(page.read_bytes()), status_code=404, media_type=_HTML)
        elif navigation and (not relative or not PurePosixPath(relative[-1]).suffix):  # a route, not a file
            entry = paths.contained_file(root, *self.entry)
            if entry is not None:
                return self._file(root, entry, request)
        return self._missing(navigation, request)

    def _url(self, segments: tuple[str, ...], request: Request) -> str:
        # Built from the checked names, never from the raw path ("//evil.example/x/" must not become a redirect).
        url = "/" + "".join(quote(name) + "/" for name in segments)
        return url + ("?" + request.url.query if request.url.query else "")

    @staticmethod
    def _missing(navigation: bool, request: Request) -> Response:
        if navigation:
            return Response(_page("Not found", f"Nothing is served at {request.url.path}"), status_code=404,
                            media_type=_HTML)
        return PlainTextResponse("Not found\n", status_code=404)

    @staticmethod
    def _file(root: Path, path: Path, request: Request) -> Response | FileStream:
        media_type = content_type(path.name)
        if media_type == "text/html":
            return Response(inject_client(path.read_bytes()), media_type=_HTML)
        headers = {"content-type": media_type}
        folder = path.relative_to(root).parent.parts
        siblings = {coding: paths.contained_file(root, *folder, path.name + suffix)
                    for coding, suffix in negotiate.ENCODINGS.items()}
        available = {coding: sibling for coding, sibling in siblings.items() if sibling is not None}
        chosen = negotiate.choose_encoding(request.headers.get("accept-encoding"), available)
        if available:
            headers["vary"] = "Accept-Encoding"
        if chosen != "identity":
            path = available[chosen]
            headers["content-encoding"] = chosen
        file = open(path, "rb")  # noqa: SIM115 - FileStream closes it once sent
        try:
            size = os.fstat(file.fileno()).st_size
        except OSError:
            file.close()
            raise
        return FileStream(file, size, headers)


class DevHeaders:
    """Outermost layer: the Host check for HTTP and WebSocket, and the dev caching/sniffing headers."""

    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str] | None = None) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), None)
        if not negotiate.host_allowed(host, self.allowed_hosts):
            if scope["type"] == "websocket":
                await receive()  # websocket.connect; closing before accept answers the handshake with 403
                await send({"type": "websocket.close", "code": 1008, "reason": "host not allowed"})
                return
            response = PlainTextResponse(
                f"Blocked request: the Vango dev server does not answer for host {host!r} (DNS rebinding "
                "protection). Add it to the server's allowed hosts to use it.\n", status_code=403)
            await response(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", [])
                           if name.lower() not in (b"cache-control", b"x-content-type-options")]
                headers += [(b"cache-control", b"no-cache"), (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def relay(websocket: WebSocket, hub: Hub, channel: str) -> None:
    """Accept a same-origin WebSocket and send it the channel's retained, then live, messages until either side
    goes away. A cross-origin handshake is refused with 1008 before accepting (HTTP 403 for the browser)."""
    if not negotiate.origin_matches_host(websocket.headers.get("origin"), websocket.headers.get("host")):
        await websocket.close(code=1008, reason="cross-origin WebSocket refused")
        return
    await websocket.accept()
    try:
        async with hub.subscribe(channel) as subscription, anyio.create_task_group() as group:
            _report_clients(hub, channel)

            async def until_disconnect() -> None:
                while (await websocket.receive())["type"] != "websocket.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(until_disconnect)
            try:
                async for text in subscription:
                    await websocket.send_text(text)
                # The client fell too far behind: make it reconnect and start from the retained state.
                await websocket.close(code=1013, reason="too far behind, reconnect")
            except (WebSocketDisconnect, OSError, RuntimeError):
                pass
            group.cancel_scope.cancel()
    finally:
        _report_clients(hub, channel)


def _report_clients(hub: Hub, channel: str) -> None:
    """Tell the bus how many sockets a channel has (after each connect and disconnect)."""
    events.emit(events.Event(events.LIVE_CLIENTS, data={"channel": channel, "count": hub.subscriber_count(channel),
                                                         "server": hub.server_id}))


def create_app(root: Path | Callable[[], Path], hub: Hub, *, entry: str = "index.html", base: str = "/",
               allowed_hosts: Collection[str] | None = None, extensions: Any = None,
               metrics: DevMetrics | None = None, not_found: str | None = None) -> Starlette:
    """The dev server's ASGI app. ``root`` is the output folder (or a function returning it, called per request);
    ``entry`` the SPA shell relative to it; ``base`` the URL path the app is served under; ``allowed_hosts`` see
    :func:`pipeline.dev.server.negotiate.host_allowed` (default: IP literals and ``localhost`` names);
    ``extensions`` the addons' routes and middleware (a :class:`~pipeline.dev.server.extend.DevServerSetup`)."""
    files = DevFiles(root, entry=entry, base=base, not_found=not_found)
    metrics = metrics or DevMetrics(server=hub.server_id)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """While the server runs, its metrics and its requests' spans listen to the bus."""
        stop_metrics, stop_bridge = events.subscribe(metrics), tracing.attach()
        try:
            yield
        finally:
            stop_bridge()
            stop_metrics()

    def client_js(request: Request) -> Response:
        return Response(_asset("client.js"), media_type="text/javascript; charset=utf-8")

    def panel(request: Request) -> Response:
        name = request.path_params.get("name") or "index.html"
        if name not in PANEL_FILES:
            return PlainTextResponse("Not found\n", status_code=404)
        media_type = content_type(name)
        media_type += "; charset=utf-8" if media_type.startswith("text/") else ""
        return Response(_asset("devtools", name), media_type=media_type,
                        headers={"content-security-policy": PANEL_CSP, "referrer-policy": "no-referrer"})

    async def reload_socket(websocket: WebSocket) -> None:
        await relay(websocket, hub, RELOAD)

    async def devtools_socket(websocket: WebSocket) -> None:
        await relay(websocket, hub, DEVTOOLS)

    def panel_redirect(request: Request) -> Response:
        return RedirectResponse(PANEL_URL, status_code=302)

    get = ["GET", "HEAD"]
    routes: list[Any] = [
        WebSocketRoute("/__vango/ws", reload_socket),
        WebSocketRoute("/__vango/devtools", devtools_socket),
        Route(CLIENT_URL, client_js, methods=get),
        Route("/__vango/devtools", panel_redirect, methods=get),
        Route("/__vango/devtools/{name:path}", panel, methods=get),
        Route(METRICS_URL, metrics_endpoint(metrics), methods=get),
        *(extensions.routes if extensions is not None else ()),
        Route("/{path:path}", files.respond, methods=get),
    ]
    middleware = [Middleware(RequestObserver, server=hub.server_id),
                  Middleware(DevHeaders, allowed_hosts=allowed_hosts),
                  *(extensions.middleware if extensions is not None else ())]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.hub = hub
    app.state.files = files
    app.state.metrics = metrics
    return app
