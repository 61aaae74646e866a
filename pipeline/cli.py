"""``vango``: the pipeline's command line, a thin layer over doit running :mod:`pipeline.dodo`.

``vango build`` in an app folder (one with vango.json) builds it into ./dist; ``--app`` points elsewhere.
``vango dev`` watches, rebuilds and serves the app with live reload.
Exit codes are doit's: 0 success, 1 a task failed (e.g. a Go compile error), 2 bad configuration,
3 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.config.settings import DEV, Settings
from pipeline.observe import log

if TYPE_CHECKING:
    from pipeline.config.context import Context


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage()
        self.exit(3, f"{self.prog}: error: {message}\n")  # usage errors are 3, like doit's (2 is bad config)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vango", description="Build Vango (Go -> WebAssembly) apps.")
    parser.add_argument("--version", action="version", version=f"vango-pipeline {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--app", metavar="DIR", help="app folder with vango.json (default: current folder)")
        p.add_argument("--dist", metavar="DIR", help="output folder (default: ./dist)")
        p.add_argument("--build-dir", metavar="DIR", help="intermediate files and doit DB (default: ./build)")
        p.add_argument("--log-format", choices=log.FORMATS, help="human (default) or json, one object per line")
        p.add_argument("--debug", action="store_true", help="show the traceback of a failing addon")

    # No abbreviations: a task's own option (gate:size --why) must never be read as a prefix of one of ours.
    build = sub.add_parser("build", help="build the app into dist/ (runs doit's 'release' task)", allow_abbrev=False)
    common(build)
    build.add_argument("-n", "--process", type=int, metavar="N", help="run up to N tasks in parallel")
    build.add_argument("-a", "--always", action="store_true", help="run every task even if up to date")
    build.add_argument("--pwa", action="store_true", help="build a Progressive Web App even if vango.json does not "
                       "enable it (needs pwa.icon)")
    build.add_argument("--push-gateway", metavar="URL", help="also push the run's metrics to this Prometheus "
                       "Pushgateway (or VANGO_PUSH_GATEWAY)")
    build.add_argument("tasks", nargs="*", help="tasks to run instead of 'release' (see 'vango list'), each followed "
                       "by its own options (vango build gate:size --why)")

    dev = sub.add_parser("dev", help="watch, rebuild (dev profile) and serve with live reload and DevTools events")
    common(dev)
    dev.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    dev.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    dev.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                     help="extra Host name the server answers to (it answers to IPs and localhost)")
    dev.add_argument("--debounce", type=int, default=200, metavar="MS", help="quiet time before a rebuild")

    init = sub.add_parser("init", help="make a folder a Vango app: a starter app in an empty folder, or adopt an "
                          "existing Go wasm project with the least change")
    init.add_argument("folder", nargs="?", default=".", help="the folder (default: the current one)")
    init.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")

    listing = sub.add_parser("list", help="list the pipeline's tasks")
    common(listing)
    listing.add_argument("--graph", action="store_true", help="the task graph by role, with the installed addons")
    clean = sub.add_parser("clean", help="remove everything the pipeline wrote under build/ (dist/ stays)")
    common(clean)
    schema = sub.add_parser("schema", help="print vango.json's JSON Schema with every installed addon's section")
    common(schema)
    schema.add_argument("-o", "--output", metavar="FILE", help="write it to FILE instead (for \"$schema\")")

    from pipeline.cli_addon import add_addon_parser
    from pipeline.docs.cli import add_parser as add_docs_parser

    add_addon_parser(sub, common)
    add_docs_parser(sub)
    return parser


def _doit(argv: list[str], settings: Settings) -> int:
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    from pipeline.engine.loader import namespace

    try:
        return DoitMain(ModuleTaskLoader(namespace(settings))).run(argv)
    except SystemExit as exc:  # raised for bad configuration while tasks load
        return exc.code if isinstance(exc.code, int) else 2


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    """The edit-refresh loop on the app (see :mod:`pipeline.dev.loop`)."""
    from pipeline.dev.loop import serve_while_watching
    from pipeline.dev.server import Hub, create_app
    from pipeline.dev.server.extend import addon_setup
    from pipeline.dev.watch import DevSession

    paths = settings.paths()
    ctx = _context(settings)
    entry, base = (ctx.config.entry, ctx.config.base) if ctx else ("index.html", "/")
    hub = Hub()
    app = create_app(lambda: paths.dist_dir, hub, entry=entry, base=base, allowed_hosts=args.allowed_host or None,
                     extensions=addon_setup(ctx))
    return serve_while_watching(app, DevSession(settings, hub), host=args.host, port=args.port, base=base,
                                debounce_ms=args.debounce)


def _context(settings: Settings) -> Context | None:
    """The context if vango.json is valid now; a broken config is reported by the first build instead."""
    from pipeline.core.errors import PipelineError

    try:
        from pipeline.config.context import Context

        return Context.load(settings)
    except PipelineError:
        return None


def settings_from(args: argparse.Namespace, **extra: object) -> Settings:
    """Flags over environment, once: the only place the command line meets the environment."""
    def absolute(value: str | None) -> Path | None:
        return Path(os.path.abspath(value)) if value else None

    return Settings.from_environment(
        app=absolute(getattr(args, "app", None)), dist=absolute(getattr(args, "dist", None)),
        build=absolute(getattr(args, "build_dir", None)), log_format=getattr(args, "log_format", None),
        debug=True if getattr(args, "debug", False) else None,
        force_pwa=True if getattr(args, "pwa", False) else None,
        push_gateway=getattr(args, "push_gateway", None), **extra)


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; for ``build``, options after a task name that are not vango's belong to that task
    and go to doit with it, in their order (``vango build gate:size --baseline base.json --why``)."""
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(argv)
    if not unknown:
        return args
    if args.command != "build" or not args.tasks or argv.index(unknown[0]) < argv.index(args.tasks[0]):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.tasks = _in_order(argv[argv.index(args.tasks[0]):], args.tasks, unknown)
    return args


def _in_order(tokens: list[str], tasks: list[str], unknown: list[str]) -> list[str]:
    """The task names and the task options among ``tokens``, as they were written (vango's own options and
    their values left out): argparse returns the two kinds apart."""
    kept, t, u = [], 0, 0
    for token in tokens:
        if u < len(unknown) and token == unknown[u]:
            kept.append(token)
            u += 1
        elif t < len(tasks) and token == tasks[t]:
            kept.append(token)
            t += 1
    return kept


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    settings = settings_from(args, profile=DEV if args.command == "dev" else None)
    log.setup(settings.log_format, settings.log_level, run=settings.run_id)
    if args.command == "build":
        doit_args = ["run"]
        if args.process:
            doit_args += ["-n", str(args.process)]
        if args.always:
            doit_args.append("-a")
        return _doit(doit_args + (args.tasks or ["release"]), settings)
    if args.command == "dev":
        return _dev(args, settings)
    if args.command == "init":
        return _init(args)
    if args.command == "addon":
        from pipeline.cli_addon import run_addon_command

        return run_addon_command(args, settings)
    if args.command == "schema":
        return _schema(args, settings)
    if args.command == "docs":
        from pipeline.docs.cli import run as run_docs

        return run_docs(args)
    if args.command == "list":
        return _graph(settings) if args.graph else _doit(["list"], settings)
    return _clean(settings)


BUILD_ENTRIES = ("out", "maps", "steps", "wasm", "reports", "cache", "dev", "docs", "published.json", "go-inputs.json",
                 "claims.json", "plan.json", "doit.sqlite3", "doit.sqlite3-journal", "doit.sqlite3-wal",
                 "doit.sqlite3-shm")


def _clean(settings: Settings) -> int:
    """Remove what the pipeline writes under the build folder (and nothing else there), saying what went."""
    import shutil

    from pipeline.core import runlock
    from pipeline.core.errors import PipelineError

    build = settings.paths().build_dir
    logger = log.get_logger("clean")
    locked = [folder for folder in (build, build / "docs") if folder.is_dir()]  # the app's and vango docs' runs
    for folder in locked:
        try:  # never pull the folder from under a running build
            runlock.acquire(folder, timeout=60, on_wait=lambda pid: logger.info("waiting for the run (pid %s)", pid))
        except PipelineError as exc:
            logger.error("%s", exc)
            return exc.exit_code
    removed = []
    for name in (*BUILD_ENTRIES, runlock.LOCK_NAME):
        path = build / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    for folder in locked:
        runlock.release(folder)
    removed = [name for name in removed if name != runlock.LOCK_NAME]
    if removed:
        logger.info("removed %s from %s", ", ".join(removed), build, extra={"event": "clean.done",
                                                                           "fields": {"removed": removed}})
        if build.is_dir() and not any(build.iterdir()):
            build.rmdir()
    else:
        logger.info("nothing to clean in %s", build, extra={"event": "clean.done", "fields": {"removed": []}})
    return 0


def _init(args: argparse.Namespace) -> int:
    from pipeline.adopt.init import plan
    from pipeline.core.errors import PipelineError

    folder = Path(args.folder)
    if folder.exists() and not folder.is_dir():
        log.get_logger().error("%s is a file, not a folder", folder)
        return 2
    try:
        found = plan(folder)
    except PipelineError as exc:
        for line in exc.lines():
            log.get_logger().error("%s", line)
        return exc.exit_code
    if not args.dry_run:
        found.apply()
    verb = "would" if args.dry_run else "did"
    sys.stdout.write(f"vango init {verb}, in {found.folder}:\n")
    sys.stdout.write("".join(f"  - {line}\n" for line in found.changes))
    if found.left:
        sys.stdout.write("left to you:\n" + "".join(f"  - {line}\n" for line in found.left))
    return 0


def _graph(settings: Settings) -> int:
    from pipeline.engine.loader import Session

    session = Session(settings)
    if session.error is not None:
        for line in session.error.lines():
            log.get_logger().error("%s", line)
        return session.error.exit_code
    sys.stdout.write(session.registry.diagram() + "\n")
    return 0


def _schema(args: argparse.Namespace, settings: Settings) -> int:
    """The published schema of vango.json: built-in keys plus every installed addon's section."""
    import json

    from pipeline.addons import manager
    from pipeline.config.model import merged_schema
    from pipeline.core.errors import PipelineError
    from pipeline.core.fs import write_if_changed

    try:
        addons = manager.load(settings.paths().app_dir, debug=settings.debug)
        document = merged_schema(manager.config_sections(addons))
    except PipelineError as exc:
        for line in exc.lines():
            log.get_logger().error("%s", line)
        return exc.exit_code
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_if_changed(Path(args.output), text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


def run() -> None:
    """The ``vango`` program: :func:`main`, then the usual exit, its objects frozen first (``gc.freeze``). The
    interpreter's exit runs the cyclic collector over every object still alive, and a build holds the maps,
    manifests and records of every file to the end: about 70 ms after an edit at 10,000 assets, 16 once they
    are frozen. Reference counting still frees them, and threads, ``atexit`` handlers and ``logging`` end as
    usual; what is given up is the finalizing of objects in reference cycles (a ``__del__`` there never
    runs: resources are released with ``with`` or ``atexit``, docs/addons.md). Not in :func:`main`, which a
    test may call in its own process."""
    import gc

    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
