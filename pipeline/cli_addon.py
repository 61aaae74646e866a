"""``vango addon install|list|verify|remove``: managing the app's addons and ``addons.lock``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from pipeline.config.settings import Settings
from pipeline.core.errors import PipelineError
from pipeline.observe import log


def add_addon_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    addon = sub.add_parser("addon", help="install, list, verify or remove the app's addons (addons.lock)")
    verbs = addon.add_subparsers(dest="verb", required=True, metavar="VERB")
    install = verbs.add_parser("install", help="install addons into the app and lock them; without a name, install "
                               "what addons.lock lists (a fresh clone)")
    common(install)
    install.add_argument("specs", nargs="*", metavar="NAME|PATH|REQUIREMENT",
                         help="a bundled addon's name (tailwind, otel, rpcgen, auth), a folder, or a pip requirement")
    install.add_argument("--no-build-isolation", action="store_true",
                         help="build the addon with the packages already installed (pip --no-build-isolation)")
    install.add_argument("--reinstall", action="store_true",
                         help="without names: reinstall every locked addon (e.g. after a Python upgrade)")
    listing = verbs.add_parser("list", help="the installed addons: version, status and the hooks they implement")
    common(listing)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--builtin", action="store_true", help="include the built-in steps")
    verify = verbs.add_parser("verify", help="rehash every installed addon against addons.lock (for CI)")
    common(verify)
    remove = verbs.add_parser("remove", help="uninstall an addon and drop it from addons.lock")
    common(remove)
    remove.add_argument("name")


def run_addon_command(args: argparse.Namespace, settings: Settings) -> int:
    app_dir = settings.paths().app_dir
    logger = log.get_logger("addon")
    try:
        if args.verb == "install":
            return _install(args, app_dir, logger)
        if args.verb == "list":
            return _list(args, app_dir, settings)
        if args.verb == "verify":
            return _verify(app_dir, logger)
        return _remove(args, app_dir, logger)
    except PipelineError as exc:
        for line in exc.lines():
            logger.error("%s", line)
        return exc.exit_code


def _install(args: argparse.Namespace, app_dir: Any, logger: Any) -> int:
    from pipeline.addons import install, manager

    isolation = not args.no_build_isolation
    if not args.specs:
        entries = install.sync(app_dir, build_isolation=isolation, reinstall=args.reinstall)
        for entry in entries:
            logger.info("installed %s %s (%s) from addons.lock", entry.name, entry.version, entry.tree)
        if not entries:
            logger.info("every addon in addons.lock is installed")
    for spec in args.specs:
        entry = install.install(app_dir, spec, build_isolation=isolation)
        logger.info("installed %s %s from %s (%s)", entry.name, entry.version, entry.source, entry.tree)
    addons = manager.load(app_dir)  # verified, imported and registered: a broken addon is reported now
    for name in addons.names(manager.INSTALLED):
        logger.info("%s: %s", name, ", ".join(manager.hooks_of(addons, name)) or "no hooks")
    return 0


def _remove(args: argparse.Namespace, app_dir: Any, logger: Any) -> int:
    from pipeline.addons import install

    entry = install.remove(app_dir, args.name)
    logger.info("removed %s%s", args.name, f" {entry.version}" if entry else "")
    return 0


def _verify(app_dir: Any, logger: Any) -> int:
    from pipeline.addons import manager

    found = manager.statuses(app_dir, rehash=True)
    bad = [s for s in found if s.status != manager.VERIFIED]
    for status in found:
        if status.status == manager.VERIFIED:
            logger.info("%s %s: verified (%s)", status.name, status.version, status.entry.tree if status.entry else "")
        else:
            logger.error("addons.lock: addon %r: %s", status.name, status.detail)
    if not found:
        logger.info("no addons installed")
    return 2 if bad else 0


def _list(args: argparse.Namespace, app_dir: Any, settings: Settings) -> int:
    from pipeline.addons import manager

    found = manager.statuses(app_dir)
    verified = [s for s in found if s.status == manager.VERIFIED]
    hooks: dict[str, list[str]] = {}
    rows = []
    if args.builtin:
        for info in manager.builtin_addons():
            rows.append({"name": info.name, "version": info.version, "status": "built-in", "source": "vango-pipeline",
                         "hooks": []})
    if len(verified) == len(found):  # import only when every installed addon is verified
        addons = manager.load(app_dir, debug=settings.debug)
        hooks = {name: manager.hooks_of(addons, name) for name in addons.names()}
    for row in rows:
        row["hooks"] = hooks.get(row["name"], [])
    for status in found:
        rows.append({"name": status.name, "version": status.version, "status": status.status,
                     "source": status.entry.source if status.entry else "", "hooks": hooks.get(status.name, []),
                     "detail": status.detail, "distribution": status.entry.distribution if status.entry else "",
                     "tree": status.entry.tree if status.entry else ""})
    if args.json:
        sys.stdout.write(json.dumps({"addons": rows}, indent=2) + "\n")
        return 0 if len(verified) == len(found) else 2
    from rich.console import Console
    from rich.table import Table

    table = Table(title="addons", title_justify="left")
    for column in ("name", "version", "status", "hooks", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["version"], row["status"], ", ".join(row["hooks"]) or "-", row["source"])
    console = Console(file=sys.stdout, width=max(100, Console().width))
    if rows:
        console.print(table)
    else:
        console.print("no addons installed (vango addon install NAME|PATH|REQUIREMENT)")
    for status in found:
        if status.status != manager.VERIFIED:
            console.print(f"{status.name}: {status.detail}")
    return 0 if len(verified) == len(found) else 2
