"""Shared doit wiring: the action wrapper and the shape of a build step's task.

A step is a plain doit task dict whose target is the step's map file (see :mod:`pipeline.engine.maps`).
Actions are module-level functions (picklable, so ``doit -n N`` works) wrapped by :func:`action`,
which turns :class:`~pipeline.core.errors.PipelineError` into a one-line doit failure without traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed
from doit.tools import config_changed

from pipeline.config.context import Project
from pipeline.core.errors import PipelineError
from pipeline.engine.maps import OutputFile, map_path, write_map
from pipeline.observe import log


class PipelineFailed(TaskFailed):
    """A task failure caused by the app's input (or a gate's verdict), carrying the process exit code it asks
    for; the reporter turns the run's codes into the exit status (see ``pipeline.core.errors.combine_exit_codes``)."""

    def __init__(self, msg: str = "", exit_code: int = 1):
        super().__init__(msg)
        self.exit_code = exit_code


def action(func: Callable[..., Iterable[Path | str] | None]) -> Callable[..., Any]:
    """Wrap a step function: log under the task's name, report written files, fail cleanly on bad input.

    The wrapper takes doit's ``task`` argument itself and keeps the function's module and name, so it
    still pickles by reference.
    """

    def wrapper(*args: Any, task: Any, **kwargs: Any) -> dict[str, Any] | TaskFailed:
        log.setup()
        token = log.current_task.set(task.name)
        try:
            written = func(*args, **kwargs) or []
        except PipelineError as exc:
            return PipelineFailed(str(exc), exc.exit_code)
        finally:
            log.current_task.reset(token)
        return {"written": sorted({str(p) for p in written})}

    wrapper.__module__ = func.__module__
    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__doc__ = func.__doc__
    return wrapper


def written(project: Project, step: str, outputs: Iterable[OutputFile], **extra: Any) -> list[Path]:
    """Record a content step's outputs (and any ``extra`` facts for later steps) in its map; returns
    what it wrote, for the task events."""
    outputs = list(outputs)
    return [write_map(project.maps_dir, step, outputs, **extra), *(project.out_dir / o.path for o in outputs)]


def outputs_exist(map_file: Path, out_dir: Path) -> Callable[[], bool]:
    """doit ``uptodate`` check: a step is stale if a file its map lists went missing from build/out."""

    def check() -> bool:
        try:
            entries = json.loads(map_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        paths = [f["path"] for f in entries.get("files", [])]
        for encodings in (entries.get("encodings") or {}).values():
            paths.extend(e["path"] for e in encodings.values())
        return all((out_dir / p).is_file() for p in paths)

    return check


@cache
def pipeline_fingerprint() -> str:
    """Hash of the pipeline's own code, templates and schemas: upgrading the pipeline re-runs the tasks,
    so no output made by older code survives (read once per process; a few milliseconds)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".j2", ".json"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def settings_changed(settings: Any) -> Any:
    """doit ``uptodate`` check that re-runs a task when the config values its output depends on, or the
    pipeline's code, change."""
    return config_changed(json.dumps({"settings": settings, "pipeline": pipeline_fingerprint()}, sort_keys=True,
                                     default=str))


def step_task(project: Project, step: str, doc: str, func: Callable[..., Any], *,
              file_dep: Iterable[Path | str], settings: Any = None, name: str | None = None) -> dict[str, Any]:
    """The task dict of a build step writing ``build/maps/<step>.json``; ``settings`` are the config
    values its output depends on (a change re-runs it, via doit's ``config_changed``)."""
    target = map_path(project.maps_dir, step)
    task: dict[str, Any] = {
        "doc": doc,
        "actions": [(func, [project])],
        "file_dep": sorted({str(Path(p)) for p in file_dep}),
        "targets": [str(target)],
        "uptodate": [outputs_exist(target, project.out_dir)],
        "clean": True,
        "verbosity": 2,
    }
    task["uptodate"].append(settings_changed(settings))
    if name is not None:
        task["name"] = name
    return task
