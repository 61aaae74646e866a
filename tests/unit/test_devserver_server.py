"""The dev app on a real uvicorn server (127.0.0.1, free ports): raw request targets, WebSocket handshakes as a
browser sends them, bounded start/stop/restart, and the blocking ``serve`` in a process of its own."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from pipeline.dev.server import Hub, create_app, start_in_thread
from pipeline.dev.server.server import bind

SECRET = b"TOP-SECRET: outside the served folder"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "dist"
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><body>shell</body>")
    (root / "css" / "app.css").write_text("body { color: red }")
    (root / "app.wasm").write_bytes(b"\0asm\x01\0\0\0")
    (root / "link-out").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture
def hub() -> Hub:
    return Hub()


@pytest.fixture
def server(site: Path, hub: Hub):
    handle = start_in_thread(create_app(site, hub))
    yield handle
    handle.stop()


def raw_request(port: int, target: bytes, host: bytes | None = None, extra: bytes = b"") -> tuple[int, bytes]:
    """Send one request with exactly this target; returns (status, whole response)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + (host or f"127.0.0.1:{port}".encode()) +
                     b"\r\n" + extra + b"Connection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    return int(response.split(b" ", 2)[1]), response


def test_serves_on_a_free_loopback_port_with_the_right_types(server):
    assert server.url == f"http://127.0.0.1:{server.port}/" and server.host == "127.0.0.1"
    with urllib.request.urlopen(server.url + "app.wasm", timeout=5) as response:
        assert response.headers["Content-Type"] == "application/wasm"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.read() == b"\0asm\x01\0\0\0"
    request = urllib.request.Request(server.url + "todos/3", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert b"shell" in response.read()


@pytest.mark.parametrize("target", [
    b"/../secret.txt", b"/%2e%2e/secret.txt", b"/%2e%2e%2fsecret.txt", b"/..%2fsecret.txt", b"/..\\secret.txt",
    b"/..%5csecret.txt", b"/%252e%252e/secret.txt", b"/..%00/secret.txt", b"/link-out", b"//../secret.txt",
    b"/%c0%ae%c0%ae/secret.txt", b"/css/../../secret.txt", b"/./../secret.txt",
])
def test_raw_traversal_targets_never_leave_the_folder(server, target):
    for accept in (b"*/*", b"text/html"):
        status, response = raw_request(server.port, target, extra=b"Accept: " + accept + b"\r\n")
        assert SECRET not in response
        assert status in (400, 404) or (status == 200 and b"shell" in response), (target, status)


def test_foreign_host_names_are_refused(server):
    status, response = raw_request(server.port, b"/css/app.css", host=b"rebound.evil.example")
    assert status == 403 and b"color: red" not in response


def test_websocket_origin_check_on_the_wire(server, hub: Hub):
    hub.publish("reload", {"type": "error", "task": "css", "message": "oops"})
    ws_url = server.url.replace("http://", "ws://") + "__vango/ws"
    with connect(ws_url, origin=server.url.rstrip("/"), open_timeout=5) as socket_:
        assert json.loads(socket_.recv(timeout=5)) == {"type": "error", "task": "css", "message": "oops"}
    with connect(ws_url, open_timeout=5) as socket_:  # no Origin: not a browser
        assert json.loads(socket_.recv(timeout=5))["type"] == "error"
    for origin in ("http://evil.example", f"http://localhost:{server.port}", "null"):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, origin=origin, open_timeout=5)
        assert refused.value.response.status_code == 403


def test_stop_is_prompt_and_closes_open_websockets(site: Path, hub: Hub):
    handle = start_in_thread(create_app(site, hub))
    url = handle.url.replace("http://", "ws://")
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connect(url + path, open_timeout=5))
                   for path in ("__vango/ws", "__vango/devtools")]
        deadline = time.monotonic() + 5
        while hub.subscriber_count("reload") + hub.subscriber_count("devtools") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        handle.stop(timeout=10)
        assert time.monotonic() - started < 5
        assert not handle.running
        for socket_ in sockets:
            with pytest.raises(ConnectionClosed) as closed:
                socket_.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012  # "service restart"
    assert hub.subscriber_count("reload") == hub.subscriber_count("devtools") == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", handle.port), timeout=2).close()
    hub.publish("reload", {"type": "reload"})  # the hub outlives the server


def test_a_server_restarts_on_the_same_port(site: Path, hub: Hub):
    first = start_in_thread(create_app(site, hub))
    port = first.port
    with urllib.request.urlopen(first.url + "css/app.css", timeout=5):  # a kept-alive client existed
        pass
    first.stop()
    with start_in_thread(create_app(site, hub), port=port) as second:
        assert second.port == port
        with urllib.request.urlopen(second.url + "css/app.css", timeout=5) as response:
            assert response.read() == b"body { color: red }"


def test_a_taken_port_fails_in_the_caller(site: Path, hub: Hub):
    with bind("127.0.0.1", 0) as taken, pytest.raises(OSError):
        start_in_thread(create_app(site, hub), port=taken.getsockname()[1])


def test_serve_blocks_until_a_signal_and_shuts_down_cleanly(site: Path):
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from pipeline.dev.server import Hub, create_app, serve
        serve(create_app(Path({str(site)!r}), Hub()), "127.0.0.1", 0,
              on_ready=lambda url: print(url, flush=True))
    """)
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        try:
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.poll() is not None else url
            deadline = time.monotonic() + 10
            while True:  # on_ready runs once the port is bound, uvicorn starts answering a moment later
                try:
                    with urllib.request.urlopen(url + "css/app.css", timeout=5) as response:
                        assert response.read() == b"body { color: red }"
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) in (0, -signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
