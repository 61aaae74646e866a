"""What addons add to the ``vango dev`` server: routes, WebSocket routes and middleware, collected through the
``vango_dev_server`` hook before the app is built (routes go before the catch-all file route)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

if TYPE_CHECKING:
    from pipeline.config.context import Context

RESERVED = "/__vango/"


@dataclass
class DevServerSetup:
    """Handed to ``vango_dev_server(ctx, server)``; the paths ``/__vango/…`` stay the server's own, except
    ``/__vango/addons/<name>/…``."""

    routes: list[BaseRoute] = field(default_factory=list)
    middleware: list[Middleware] = field(default_factory=list)
    owner: str = ""

    def add_route(self, path: str, endpoint: Callable[..., Any], methods: Sequence[str] = ("GET", "HEAD"),
                  name: str | None = None) -> None:
        self._check(path)
        self.routes.append(Route(path, endpoint, methods=list(methods), name=name))

    def add_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None) -> None:
        self._check(path)
        self.routes.append(WebSocketRoute(path, endpoint, name=name))

    def add_middleware(self, cls: type, **options: Any) -> None:
        """An ASGI middleware class, wrapped inside the server's Host check."""
        self.middleware.append(Middleware(cls, **options))

    def _check(self, path: str) -> None:
        if not path.startswith("/"):
            raise ValueError(f"route {path!r} must start with '/'")
        if path.startswith(RESERVED) and not path.startswith(f"{RESERVED}addons/"):
            raise ValueError(f"route {path!r} is reserved for the dev server (use {RESERVED}addons/<name>/…)")


def addon_setup(ctx: Context | None) -> DevServerSetup:
    """Every addon's contribution, in the addons' order."""
    from pipeline.addons.manager import call

    setup = DevServerSetup()
    if ctx is None:
        return setup
    for info in ctx.addons.addons if ctx.addons else ():
        setup.owner = info.name
        # One addon at a time, so a failing hook is reported with its name.
        call(_only(ctx, info.name), "vango_dev_server", ctx=ctx, server=setup)
    setup.owner = ""
    return setup


def _only(ctx: Context, name: str) -> Any:
    from dataclasses import replace

    return replace(ctx.addons, addons=tuple(a for a in ctx.addons.addons if a.name == name))
