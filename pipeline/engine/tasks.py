"""The doit side of a step: the action that runs it, and the up-to-date checks of its task.

Actions are module-level functions (picklable, so ``doit -n N`` works) taking the context and the step;
doit adds its ``task``. A :class:`~pipeline.core.errors.PipelineError` becomes a one-line doit failure with
the error's exit code; an exception in an addon's code becomes ``addon <name>: <message>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doit.exceptions import TaskFailed
from doit.tools import config_changed

from pipeline.core.errors import PipelineError
from pipeline.engine.checks import all_present, outputs_exist  # noqa: F401  (the steps' checks live there)
from pipeline.engine.fingerprint import pipeline_fingerprint
from pipeline.observe import log

if TYPE_CHECKING:
    from pipeline.config.context import Context
    from pipeline.engine.maps import OutputFile
    from pipeline.engine.step import Step
    from pipeline.gates.protocol import Gate


class PipelineFailed(TaskFailed):
    """A task failure caused by the app's input (or a gate's verdict), carrying the process exit code it asks
    for; the reporter turns the run's codes into the exit status (see ``pipeline.core.errors.combine_exit_codes``)."""

    def __init__(self, msg: str = "", exit_code: int = 1):
        super().__init__(msg)
        self.exit_code = exit_code
        self.spans: list[dict[str, Any]] = []  # the inner spans finished before the failure


class GateFailed(PipelineError):
    """A gate's verdict (not a crash): the message is the summary, the exit code the gate's."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def _in_task(ctx: Context, task: Any, body: Callable[[Context], Iterable[Path | str] | None]) -> Any:
    """Run an action as a child of its task's span (the same ids in a worker process); the inner spans it
    finishes go back with the result, so the parent process can put those of a worker on its bus."""
    from pipeline.observe import spans

    log.setup(ctx.settings.log_format, ctx.settings.log_level, run=ctx.run_id)
    trace = ctx.trace()
    spans.begin_run(trace)
    token = log.current_task.set(task.name)
    with spans.recording() as recorded, spans.within(spans.task_ref(trace, task.name)):
        try:
            written = body(ctx.for_task(task.name)) or []
        except PipelineError as exc:
            failed = PipelineFailed(str(exc), exc.exit_code)
            failed.spans = list(recorded)
            return failed
        finally:
            log.current_task.reset(token)
    return {"written": sorted({str(p) for p in written}), "spans": list(recorded)}


def run_step(ctx: Context, step: Step, sources: tuple[str, ...], upstream: tuple[tuple[str, str], ...],
             early: tuple[Step, ...], task: Any) -> dict[str, Any] | TaskFailed:
    """The action of every step's task: build, record the outputs in the step's map, give the encode steps
    their head start on them (``early``), report what was written. ``sources`` are the claimed files' paths
    as strings (the registry lists them on every run); the step sees them as paths."""
    from pipeline.addons.manager import guarded
    from pipeline.engine.checks import (
        by_folder,
        map_stamps,
        source_listing,
        sources_path,
        upstream_listing,
        upstream_path,
    )
    from pipeline.engine.step import StepResult, StepRun

    claiming = bool(step.claims or step.claims_rest)
    listing = sources_path(ctx.maps_dir, step.task_name)

    def body(task_ctx: Context) -> list[Path]:
        # Recorded before the step reads them (in its task's span): a source edited while it runs is stale
        # on the next run.
        stamps = source_listing(by_folder(sources), _read_or_none(listing)) if claiming else b""
        maps = upstream_maps(ctx, step, upstream)
        before = map_stamps(maps) if maps is not None else None  # likewise, before the step reads them
        run = StepRun(task_ctx, step, tuple(Path(s) for s in sources), upstream)
        result = guarded(step.owner, ctx.settings.debug, step.build, run)
        if not isinstance(result, StepResult):
            result = StepResult(files=tuple(result or ()))
        if step.target is not None:  # the index and publish steps, wasm:compile: no map of their own
            written = list(result.written)
        else:
            written = recorded(task_ctx, step.name, result.files, **dict(result.facts)) + list(result.written)
            for encoder in early:
                for record in result.files:
                    guarded(encoder.owner, ctx.settings.debug, encoder.early, task_ctx, record)
        if claiming or maps is not None:
            from pipeline.core.fs import write_atomic

            if claiming:  # built from them (or from none): the task's sources check holds until one changes
                write_atomic(listing, stamps)
            if maps is not None:  # what it read by name of the steps before it (upstream_unchanged)
                found = {name: record.as_dict() if record is not None else None
                         for name, record in sorted(run.reads.found.items())}
                write_atomic(upstream_path(ctx.maps_dir, step.task_name),
                             upstream_listing(before, found, run.reads.everything))
        return written

    return _in_task(ctx, task, body)


def upstream_maps(ctx: Context, step: Step, upstream: Iterable[tuple[str, str]]) -> list[str] | None:
    """The maps a ``cutoff`` step's upstream check compares (:func:`~pipeline.engine.checks.upstream_unchanged`),
    or None for a step without ``cutoff`` (it depends on each map as a doit ``file_dep``)."""
    from pipeline.engine.maps import map_path

    return [str(map_path(ctx.maps_dir, name)) for name, _ in upstream] if step.cutoff else None


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def recorded(ctx: Context, step: str, outputs: Iterable[OutputFile], **facts: Any) -> list[Path]:
    """Write a step's map (its files and facts for later steps); returns it and the files, for the events."""
    outputs = list(outputs)
    from pipeline.engine.maps import write_map

    return [write_map(ctx.maps_dir, step, outputs, **facts), *(ctx.out_dir / o.path for o in outputs)]


def run_gate(ctx: Context, gate: Gate, task: Any, **options: Any) -> dict[str, Any] | TaskFailed:
    """The action of every ``gate:<name>`` task: evaluate, publish the verdict the same way for every gate."""
    from functools import partial

    from pipeline.addons.manager import guarded

    return judge(ctx, gate, task, options, partial(guarded, gate.owner, ctx.settings.debug))


def judge(ctx: Context, gate: Gate, task: Any, options: dict[str, Any],
          call: Callable[..., Any] = lambda func, *args: func(*args)) -> dict[str, Any] | TaskFailed:
    """:func:`run_gate`'s work, each of the gate's methods run through ``call`` (for an addon's gate, the guard
    that names the addon in its errors; a built-in gate run from the remembered task list is called as it is,
    without importing the addon manager)."""
    from pipeline.gates.publish import publish_report

    def body(task_ctx: Context) -> list[Path]:
        from pipeline.observe import spans

        with spans.span("gate.evaluate", **{"vango.gate.name": gate.name}) as measured:
            report = call(gate.evaluate, task_ctx, options)
            if report is None:
                measured.set(**{"vango.gate.verdict": "skipped"})
                return []
            written = publish_report(task_ctx, gate, report)
            call(gate.after_report, task_ctx, report, options)
            code = call(gate.exit_code, report, options)
            measured.set(**{"vango.gate.verdict": "fail" if code else "pass", "vango.gate.exit_code": code or 0})
        if code:
            from pipeline.gates.publish import relative

            raise GateFailed(call(gate.summary, report, code, relative(written)), code)
        return [written]

    return _in_task(ctx, task, body)


def fingerprint(ctx: Context) -> str:
    """The pipeline's code and every installed addon's (through the lock's digest, which covers their trees)."""
    addons = ctx.addons.lock_digest if ctx.addons is not None else ""
    own = pipeline_fingerprint(ctx.cache_dir / "fingerprints")
    return f"{own}+{addons[:16]}" if addons else own


def settings_changed(ctx: Context, settings: Any) -> Any:
    """doit ``uptodate`` check that re-runs a task when the config values its output depends on, the
    pipeline's code or an addon's code change."""
    # The publishing rule decides which files reach every step: a change to it re-runs them all.
    publish = {"include": ctx.config.publish.include, "exclude": ctx.config.publish.exclude}
    return config_changed(json.dumps({"settings": settings, "pipeline": fingerprint(ctx), "publish": publish},
                                     sort_keys=True, default=str))
