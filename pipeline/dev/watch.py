"""Watch mode: rebuild what changed, coalescing bursts, and tell the dev server what happened.

The watched files are the tasks' own inputs, their ``file_dep``s and claimed sources (and the folders
holding them, so new files are seen), never a hard-coded list; the pipeline's outputs (build folder, dist,
the doit DB) are ignored.
Builds run doit in-process on the dev profile; doit's own up-to-date checks make a CSS edit run the CSS
steps and never the Go compile. A failing build keeps the last good output, which is only ever replaced
by an atomic swap.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from doit.cmd_base import DoitCmdBase

from pipeline.core.fs import is_junk
from pipeline.core.jsonio import read_json_or_none
from pipeline.observe import events, log

if TYPE_CHECKING:
    from pipeline.config.context import Settings

STYLE_SUFFIXES = frozenset({".css"})

RELOAD, DEVTOOLS = "reload", "devtools"


class Publisher(Protocol):
    def publish(self, channel: str, message: dict[str, Any]) -> None: ...


# ---------------------------------------------------------------- what to watch, what it affects


def watched(tasks: Iterable[Any], ignore: Iterable[Path]) -> tuple[set[Path], set[Path]]:
    """(files, folders): every task's inputs outside the pipeline's own outputs, and their folders."""
    ignored = [p.resolve() for p in ignore]
    files: set[Path] = set()
    for task in tasks:
        for dep in inputs_of(task):
            path = Path(dep).resolve()
            if not any(path == i or path.is_relative_to(i) for i in ignored):
                files.add(path)
    return files, {f.parent for f in files}


def inputs_of(task: Any) -> list[str]:
    """A task's files: its ``file_dep``s and the sources a step claimed (``meta["sources"]``, which a check of
    their stamps covers instead of a ``file_dep`` each)."""
    meta = getattr(task, "meta", None) or {}
    return [*getattr(task, "file_dep", ()), *meta.get("sources", ())]


def relevant(path: Path, files: set[Path], folders: set[Path], ignore: Iterable[Path]) -> bool:
    """A change matters if it touches a dependency or anything below a dependency's folder (a new .go file,
    an image in a new subfolder); the pipeline's own outputs and editor droppings never do."""
    path = path.resolve()
    if any(is_junk(part) for part in path.parts) or any(path == i or path.is_relative_to(i)
                                                         for i in (p.resolve() for p in ignore)):
        return False
    return path in files or any(path.is_relative_to(folder) for folder in folders)


def affected_tasks(tasks: Iterable[Any], changed: Iterable[Path]) -> set[str]:
    """Tasks that depend on a changed file, directly or through another task's targets (for the DevTools
    view and tests; doit itself decides what actually runs)."""
    tasks = list(tasks)
    changed_paths = {Path(c).resolve() for c in changed}
    producer = {Path(t).resolve(): task.name for task in tasks for t in getattr(task, "targets", ())}
    dependents: dict[str, set[str]] = {}
    for task in tasks:
        for dep in getattr(task, "file_dep", ()):
            source = producer.get(Path(dep).resolve())
            if source:
                dependents.setdefault(source, set()).add(task.name)
        for dep in getattr(task, "task_dep", ()):
            dependents.setdefault(dep, set()).add(task.name)
    hit = {task.name for task in tasks if changed_paths & {Path(d).resolve() for d in inputs_of(task)}}
    queue = list(hit)
    while queue:
        for nxt in dependents.get(queue.pop(), ()):
            if nxt not in hit:
                hit.add(nxt)
                queue.append(nxt)
    return hit


def styles_only(changed: Iterable[Path]) -> bool:
    """Only stylesheets changed: the page can swap them in place instead of reloading."""
    changed = list(changed)
    return bool(changed) and all(Path(c).suffix.lower() in STYLE_SUFFIXES for c in changed)


def patch(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a build changed in the served output, by logical name: sizes and hashes before and after."""
    old = (before or {}).get("assets", {})
    new = after.get("assets", {})
    entries = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a and b and a["hash"] == b["hash"] and a["path"] == b["path"]:
            continue
        change = "added" if a is None else "removed" if b is None else "modified"
        entries.append({
            "name": name, "path": (b or a)["path"], "change": change,
            "before": {"size": a["size"], "hash": a["hash"], "path": a["path"]} if a else None,
            "after": {"size": b["size"], "hash": b["hash"], "path": b["path"]} if b else None,
        })
    return entries


def stylesheet_swaps(entries: Iterable[Mapping[str, Any]], manifest: Mapping[str, Any]) -> list[dict[str, str]]:
    """The live-reload ``css`` message's changes: old and new URL of each rebuilt stylesheet."""
    base, assets = manifest.get("base", "/"), manifest.get("assets", {})
    return [{"from": base + e["before"]["path"], "to": base + e["after"]["path"],
             "integrity": assets.get(e["name"], {}).get("integrity", "")}
            for e in entries if e["change"] == "modified" and e["path"].endswith(".css")]


# ---------------------------------------------------------------- coalescing


@dataclass
class BuildQueue:
    """At most one build at a time; changes arriving during a build are merged into exactly one
    follow-up build, so a burst of saves never queues a build per file."""

    run: Callable[[set[Path]], None]
    _pending: set[Path] = field(default_factory=set)
    _busy: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _idle: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._idle.set()

    def submit(self, changes: Iterable[Path]) -> bool:
        """Hand over changed paths; True when this call started a build (in a worker thread)."""
        with self._lock:
            self._pending.update(changes)
            if self._busy or not self._pending:
                return False
            self._busy = True
            self._idle.clear()
        threading.Thread(target=self._loop, name="vango-build", daemon=True).start()
        return True

    def _loop(self) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, set()
                if not batch:
                    self._busy = False
                    self._idle.set()
                    return
            try:
                self.run(batch)
            except Exception:  # a bug in one build must not stop watching
                log.get_logger("watch").exception("the build crashed")

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)


# ---------------------------------------------------------------- building in-process


class _Errors(logging.Handler):
    """Collects the error lines logged during one build (config errors end the run before any task)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass
class BuildResult:
    id: int
    ok: bool
    trigger: list[str]
    tasks: list[dict[str, Any]]
    patch: list[dict[str, Any]]
    error: dict[str, str] | None
    duration_s: float


class DevToolsFeed:
    """Bus subscriber for one build: the DevTools channel's messages (``build.started``, ``task``, ``span``,
    ``build.finished``), all derived from the build's events; also keeps the task statuses and the first
    failure for the build's result."""

    def __init__(self, publish: Callable[[str, dict[str, Any]], None], build_id: int, trace_id: str) -> None:
        self.publish, self.build_id, self.trace_id = publish, build_id, trace_id
        self.statuses: list[dict[str, Any]] = []
        self.failure: dict[str, str] | None = None
        self._spans: set[str] = set()  # a span replayed after loading is shown once

    def __call__(self, event: events.Event) -> None:
        d = event.data
        status = {events.TASK_EXECUTED: "executed", events.TASK_UPTODATE: "uptodate",
                  events.TASK_FAILED: "failed"}.get(event.kind)
        if event.kind == events.WATCH_STARTED and d.get("id") == self.build_id:
            self.publish(DEVTOOLS, {"type": "build.started", "id": self.build_id, "trigger": d["trigger"],
                                    "ts": event.time, "affected": d["affected"]})
        elif status and event.trace_id == self.trace_id:
            entry = {"task": event.task, "status": status, "duration_s": d.get("duration_s", 0.0)}
            self.statuses.append(entry)
            self.publish(DEVTOOLS, {"type": "task", "id": self.build_id, **entry})
            if status == "failed" and self.failure is None:
                self.failure = {"task": str(event.task), "message": d.get("error", "")}
        elif (event.kind == events.SPAN_FINISHED and event.trace_id == self.trace_id  # not the server's requests
              and d["span_id"] not in self._spans):
            self._spans.add(d["span_id"])
            self.publish(DEVTOOLS, {"type": "span", "id": self.build_id, "name": d["name"], "task": d.get("task"),
                                    "span_id": d["span_id"], "parent_id": d.get("parent_id") or "",
                                    "start": d["start_ns"] / 1e9, "duration_s": d["duration_s"],
                                    "status": d.get("status", "ok")})
        elif event.kind == events.WATCH_BUILD and d.get("id") == self.build_id:
            self.publish(DEVTOOLS, {"type": "build.finished", "id": self.build_id, "ok": d["ok"],
                                    "duration_s": d["duration_s"], "tasks": d["tasks"], "patch": d["patch"],
                                    "error": d["error"]})


class DevSession:
    """Runs builds on the dev profile and publishes what happened to the dev server's hub."""

    def __init__(self, settings: Settings, publisher: Publisher | None = None, target: str = "release"):
        self.settings = settings
        self.publisher = publisher
        self.target = target
        self._counter = 0
        self.last: BuildResult | None = None
        self._was_broken = False
        self._tasks: list[Any] = []  # as loaded after the last build (for the watched set and DevTools)
        self._namespace: dict[str, Any] | None = None
        self._addons_digest: str | None = None
        self._warned_addons = False

    def paths(self) -> Any:
        """The folders :func:`watch` looks at: the app (watched), build and output (ignored)."""
        return self.settings.paths()

    def _publish(self, channel: str, message: dict[str, Any]) -> None:
        if self.publisher is not None:
            self.publisher.publish(channel, message)

    def namespace(self) -> dict[str, Any]:
        """A fresh dodo namespace: config, addons and file lists are read again for every build."""
        from pipeline.engine.loader import namespace

        # Never the remembered task list: this process keeps what it loaded (addons, the toolchain), and it
        # watches the tasks' inputs itself.
        return namespace(self.build_settings(), remembered=False)

    def build_settings(self) -> Settings:
        """Each build is a run of its own (its own run id, so its own trace): "<session run id>.<build number>"."""
        # Dev builds are not CI runs: their metrics stay in build/dev/reports, never on a Pushgateway.
        return replace(self.settings, run_id=f"{self.settings.run_id}.{max(self._counter, 1)}", push_gateway="")

    def _check_addons(self) -> None:
        """Addon modules stay imported for the life of the process: say so when addons.lock changed under it."""
        session = self._namespace.get("VANGO_SESSION") if self._namespace else None
        digest = session.ctx.addons.lock_digest if session is not None and session.ctx is not None else None
        if digest is None:
            return
        if self._addons_digest is None:
            self._addons_digest = digest
        elif digest != self._addons_digest and not self._warned_addons:
            self._warned_addons = True
            log.get_logger("watch").warning("the installed addons changed since this process started; restart it "
                                            "to load them", extra={"event": "watch.addons_changed"})

    def extra_paths(self) -> set[Path]:
        """What the addons ask to watch besides the tasks' inputs (``vango_watch_paths``)."""
        session = self._namespace.get("VANGO_SESSION") if self._namespace else None
        if session is None or session.ctx is None:
            return set()
        from pipeline.addons.manager import collect

        return {Path(p).resolve() for _, p in collect(session.ctx.addons, "vango_watch_paths", ctx=session.ctx)}

    def load_tasks(self) -> list[Any]:
        """The current task list, as doit loads it; empty while the configuration is broken (the build
        reports why), so watching goes on and a fix is picked up."""
        from doit.loader import load_tasks

        from pipeline.core.errors import PipelineError

        logger = logging.getLogger(log.LOGGER_NAME)
        level = logger.level
        logger.setLevel(logging.CRITICAL)  # the build that just ran has reported any problem already
        try:
            self._namespace = self.namespace()
            self._tasks = load_tasks(self._namespace, [])
        except (SystemExit, PipelineError):
            self._tasks = []
        finally:
            logger.setLevel(level)
        self._check_addons()
        return self._tasks

    def build(self, changed: Iterable[Path] = ()) -> BuildResult:
        from doit.cmd_base import ModuleTaskLoader
        from doit.doit_cmd import DoitMain

        self._counter += 1
        build_id, started = self._counter, time.perf_counter()
        cwd = Path.cwd()
        trigger = sorted(_shown(p, cwd) for p in changed)
        built = self.build_settings()
        feed = DevToolsFeed(self._publish, build_id, built.trace().trace_id)
        unsubscribe = events.subscribe(feed)
        errors = _Errors()
        logging.getLogger(log.LOGGER_NAME).addHandler(errors)
        try:
            events.emit(events.Event(events.WATCH_STARTED, data={
                "id": build_id, "trigger": trigger,
                "affected": sorted(affected_tasks(self._tasks, changed)) if self._tasks else []}))
            manifest_path = self.paths().dist_dir / "asset-manifest.json"
            before = read_json_or_none(manifest_path)
            try:
                code = DoitMain(ModuleTaskLoader(self.namespace())).run(["run", self.target])
            except SystemExit as exc:  # bad configuration while loading tasks
                code = exc.code if isinstance(exc.code, int) else 2
            finally:
                logging.getLogger(log.LOGGER_NAME).removeHandler(errors)
            failure = feed.failure
            if code != 0 and failure is None:
                failure = {"task": "config",
                           "message": errors.messages[0] if errors.messages else f"exit code {code}"}
            after = read_json_or_none(manifest_path)
            changes = patch(before, after) if code == 0 and after else []
            result = BuildResult(build_id, code == 0, trigger, feed.statuses, changes, failure,
                                 round(time.perf_counter() - started, 4))
            executed = [t["task"] for t in feed.statuses if t["status"] == "executed"]
            events.emit(events.Event(events.WATCH_BUILD, data={
                "id": build_id, "ok": result.ok, "exit_code": code, "executed": executed, "trigger": trigger,
                "error": failure["message"] if failure else None, "duration_s": result.duration_s,
                "tasks": result.tasks, "patch": result.patch}))
        finally:
            unsubscribe()
        self.last = result
        self._announce(result, changed, after)
        return result

    def _announce(self, result: BuildResult, changed: Iterable[Path], after: Mapping[str, Any] | None) -> None:
        """What open pages must do now (the reload channel: commands for pages, not events): the overlay
        for a failed build, its removal after a fix, then what the change asks for."""
        if not result.ok:
            self._was_broken = True
            self._publish(RELOAD, {"type": "error", **(result.error or {"task": "?", "message": "build failed"})})
            return
        if self._was_broken:
            self._was_broken = False
            self._publish(RELOAD, {"type": "ok"})
        self._announce_change(result, changed, after)

    def _announce_change(self, result: BuildResult, changed: Iterable[Path], after: Mapping[str, Any] | None) -> None:
        """A good build: swap the stylesheets in place when only they changed, else reload."""
        if not result.patch:
            return
        sent = sum(int((entry.get("after") or {}).get("size") or 0) for entry in result.patch)
        events.emit(events.Event(events.PATCH_SENT, data={"id": result.id, "bytes": sent,
                                                          "files": len(result.patch)}))
        swaps = stylesheet_swaps(result.patch, after or {})
        if styles_only(changed) and swaps:
            self._publish(RELOAD, {"type": "css", "changes": swaps})
        else:
            self._publish(RELOAD, {"type": "reload"})


def _shown(path: Path, cwd: Path) -> str:
    try:
        return Path(path).resolve().relative_to(cwd).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- the loop


def watch(session: DevSession, *, stop: threading.Event | None = None, debounce_ms: int = 200,
          on_ready: Callable[[], None] | None = None) -> None:
    """Build once, then rebuild on every relevant change until ``stop`` is set (or Ctrl-C).

    The watched set is recomputed after every build (new files, a changed config), without ever pausing
    the watcher, so no change is missed while it is refreshed.
    """
    import watchfiles

    stop = stop or threading.Event()
    paths = session.paths()
    ignore = [paths.build_dir, paths.dist_dir, paths.cache_dir, paths.db_path, *own_output_files()]
    logger = log.get_logger("watch")
    state: dict[str, set[Path]] = {}

    def refresh() -> None:
        tasks = session.load_tasks()
        files, folders = watched(tasks, ignore)
        for extra in session.extra_paths():
            if extra.is_dir():
                folders.add(extra)
            else:
                files.add(extra)
                folders.add(extra.parent)
        if not tasks:  # broken configuration: watch the whole app folder until it loads again
            folders = {paths.app_dir}
        state["files"], state["folders"] = files, folders

    def build(batch: set[Path]) -> None:
        session.build(batch)
        refresh()

    queue = BuildQueue(build)
    before = stat_snapshot(paths.app_dir, ignore)  # the OS watches start after the first build: see below
    build(set())
    roots = _roots({paths.app_dir, *state["folders"]})

    def keep(change: Any, path: str) -> bool:
        return relevant(Path(path), state["files"], state["folders"], ignore)

    ready = False
    # yield_on_timeout: the first (empty) yield comes once the OS watches exist; only then is it safe to say
    # "ready" (a change made earlier would be missed).
    for changes in watchfiles.watch(*roots, watch_filter=keep, debounce=debounce_ms, step=50, stop_event=stop,
                                    rust_timeout=200, yield_on_timeout=True, raise_interrupt=False):
        if not ready:
            ready = True
            events.emit(events.Event(events.WATCH_READY, data={"files": len(state["files"]),
                                                              "folders": len(state["folders"])}))
            if on_ready:
                on_ready()
            # What was saved while the first build ran, before the watches existed, is built now.
            missed = {p for p in changed_since(before, stat_snapshot(paths.app_dir, ignore))
                      if relevant(p, state["files"], state["folders"], ignore)}
            if missed:
                logger.info("changed during the first build: %s",
                            ", ".join(sorted(_shown(p, Path.cwd()) for p in missed))[:300])
                queue.submit(missed)
        if not changes:
            continue
        batch = {Path(p) for _, p in changes}
        logger.info("changed: %s", ", ".join(sorted(_shown(p, Path.cwd()) for p in batch))[:300])
        queue.submit(batch)
    queue.wait_idle(timeout=600)


def own_output_files() -> list[Path]:
    """The files this process's stdout and stderr are redirected to (``vango dev > app/dev.log``): writing the
    log must never look like an edit, or a failing build would rebuild for ever."""
    found = []
    for fd in (1, 2):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/") and Path(target).is_file():
            found.append(Path(target))
    return found


def stat_snapshot(root: Path, ignore: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    """(mtime_ns, size) of every file below ``root`` outside the pipeline's own outputs."""
    ignored = {str(p.resolve()) for p in ignore}
    state: dict[Path, tuple[int, int]] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not is_junk(d) and str((Path(folder) / d).resolve()) not in ignored]
        for name in names:
            path = Path(folder) / name
            if is_junk(name) or str(path.resolve()) in ignored:
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            state[path.resolve()] = (st.st_mtime_ns, st.st_size)
    return state


def changed_since(before: Mapping[Path, tuple[int, int]], after: Mapping[Path, tuple[int, int]]) -> set[Path]:
    """Files added, removed or changed between two snapshots."""
    return {p for p in set(before) | set(after) if before.get(p) != after.get(p)}


def _roots(folders: set[Path]) -> list[Path]:
    """The fewest folders covering all of ``folders`` (watching a parent also sees its children)."""
    roots: list[Path] = []
    for folder in sorted(folders, key=lambda p: len(p.parts)):
        if folder.is_dir() and not any(folder.is_relative_to(r) for r in roots):
            roots.append(folder)
    return roots


# ---------------------------------------------------------------- `doit watch`

opt_debounce = {
    "name": "debounce", "long": "debounce", "type": int, "default": 200,
    "help": "milliseconds of quiet before a burst of changes is built [default: %(default)s]",
}


class WatchCommand(DoitCmdBase):
    """``doit watch``: registered in pyproject.toml under ``[tool.doit.plugins.command]`` (doit's own
    ``auto`` is gone and its plugin needs pyinotify, which fails on current Pythons)."""

    name = "watch"
    doc_purpose = "rebuild on every change of the tasks' inputs (dev profile); `vango dev` also serves it"
    doc_usage = ""
    doc_description = None
    cmd_options = (opt_debounce,)

    def execute(self, params: Any, args: Any) -> int:
        from pipeline.config.context import DEV, Settings

        self.loader.setup(params)
        self.loader.load_doit_config()  # imports the dodo file, which may name the app
        settings = Settings.from_environment(profile=DEV)
        log.setup(settings.log_format, settings.log_level, run=settings.run_id)
        with contextlib.suppress(KeyboardInterrupt):
            watch(DevSession(settings, None), debounce_ms=params["debounce"])
        return 0
