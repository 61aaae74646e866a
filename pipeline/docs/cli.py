"""``vango docs build [DIR]`` and ``vango docs serve [DIR]``: the docs site's commands."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pipeline.docs.paths import DocsPaths


def add_parser(sub: Any) -> None:
    docs = sub.add_parser("docs", help="build or serve a documentation site from a folder of markdown files")
    actions = docs.add_subparsers(dest="docs_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("folder", nargs="?", default="docs", help="the docs folder (default: ./docs)")
        p.add_argument("--site", metavar="DIR", help="output folder (default: site/ next to the docs folder)")
        p.add_argument("--build-dir", metavar="DIR", help="doit database and caches (default: ./build/docs)")
        p.add_argument("--drafts", action="store_true", help="include pages whose front matter says draft: true")
        p.add_argument("--log-format", choices=("human", "json"), help="human (default) or json lines")

    build = actions.add_parser("build", help="build the site (doit tasks docs:*, incremental)")
    common(build)
    build.add_argument("-n", "--process", type=int, metavar="N", help="run up to N tasks in parallel")
    build.add_argument("-a", "--always", action="store_true", help="run every task even if up to date")
    serve = actions.add_parser("serve", help="build, watch and serve the site with live reload")
    common(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve.add_argument("--debounce", type=int, default=100, metavar="MS", help="quiet time before a rebuild")


def _absolute(value: str | None) -> Path | None:
    return Path(os.path.abspath(value)) if value else None


def paths_from(args: argparse.Namespace) -> DocsPaths:
    return DocsPaths.default(Path(args.folder), _absolute(args.site), _absolute(args.build_dir))


def run(args: argparse.Namespace) -> int:
    paths = paths_from(args)
    if args.docs_command == "serve":
        from pipeline.docs.serve import serve

        return serve(paths, host=args.host, port=args.port, drafts=args.drafts, debounce_ms=args.debounce)
    return build(paths, drafts=args.drafts, process=args.process, always=args.always)


def build(paths: DocsPaths, *, drafts: bool = False, process: int | None = None, always: bool = False,
          tasks: list[str] | None = None) -> int:
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    from pipeline.docs.tasks import namespace

    argv = ["run"]
    if process:
        argv += ["-n", str(process)]
    if always:
        argv.append("-a")
    try:
        return DoitMain(ModuleTaskLoader(namespace(paths, drafts=drafts))).run(argv + (tasks or ["docs"]))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
