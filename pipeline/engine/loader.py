"""The task registry: every module in this package contributes ``task_*`` generators.

A build step is added by adding a module here, never by editing a central list. Each ``task_<name>``
receives the loaded :class:`~pipeline.config.context.Project` and returns or yields doit task dicts, exactly
as doit's own ``task_`` functions do. All subtasks of one basename (``gate:size``, ``gate:bench``) must
come from one generator, because doit rejects two creators with the same basename.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any, NoReturn

from pipeline.config.context import Paths, Project
from pipeline.core.errors import PipelineError
from pipeline.observe import log

Creator = Callable[[Project], Any]
_SKIP = {"text", "sources"}


def content_steps() -> list[str]:
    """Steps whose outputs are files of dist/ (``CONTENT_STEP`` in their module): what precompression,
    the asset manifest and release consume. An addon step joins them by declaring the same attribute."""
    return sorted(m.CONTENT_STEP for m in step_modules() if getattr(m, "CONTENT_STEP", None))


def step_modules() -> list[ModuleType]:
    """Modules of ``pipeline.engine.loader`` that declare tasks, in name order."""
    import pipeline.steps as package

    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in _SKIP)
    return [importlib.import_module(f"pipeline.steps.{name}") for name in names]


def creators() -> dict[str, Creator]:
    """``task_<basename>`` -> generator, across all step modules; a basename declared twice is a bug."""
    found: dict[str, Creator] = {}
    origin: dict[str, str] = {}
    for module in step_modules():
        for attr, value in vars(module).items():
            if attr.startswith("task_") and callable(value) and getattr(value, "__module__", None) == module.__name__:
                if attr in found:
                    raise RuntimeError(f"{attr} is declared in both {origin[attr]} and {module.__name__}")
                found[attr] = value
                origin[attr] = module.__name__
    return found


@cache
def _project(paths: Paths) -> Project:
    return Project.load(paths)


def reset() -> None:
    """Forget the loaded project, so the next load reads vango.json and the file lists again (watch mode)."""
    _project.cache_clear()


def current_project() -> Project:
    """The project for this run; bad configuration ends the run with its one-line error and exit code 2."""
    try:
        return _project(Paths.from_environment())
    except PipelineError as exc:
        stop(exc)


def stop(exc: PipelineError) -> NoReturn:
    """End the run while tasks are being loaded: the one-line error, no traceback, the error's exit code."""
    log.setup()
    log.get_logger().error("%s", exc)
    raise SystemExit(exc.exit_code) from None


def doit_creators() -> dict[str, Callable[[], Any]]:
    """Zero-argument ``task_*`` functions for a dodo namespace, each loading the project on demand."""

    def bind(name: str, creator: Creator) -> Callable[[], Any]:
        def task_creator() -> Any:
            project = current_project()
            try:
                result = creator(project)
                if isinstance(result, dict):
                    return result
                tasks = list(result or [])  # evaluate here, so bad input is reported cleanly
            except PipelineError as exc:
                stop(exc)
            return (t for t in tasks)  # doit wants a dict or a generator

        task_creator.__name__ = name
        task_creator.__doc__ = creator.__doc__
        return task_creator

    return {name: bind(name, creator) for name, creator in creators().items()}
