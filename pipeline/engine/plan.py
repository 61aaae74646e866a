"""The task list, remembered between runs in ``build/plan.json``, so that a no-op run loads nothing of the pipeline: no
config, no addons, no registry, no steps; doit only checks the remembered tasks.

A full load records what it looked at (:class:`pipeline.engine.recording.Recorder`): every file it opened, every
folder it listed, every path whose existence or type it asked about (a missing one too), with
:func:`pipeline.core.fs.stamp_of` of each, taken when it looked. The plan keeps the tasks (names, dependencies,
targets, up-to-date checks, documentation, task options: no actions) under a key of everything else they follow
from: the settings (not the run id or the logging), the Go environment variables, ``PATH``, ``PYTHONPATH``, ``HOME``
and ``XDG_CONFIG_HOME``, the interpreter and ``sys.path`` (installing or upgrading a package changes a folder
there), doit's version and the listing of the pipeline's own code.

A run uses the plan when the key matches and every stamp does; otherwise it loads in full, as before, and remembers
again. doit then checks the remembered tasks against its database as it would the real ones (the bytes of the web
folder's files, say, are its business, not the plan's). An action of a remembered task that must run (an edit, a
gate, ``doit -a``) loads the pipeline then, once per process, and runs the real task, after checking it is the one
remembered (:func:`run_planned`).

Never remembered, so such a run loads in full every time: a load that installed addons take part in (their hooks may
read anything), that ran a program, that logged a warning (it would not be repeated) or ran at a log level that hides
warnings, that looked at a file changed
within two seconds of the load's start (git's "racy" rule), or whose tasks hold something a plan cannot describe.
``build/``, ``dist/`` and the cache are never stamped: what is kept there is checked by the tasks themselves (the
outputs of every step, dist/ against its publish record). A folder in the app that holds them is stamped by its
listing without them, since a publish renames dist/ in it; one above the app, only as being a folder. Only a
process's first load is remembered: a later one would not see what the first cached (the Go toolchain, say).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config.settings import Settings
from pipeline.engine.recording import Recorder, WarningCounter, site_dirs, unchanged
from pipeline.observe import log

if TYPE_CHECKING:
    from pipeline.engine.loader import Session

NAME = "plan.json"
VERSION = 1
ENV_PREFIXES = ("GO", "CGO_")  # the VANGO_ variables are in the settings
ENV_NAMES = ("PATH", "PYTHONPATH", "HOME", "XDG_CONFIG_HOME")  # Go reads its `go env -w` file below them
VOLATILE = ("run_id", "trace_seed", "traceparent", "push_gateway", "log_format", "log_level")  # per run
TASK_KEYS = {"name", "doc", "actions", "file_dep", "task_dep", "targets", "uptodate", "clean", "verbosity",
             "params", "meta"}  # meta (the watcher's) is not remembered: vango dev never uses a plan
PARAM_TYPES = {"str": str, "int": int, "bool": bool, "float": float, "list": list}


def recorder(settings: Settings) -> Recorder:
    """A recorder for a full load, keyed by what holds before it starts."""
    return Recorder(settings, key_of(settings))


def plan_path(settings: Settings) -> Path:
    return settings.paths().build_dir / NAME


def key_of(settings: Settings) -> dict[str, Any]:
    """Everything the task list follows from besides the files its loading looked at."""
    import doit

    from pipeline.config import settings as settings_module
    from pipeline.engine.fingerprint import listing_digest

    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES) or k in ENV_NAMES}
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings) if f.name not in VOLATILE}
    return json.loads(json.dumps({
        "version": VERSION, "settings": fields, "paths": dataclasses.astuple(settings.paths()),
        "default_app": settings_module._default_app, "cwd": os.getcwd(), "env": env,
        "python": [sys.prefix, sys.base_prefix, sys.version, site_dirs()], "doit": doit.__version__,
        "code": listing_digest(),
    }, sort_keys=True, default=str))


# -------------------------------------------------------------------- remembering


def remember(session: Session, recorder: Recorder) -> bool:
    """Keep the session's task list for the next run, unless it cannot be trusted then; True when kept."""
    from pipeline.core.fs import write_atomic

    path = plan_path(session.settings)
    stamps = recorder.stamps()
    try:
        tasks = {basename: _described(generated) for basename, generated in session.tasks.items()}
    except _Undescribable as exc:
        recorder.unsafe = recorder.unsafe or str(exc)
    if recorder.unsafe:
        path.unlink(missing_ok=True)
        session.ctx.logger.debug("the task list is not remembered: %s", recorder.unsafe,
                                 extra={"event": "plan.skipped"})
        return False
    docs = {basename: getattr(creator, "__doc__", None) for basename, creator in session._creators.items()}
    data = {"key": recorder.key, "stamps": stamps, "tasks": tasks, "docs": docs, "app": recorder.app}
    write_atomic(path, json.dumps(data, separators=(",", ":")).encode())
    return True


class _Undescribable(Exception):
    pass


def _described(generated: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    if isinstance(generated, dict):
        return _task(generated)
    return [_task(t) for t in generated]


def _task(task: dict[str, Any]) -> dict[str, Any]:
    from doit.tools import config_changed

    unknown = set(task) - TASK_KEYS
    if unknown:
        raise _Undescribable(f"a task has {sorted(unknown)[0]!r}")
    out: dict[str, Any] = {k: task[k] for k in ("name", "doc", "verbosity") if k in task}
    out["file_dep"] = sorted(os.fspath(p) for p in task.get("file_dep", []))
    out["task_dep"] = list(task.get("task_dep", []))
    out["targets"] = [os.fspath(p) for p in task.get("targets", [])]
    clean = task.get("clean", False)
    if not isinstance(clean, bool):
        raise _Undescribable("a task cleans with its own action")
    if clean:
        out["clean"] = True
    checks: list[Any] = []
    for check in task.get("uptodate", []):
        if isinstance(check, bool) or check is None:
            checks.append(check)
        elif isinstance(check, config_changed) and isinstance(check.config, str) and check.encoder is None:
            checks.append({"config": check.config})
        elif getattr(check, "plan", None) is not None:
            checks.append({"check": check.plan})
        else:
            raise _Undescribable("a task has an up-to-date check a plan cannot describe")
    out["uptodate"] = checks
    params = []
    for param in task.get("params", []) or []:
        kind = param.get("type", str)
        names = [n for n, t in PARAM_TYPES.items() if t is kind]
        if not names or not all(isinstance(v, str | int | bool | float | list | type(None)) for k, v in param.items()
                                if k != "type"):
            raise _Undescribable("a task option a plan cannot describe")
        params.append({**{k: v for k, v in param.items() if k != "type"}, "type": names[0]})
    if params:
        out["params"] = params
    gate = _builtin_gate(task.get("actions") or [])
    if gate is not None:
        out["gate"] = gate
    return out


def _builtin_gate(actions: list[Any]) -> list[str] | None:
    """``[module:Class, owner]`` of the built-in gate a gate task judges with, which can run from the plan."""
    from pipeline.addons.manager import builtin_addons

    if len(actions) != 1 or not isinstance(actions[0], tuple) or len(actions[0]) != 2:
        return None
    func, args = actions[0]
    if getattr(func, "__module__", "") != "pipeline.engine.tasks" or getattr(func, "__name__", "") != "run_gate":
        return None
    gate = args[1]
    if getattr(gate, "owner", None) not in {a.name for a in builtin_addons()}:
        return None
    return [f"{type(gate).__module__}:{type(gate).__qualname__}", gate.owner]


# -------------------------------------------------------------------- recalling


def recall(settings: Settings) -> dict[str, Any] | None:
    """The dodo namespace of the remembered task list, when its key and every stamp still hold; else None (the
    caller loads in full). A plan that is missing, unreadable or malformed is one that does not hold."""
    path = plan_path(settings)
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("key") != key_of(settings):
            return None
        for name, follow, stamp in data["stamps"]:
            if not unchanged(name, follow, stamp):
                return None
        return _namespace(settings, data["tasks"], data["docs"], data["app"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _dicts(tasks: dict[str, Any], settings: Settings, logger: Any) -> dict[str, Any]:
    """doit task dicts by basename, their actions those of :func:`run_planned`."""
    made: dict[str, Any] = {}
    for basename, described in tasks.items():
        if isinstance(described, dict):
            made[basename] = _stub(basename, described, settings, logger)
        else:
            made[basename] = [_stub(basename, t, settings, logger) for t in described]
    return made


def _stub(basename: str, described: dict[str, Any], settings: Settings, logger: Any) -> dict[str, Any]:
    from doit.tools import config_changed

    from pipeline.engine.checks import rebuild

    task = {k: v for k, v in described.items() if k not in ("uptodate", "params", "gate")}
    full = f"{basename}:{described['name']}" if "name" in described else basename
    task["actions"] = [(run_planned, [settings, full, described])]
    checks: list[Any] = []
    for check in described["uptodate"]:
        if isinstance(check, dict) and "config" in check:
            checks.append(config_changed(check["config"]))
        elif isinstance(check, dict):
            checks.append(rebuild(check["check"], logger))
        else:
            checks.append(check)
    task["uptodate"] = checks
    if "params" in described:
        task["params"] = [{**p, "type": PARAM_TYPES[p["type"]]} for p in described["params"]]
    return task


class Planned:
    """The session of a run whose tasks come from the plan: what the reporter asks of a session."""

    ctx = None
    error = None

    def __init__(self, settings: Settings, app: dict[str, Any]):
        self.settings = settings
        self.app = app
        self.started_ns = time.time_ns()
        self.load_spans: list[dict[str, Any]] = []

    def subscribe(self) -> list[Callable[[], None]]:
        from pipeline.observe.metrics import RunMetrics
        from pipeline.observe.run_subscribers import attach_own

        logger = log.get_logger()
        logger.debug("the task list is that of %s: nothing of the pipeline was loaded", plan_path(self.settings),
                     extra={"event": "plan.remembered"})
        version = self.app["go_version"]
        metrics = RunMetrics(Path(self.app["reports"]), Path(self.app["manifest"]), app=self.app["name"],
                             go_version=lambda: version, push_gateway=self.settings.push_gateway,
                             warn=lambda line: logger.warning("%s", line, extra={"event": "metrics.push_failed"}))
        return attach_own(metrics)


def _namespace(settings: Settings, tasks: dict[str, Any], docs: dict[str, Any], app: dict[str, Any]) -> dict[str, Any]:
    from pipeline.engine.loader import doit_config, task_function

    logger = log.get_logger()
    made = _dicts(tasks, settings, logger)

    session = Planned(settings, app)
    return {"DOIT_CONFIG": doit_config(settings, session),
            **{f"task_{b}": task_function(b, partial(_generated, made[b]), docs.get(b)) for b in made}}


def _generated(made: dict[str, Any] | list[dict[str, Any]]) -> Any:
    return made if isinstance(made, dict) else (t for t in made)


# -------------------------------------------------------------------- running a remembered task

_loaded: list[tuple[Settings, Session, list[dict[str, Any]]]] = []  # this process's load, and its spans to hand on


def run_planned(settings: Settings, name: str, described: dict[str, Any], task: Any) -> Any:
    """The action of a remembered task that doit found stale (an edit of a file the load never looks at, such
    as a stylesheet's bytes) or that always runs (a gate): load the pipeline (once per process), find the real
    task, check that it is the one remembered (``described``: dependencies, targets, checks, options), and
    run its actions as doit would. A different task, a load error or a load warning forgets the plan (the next
    run loads in full, and says so again); a different task also fails the run: run it again."""
    from doit.action import create_action

    from pipeline.engine.tasks import PipelineFailed

    gate = _light_gate(described, task.options) if "gate" in described else None
    if gate is not None:
        return _judge(settings, gate, task)
    session, pending = _session(settings)
    if session.error is not None:
        plan_path(settings).unlink(missing_ok=True)
        return PipelineFailed("\n".join(session.error.lines()), session.error.exit_code)
    real = _find(session, name)
    try:
        same = real is not None and _task(real) == described
    except _Undescribable:
        same = False
    if not same:
        plan_path(settings).unlink(missing_ok=True)
        return PipelineFailed(f"the task list changed while {name} was checked: run the build again")
    values: dict[str, Any] = {}
    for spec in real["actions"]:
        action = create_action(spec, task, "actions")
        failure = action.execute(out=sys.stdout, err=sys.stderr)  # this action's streams, as doit set them
        if failure is not None:
            return failure
        values.update(action.values or {})
    if pending:  # the load's own spans (go list) reach the run's bus with this task's, from a worker too
        values["spans"] = [*pending, *values.get("spans", [])]
        pending.clear()
    return values


def _light_gate(described: dict[str, Any], options: dict[str, Any]) -> Any:
    """The built-in gate of a remembered gate task, when judging with these options needs only the settings and
    paths (``gate:size`` without ``--why``); else None."""
    import importlib

    reference, owner = described.get("gate") or ("", "")
    module, _, name = reference.partition(":")
    if not module.startswith("pipeline.") or not name:
        return None
    gate = getattr(importlib.import_module(module), name)()
    gate.owner = owner
    return None if gate.reads_config(options) else gate


def _judge(settings: Settings, gate: Any, task: Any) -> Any:
    """Run a light gate as its task would (:func:`pipeline.engine.tasks.run_gate`), on a context of the settings
    and paths: the plan holding means the config, the addons and the task are those of the load it remembers, so
    nothing of them is loaded or checked again."""
    from pipeline.config.context import Context
    from pipeline.engine.tasks import judge

    ctx = Context(settings, settings.paths(), None)  # type: ignore[arg-type]  # the config is never read
    return judge(ctx, gate, task, dict(task.options))


def _session(settings: Settings) -> tuple[Session, list[dict[str, Any]]]:
    from pipeline.engine.loader import Session

    if _loaded and _loaded[0][0] == settings:
        return _loaded[0][1], _loaded[0][2]
    counter = WarningCounter()
    logger = logging.getLogger(log.LOGGER_NAME)
    logger.addHandler(counter)
    try:
        session = Session(settings)
    finally:
        logger.removeHandler(counter)
    if counter.count or not logger.isEnabledFor(logging.WARNING):  # a full load would say it every run: so
        plan_path(settings).unlink(missing_ok=True)  # must the next one
    _loaded[:] = [(settings, session, list(session.load_spans))]
    return session, _loaded[0][2]


def _find(session: Session, name: str) -> dict[str, Any] | None:
    basename, _, sub = name.partition(":")
    generated = session.tasks.get(basename)
    if isinstance(generated, dict):
        return generated if not sub else None
    for task in generated or []:
        if task.get("name") == sub:
            return task
    return None
