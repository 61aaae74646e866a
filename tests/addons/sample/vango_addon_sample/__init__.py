"""A small but complete Vango addon, written as a third party would: it depends only on the public API.

- config: ``addons.sample`` with ``banner`` (text the page shows) and ``max_banner_bytes`` (its gate's limit);
- a page-asset step that writes ``sample/banner.js``;
- an inject-phase page transform that loads that script from every page (so it gets SRI and CSP coverage);
- a gate, ``gate:sample``, failing with exit 1 when the banner script is larger than the limit;
- an event subscriber that writes the kinds of the run's events to ``build/reports/sample-events.txt``;
- a dev-server route, ``/__vango/addons/sample/hello``, a middleware stamping ``x-vango-sample: 1`` on every
  response, and an extra watched file (``sample.txt``).

If ``VANGO_SAMPLE_MARKER`` names a file, importing this module writes it: the tampering tests prove with it
that a refused addon is never imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.rewrite import html
from pipeline.config.sections import ConfigSection
from pipeline.engine.maps import emit
from pipeline.engine.pages import PageTransform, Phase
from pipeline.engine.step import Role, Step
from pipeline.gates.protocol import Gate, param

if os.environ.get("VANGO_SAMPLE_MARKER"):
    Path(os.environ["VANGO_SAMPLE_MARKER"]).write_text("imported\n", encoding="utf-8")

SCRIPT = "sample/banner.js"


@dataclass(frozen=True)
class SampleSettings:
    banner: str = "Hello from the sample addon"
    max_banner_bytes: int = 4096
    explode: bool = False  # the step raises: how a bug in an addon is reported
    bad_subscriber: bool = False  # vango_event_subscribers returns something that is not callable


SECTION = ConfigSection(
    "sample",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "banner": {"type": "string", "minLength": 1, "description": "Text the page shows."},
            "max_banner_bytes": {"type": "integer", "minimum": 1, "description": "gate:sample's limit."},
            "explode": {"type": "boolean", "description": "Make the step raise (for tests)."},
            "bad_subscriber": {"type": "boolean", "description": "Return a non-callable subscriber (for tests)."},
        },
    },
    model=SampleSettings,
)


def build_banner(run: Any) -> list[Any]:
    settings = run.ctx.addon_config("sample")
    if settings.explode:
        raise RuntimeError("the banner exploded")
    code = f"document.documentElement.dataset.sample = {json.dumps(settings.banner)};\n"
    return [emit(run.ctx.out_dir, SCRIPT, code.encode("utf-8"))]


def banner_settings(ctx: Any) -> dict[str, Any]:
    settings = ctx.addon_config("sample")
    return {"banner": settings.banner, "explode": settings.explode}


def inject_banner(pages: Any) -> None:
    for tree in pages.trees.values():
        element = etree.Element("script", {"src": pages.url(SCRIPT), "defer": ""})
        element.text = ""
        html.append_to_head(tree, element)


class SampleGate(Gate):
    name = "sample"
    doc = "Fail when the sample banner script is larger than addons.sample.max_banner_bytes"

    def params(self) -> list[dict[str, Any]]:
        return [param("limit", 0, "override the limit in bytes", int)]

    def evaluate(self, ctx: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        manifest = json.loads((ctx.dist_dir / "asset-manifest.json").read_text(encoding="utf-8"))
        size = manifest["assets"][SCRIPT]["size"]
        limit = options.get("limit") or ctx.addon_config("sample").max_banner_bytes
        return {"size": size, "limit": limit, "ok": size <= limit}

    def table(self, report: Mapping[str, Any]) -> str:
        return f"sample banner: {report['size']} B of {report['limit']} B"

    def markdown(self, report: Mapping[str, Any]) -> str:
        return f"**sample**: {report['size']} B of {report['limit']} B"

    def annotations(self, report: Mapping[str, Any]) -> list[str]:
        return [] if report["ok"] else [f"::error title=sample::banner is {report['size']} B"]

    def exit_code(self, report: Mapping[str, Any], options: Mapping[str, Any]) -> int:
        return 0 if report["ok"] else 1

    def summary(self, report: Mapping[str, Any], code: int, path: Path) -> str:
        return f"the banner script is {report['size']} B, over the limit of {report['limit']} B"


class StampHeader:
    """ASGI middleware: every dev-server response carries ``x-vango-sample: 1``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-vango-sample", b"1")]}
            await send(message)

        await self.app(scope, receive, stamped if scope["type"] == "http" else send)


async def hello(request: Any) -> Any:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("hello from the sample addon\n")


@hookimpl
def vango_config_sections() -> list[ConfigSection]:
    return [SECTION]


@hookimpl
def vango_steps() -> list[Step]:
    return [Step("sample", Role.PAGE_ASSET, "Write the sample addon's banner script", build_banner,
                 settings=banner_settings, config="addons.sample", outputs=(SCRIPT,))]


@hookimpl
def vango_page_transforms() -> list[PageTransform]:
    return [PageTransform("sample-banner", Phase.INJECT, inject_banner, doc="load the banner script")]


@hookimpl
def vango_gates() -> list[Gate]:
    return [SampleGate()]


@hookimpl
def vango_dev_server(server: Any) -> None:
    server.add_route("/__vango/addons/sample/hello", hello)
    server.add_middleware(StampHeader)


class EventRecorder:
    """Keeps the kinds of the run's events and writes them when the run ends (its last event)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.kinds: list[str] = []

    def __call__(self, event: Any) -> None:
        self.kinds.append(event.kind)
        if event.kind == "run.finished":
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.target.write_text("\n".join(self.kinds) + "\n", encoding="utf-8")


@hookimpl
def vango_event_subscribers(ctx: Any) -> list[Any]:
    if ctx.addon_config("sample").bad_subscriber:
        return ["not a function"]
    return [EventRecorder(ctx.reports_dir / "sample-events.txt")]


@hookimpl
def vango_watch_paths(ctx: Any) -> list[Path]:
    return [ctx.app_dir / "sample.txt"]
