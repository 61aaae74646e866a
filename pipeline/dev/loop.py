"""The edit-refresh loop shared by ``vango dev`` and ``vango docs serve``: builds run in a watcher thread, the
server in the main thread (uvicorn wants the signals); a failing build keeps serving the last good output."""

from __future__ import annotations

import threading
from typing import Any

from pipeline.observe import events, log


def serve_while_watching(app: Any, session: Any, *, host: str, port: int, base: str = "/", debounce_ms: int,
                         logger: str = "dev") -> int:
    """Serve ``app`` and, once it listens, build and watch with ``session`` (a :class:`DevSession`); 2 when the
    address cannot be listened on, 0 after Ctrl-C."""
    from pipeline.dev.server import serve
    from pipeline.dev.watch import watch

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(session,), kwargs={"stop": stop, "debounce_ms": debounce_ms},
                               name="vango-watch", daemon=True)

    def ready(url: str) -> None:
        events.emit(events.Event(events.DEV_SERVING, data={"url": url.rstrip("/") + base,
                                                            "devtools": url.rstrip("/") + "/__vango/devtools/"}))
        watcher.start()

    try:
        serve(app, host=host, port=port, on_ready=ready)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        log.get_logger(logger).error("cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        return 2
    finally:
        stop.set()
        if watcher.is_alive():
            watcher.join(timeout=10)
    return 0
