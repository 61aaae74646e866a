"""The subscribers of one ``doit`` run, attached by the reporter when the run starts and detached when it
ends: the terminal spinner, the OpenTelemetry bridge, the run's metrics file (and Pushgateway), then the
addons' (``vango_event_subscribers``), in that order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.observe import events, progress, tracing

if TYPE_CHECKING:
    from pipeline.config.context import Context


def attach(ctx: Context) -> list[Callable[[], None]]:
    from pipeline.observe.metrics import RunMetrics

    def go_version() -> str:
        try:
            return str(ctx.toolchain().version)
        except Exception:  # no Go found: the metric says so rather than failing the run's report
            return "unknown"

    logger = ctx.logger
    metrics = RunMetrics(ctx.reports_dir, ctx.dist_dir / "asset-manifest.json", app=ctx.config.name,
                         go_version=go_version, push_gateway=ctx.settings.push_gateway,
                         warn=lambda line: logger.warning("%s", line, extra={"event": "metrics.push_failed"}))
    from pipeline.addons.manager import collect

    attached = [events.subscribe(progress.spinner), events.subscribe(tracing.bridge), events.subscribe(metrics)]
    attached += [events.subscribe(subscriber) for _, subscriber in collect(ctx.addons, "vango_event_subscribers",
                                                                           ctx=ctx)]
    return attached
