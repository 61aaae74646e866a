"""The subscribers of one ``doit`` run, attached by the reporter when the run starts and detached when it
ends: the terminal spinner, the OpenTelemetry bridge, the run's metrics file (and Pushgateway), then the
addons' (``vango_event_subscribers``), in that order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.observe import events, progress, tracing

if TYPE_CHECKING:
    from pipeline.config.context import Context
    from pipeline.observe.metrics import RunMetrics


def attach(ctx: Context) -> list[Callable[[], None]]:
    def go_version() -> str:
        try:
            return str(ctx.toolchain().version)
        except Exception:  # no Go found: the metric says so rather than failing the run's report
            return "unknown"

    from pipeline.addons.manager import collect

    # The addons' first: a hook that fails (exit 2) leaves nothing subscribed.
    theirs = [subscriber for _, subscriber in collect(ctx.addons, "vango_event_subscribers", ctx=ctx)]
    return [*attach_own(run_metrics(ctx, go_version)), *(events.subscribe(subscriber) for subscriber in theirs)]


def attach_own(metrics: RunMetrics) -> list[Callable[[], None]]:
    """The pipeline's own subscribers (also those of a run whose tasks come from ``build/plan.json``)."""
    return [events.subscribe(progress.spinner), tracing.attach(), events.subscribe(metrics)]


def run_metrics(ctx: Context, go_version: Callable[[], str]) -> RunMetrics:
    from pipeline.observe.metrics import RunMetrics

    logger = ctx.logger
    return RunMetrics(ctx.reports_dir, ctx.dist_dir / "asset-manifest.json", app=ctx.config.name,
                      go_version=go_version, push_gateway=ctx.settings.push_gateway,
                      warn=lambda line: logger.warning("%s", line, extra={"event": "metrics.push_failed"}))
