"""The ``vango dev`` server: the dev output over HTTP, live reload and the DevTools event stream.

``Hub`` carries messages from the build (any thread) to the WebSocket clients, ``create_app`` is the ASGI app,
``serve``/``start_in_thread`` run it with uvicorn.
"""

from pipeline.dev.server.app import create_app
from pipeline.dev.server.hub import DEVTOOLS, RELOAD, Hub
from pipeline.dev.server.server import ServerHandle, serve, start_in_thread

__all__ = ["DEVTOOLS", "RELOAD", "Hub", "ServerHandle", "create_app", "serve", "start_in_thread"]
