"""Running the dev app with uvicorn: in the foreground (``vango dev``) or in a background thread (tests, tools).

The listening socket is bound *before* uvicorn starts, in the caller's thread, so a taken port raises
``OSError`` right there (uvicorn itself would log and ``sys.exit``), and port 0 gets its real number at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

GRACEFUL_SHUTDOWN_S = 2.0


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (SO_REUSEADDR, so a restarted server gets its port back at once)."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    return socket.create_server(address[:2], family=family, backlog=128)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _config(app: ASGIApp, log_level: str) -> uvicorn.Config:
    # log_config=None: uvicorn's loggers propagate to the application's logging setup instead of replacing it.
    return uvicorn.Config(app, log_config=None, log_level=log_level, lifespan="on", ws="auto",
                          timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, server_header=False)


def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "warning",
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``app`` until Ctrl+C or SIGTERM (blocking). ``on_ready(url)`` is called once the port is bound.

    Raises ``OSError`` if the address cannot be bound. When a signal stopped the server, uvicorn re-raises it
    after the graceful shutdown, so Ctrl+C ends in ``KeyboardInterrupt`` for the caller to handle.
    """
    sock = bind(host, port)
    if on_ready is not None:
        on_ready(url_of(sock))
    uvicorn.Server(_config(app, log_level)).run(sockets=[sock])


class ServerHandle:
    """A server running in a daemon thread: ``url``, ``host``, ``port``, and ``stop()`` (also on ``with`` exit)."""

    def __init__(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._server = server
        self._sock = sock
        self.host, self.port = sock.getsockname()[:2]
        self.url = url_of(sock)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"vango-devserver-{self.port}", daemon=True)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as error:  # reported by start()/stop(), a thread has nobody else to tell
            self.error = error
        finally:
            self._sock.close()

    def _start(self, timeout: float) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the dev server stopped while starting: {self.error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the dev server did not start within {timeout}s")
            time.sleep(0.01)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: open connections (WebSockets included) are closed, the port is released. Bounded: after
        ``timeout`` seconds a server that did not finish raises ``TimeoutError`` (its daemon thread is left)."""
        deadline = time.monotonic() + timeout
        self._server.should_exit = True
        self._thread.join(max(0.0, min(GRACEFUL_SHUTDOWN_S + 1.0, deadline - time.monotonic())))
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            raise TimeoutError(f"the dev server on port {self.port} did not stop within {timeout}s")

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning",
                    startup_timeout: float = 10.0) -> ServerHandle:
    """Serve ``app`` from a daemon thread; returns once it accepts connections (at most ``startup_timeout`` s).
    ``port=0`` picks a free port (see ``handle.port``/``handle.url``); a taken port raises ``OSError`` here."""
    sock = bind(host, port)
    handle = ServerHandle(uvicorn.Server(_config(app, log_level)), sock)
    handle._start(startup_timeout)
    return handle
