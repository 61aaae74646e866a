"""The ``otel`` addon: OpenTelemetry export for Vango builds, gates and the dev server, and (optionally) the
browser's wasm boot as spans.

- ``vango_configure`` installs the SDK once per process, from the standard variables (read here, once):
  ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_PROTOCOL`` (``http/protobuf`` by default, or
  ``grpc``), ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
  ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, ``none``) and ``OTEL_SDK_DISABLED``.
- ``vango_event_subscribers`` exports each run's spans when the run ends, within 2 seconds; in ``vango dev``
  (``vango_dev_server``) the server's request spans are also exported every 5 seconds.
- ``addons.otel.browser.endpoint`` adds ``otel/boot.js`` to every page (through the page-transform seam, so
  it has SRI), which posts ``wasm.fetch``, ``wasm.instantiate`` and ``wasm.hydrate`` as OTLP/HTTP JSON to
  that endpoint; the endpoint's origin is added to the CSP's ``connect-src``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.rewrite import html
from pipeline.config.sections import ConfigSection
from pipeline.core.errors import ConfigError
from pipeline.engine.maps import emit
from pipeline.engine.pages import PageTransform, Phase
from pipeline.engine.step import Role, Step
from pipeline.observe import events

SCRIPT = "otel/boot.js"


@dataclass(frozen=True)
class OtelSettings:
    browser: Any = None  # {"endpoint": URL, "service_name": str} or None


SECTION = ConfigSection(
    "otel",
    schema={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "browser": {
                "type": "object",
                "additionalProperties": False,
                "required": ["endpoint"],
                "description": "Report the wasm boot of every page as spans (OTLP/HTTP JSON) to this collector.",
                "properties": {
                    "endpoint": {"type": "string", "pattern": "^https?://[^/\\s]+(/\\S*)?$",
                                 "x-pattern-help": "an http:// or https:// URL, e.g. https://otel.example.com/v1/traces",
                                 "description": "The collector's OTLP/HTTP traces URL (…/v1/traces)."},
                    "service_name": {"type": "string", "minLength": 1,
                                     "description": "service.name of the browser's spans (default: <app name> web)."},
                },
            },
        },
    },
    model=OtelSettings,
    description="OpenTelemetry export (the otel addon)",
)


def browser_settings(ctx: Any) -> dict[str, str] | None:
    browser = ctx.addon_config("otel").browser
    if not browser:
        return None
    return {"endpoint": browser["endpoint"], "service_name": browser.get("service_name") or f"{ctx.config.name} web"}


def build_boot_script(run: Any) -> list[Any]:
    settings = browser_settings(run.ctx)
    if settings is None:
        return []
    code = resources.files(__name__).joinpath("boot.js").read_text(encoding="utf-8")
    header = f"const VANGO_OTEL = {json.dumps(settings, ensure_ascii=False)};\n"
    return [emit(run.ctx.out_dir, SCRIPT, (header + code).encode("utf-8"))]


def inject_boot_script(pages: Any) -> None:
    settings = browser_settings(pages.ctx)
    if settings is None or SCRIPT not in pages.known:
        return
    parts = urlsplit(settings["endpoint"])
    pages.allow("connect-src", f"{parts.scheme}://{parts.netloc}")
    for tree in pages.trees.values():
        element = etree.Element("script", {"src": pages.url(SCRIPT)})
        element.text = ""  # a classic script, run before the deferred loader, so it sees every mark
        html.append_to_head(tree, element)


def export_when_the_run_ends(ctx: Any) -> Any:
    from vango_addon_otel import sdk

    def subscriber(event: events.Event) -> None:
        exporting = sdk.installed()
        if event.kind == events.RUN_FINISHED and exporting is not None:
            exporting.export(lambda line: ctx.logger.warning("%s", line, extra={"event": "otel.export_failed"}))

    return subscriber


@hookimpl
def vango_config_sections() -> list[ConfigSection]:
    return [SECTION]


@hookimpl
def vango_configure(ctx: Any) -> None:
    from vango_addon_otel import sdk

    try:
        settings = sdk.ExportSettings.from_environment(os.environ)
    except sdk.SettingsError as exc:
        raise ConfigError(f"otel addon: {exc}") from None
    sdk.install(settings, app=ctx.config.name)


@hookimpl
def vango_event_subscribers(ctx: Any) -> list[Any]:
    return [export_when_the_run_ends(ctx)]


@hookimpl
def vango_dev_server(ctx: Any) -> None:
    from vango_addon_otel import sdk

    sdk.export_periodically(lambda line: ctx.logger.warning("%s", line, extra={"event": "otel.export_failed"}))


@hookimpl
def vango_steps() -> list[Step]:
    return [Step("otel", Role.PAGE_ASSET, "Write the browser's boot-span script (addons.otel.browser)",
                 build_boot_script, settings=browser_settings, config="addons.otel", outputs=(SCRIPT,))]


@hookimpl
def vango_page_transforms() -> list[PageTransform]:
    return [PageTransform("otel-boot", Phase.INJECT, inject_boot_script,
                          doc="load the boot-span script and allow its collector in connect-src")]
