"""Every hook an addon (or a built-in step) can implement, in the order a run calls them.

    vango_config_sections  ->  vango_configure  ->  vango_steps, vango_page_transforms, vango_gates
    ->  vango_event_subscribers (each run)  ->  (vango dev)  vango_dev_server, vango_watch_paths

An implementation may take fewer arguments than its specification (pluggy passes only those it names),
so a hook can gain arguments without breaking addons. Names are checked when an addon registers: a
``vango_*`` function that matches no hook, or names an argument the hook does not have, is an error.
Hooks are called in the addons' order (built-ins first, then the installed addons by name, each after
the addons its ``VANGO_AFTER`` names), never in pluggy's registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pipeline.config.context import Context
    from pipeline.config.sections import ConfigSection
    from pipeline.dev.server.extend import DevServerSetup
    from pipeline.engine.pages import PageTransform
    from pipeline.engine.step import Step
    from pipeline.gates.protocol import Gate
    from pipeline.observe.events import Event

PROJECT = "vango"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def vango_config_sections() -> Iterable[ConfigSection]:
    """The addon's ``addons.<name>`` sections of vango.json: a JSON Schema fragment and a typed model.
    Called before vango.json is validated, so it gets no context."""


@hookspec
def vango_configure(ctx: Context) -> None:
    """The context is built (config validated, paths known): check what the schema cannot, or log.
    Raise ``pipeline.core.errors.ConfigError`` for bad settings (exit code 2)."""


@hookspec
def vango_steps(ctx: Context) -> Iterable[Step]:
    """Build steps (see ``pipeline.engine.step``); wired into the task graph by their roles."""


@hookspec
def vango_page_transforms(ctx: Context) -> Iterable[PageTransform]:
    """Page transforms (see ``pipeline.engine.pages``), run on every page in their phase."""


@hookspec
def vango_gates(ctx: Context) -> Iterable[Gate]:
    """CI gates, each a ``gate:<name>`` task (see ``pipeline.gates.protocol``)."""


@hookspec
def vango_event_subscribers(ctx: Context) -> Iterable[Callable[[Event], None]]:
    """Consumers of the run's event stream (``pipeline.observe.events``), attached when a run starts and
    detached when it ends; ``run.finished`` is the last event each one gets. One that raises is detached
    with a warning, never failing the build."""


@hookspec
def vango_dev_server(ctx: Context, server: DevServerSetup) -> None:
    """Add routes, WebSocket routes or middleware to the ``vango dev`` server before it starts."""


@hookspec
def vango_watch_paths(ctx: Context) -> Iterable[Path]:
    """Files or folders ``vango dev``/``doit watch`` should watch besides the tasks' inputs."""


HOOKS: tuple[str, ...] = tuple(name for name in dir() if name.startswith("vango_"))


def hook_names(plugin: Any) -> list[str]:
    """The hooks a plugin object implements (for ``vango addon list``)."""
    return sorted(name for name in HOOKS if callable(getattr(plugin, name, None)))
