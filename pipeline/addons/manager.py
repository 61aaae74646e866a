"""The addon manager: verify the installed addons against ``addons.lock``, then (only then) import them,
register them with pluggy next to the built-ins, and call hooks in one deterministic order.

Built-in steps are addons too: ``vango-pipeline`` registers them under the same ``vango.addons``
entry-point group third parties use. Installed addons are never looked up in the virtualenv: only the
folders ``vango addon install`` made under ``<app>/.vango/addons/`` count, each hashed and compared with
its lock entry before any of its modules is imported. Hashing is cheap on repeated runs thanks to a stat
cache (inode, size, mtime_ns, ctime_ns → sha256), as git's index does; ``vango addon verify`` always
rehashes.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from pipeline.addons import hookspecs
from pipeline.addons.lock import LOCK_NAME, Lock, LockEntry, read_lock
from pipeline.addons.treehash import StatCache, TreeError, diff, file_lines, h1, parse_summary
from pipeline.core.errors import ConfigError, PipelineError

GROUP = "vango.addons"
BUILTIN_DISTRIBUTION = "vango-pipeline"
ADDONS_DIR = Path(".vango") / "addons"
STAT_CACHE = ".stat-cache.json"
BYTECODE_SUM = ".pyc.sum"  # beside <name>.sum: the bytecode this machine's installer wrote (not locked)
BUILTIN, INSTALLED = "builtin", "installed"
VERIFIED, TAMPERED, MISSING, UNLOCKED = "verified", "tampered", "missing", "not in the lock"


class AddonError(PipelineError):
    """An addon's hook failed (exit 1), or an addon cannot be loaded (ConfigError subclasses: exit 2)."""


class AddonLockError(ConfigError):
    """The installed addons do not match addons.lock: refused before any addon code runs."""


class AddonConfigError(ConfigError):
    """Addons that cannot work together as declared (an order cycle, a name declared twice, a bad hook value)."""


@dataclass(frozen=True)
class AddonInfo:
    name: str
    kind: str  # builtin or installed
    entry_point: str  # module[:attr]
    version: str = ""
    folder: Path | None = None
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddonSet:
    """The addons of a run, in call order; picklable (the plugins themselves stay in this process)."""

    app_dir: Path
    addons: tuple[AddonInfo, ...]
    lock_digest: str
    debug: bool = False

    def names(self, kind: str | None = None) -> list[str]:
        return [a.name for a in self.addons if kind is None or a.kind == kind]

    def info(self, name: str) -> AddonInfo:
        return next(a for a in self.addons if a.name == name)


@dataclass(frozen=True)
class Status:
    """One addon's state for ``vango addon list``/``verify``."""

    name: str
    status: str
    version: str = ""
    detail: str = ""
    entry: LockEntry | None = None


def addons_dir(app_dir: Path) -> Path:
    return app_dir / ADDONS_DIR


def lock_path(app_dir: Path) -> Path:
    return app_dir / LOCK_NAME


# ---------------------------------------------------------------- verification (no addon code runs)


def _dist_info(folder: Path, distribution: str) -> metadata.Distribution | None:
    wanted = _normalize(distribution)
    for info in folder.glob("*.dist-info"):
        dist = metadata.PathDistribution(info)
        if _normalize(dist.metadata["Name"] or "") == wanted:
            return dist
    return None


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def locked_entry_point(dist: metadata.Distribution, name: str) -> str | None:
    found = [ep for ep in dist.entry_points if ep.group == GROUP and ep.name == name]
    return found[0].value if found else None


def split_bytecode(lines: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(sources, bytecode): the tree hash covers everything but ``__pycache__``, so one lock serves every
    Python version; the bytecode is checked against what this machine's installer compiled."""
    sources, bytecode = [], []
    for line in lines:
        (bytecode if "__pycache__" in line[1].split("/") else sources).append(line)
    return sources, bytecode


def check_entry(app_dir: Path, entry: LockEntry, cache: StatCache | None) -> Status:
    """Compare an installed addon folder with its lock entry: every file, the version and the entry point."""
    folder = addons_dir(app_dir) / entry.name
    if not folder.is_dir():
        return Status(entry.name, MISSING, entry.version, "its files are missing (run 'vango addon install')", entry)
    try:
        lines, bytecode = split_bytecode(file_lines(folder, cache, cache_prefix=entry.name))
    except TreeError as exc:
        return Status(entry.name, TAMPERED, entry.version, exc.message, entry)
    found = h1(lines)
    if found != entry.tree:
        what = _what_changed(folder, entry, lines)
        return Status(entry.name, TAMPERED, entry.version, f"{what} (expected {entry.tree}, found {found})", entry)
    stray = _stray_bytecode(folder, entry, bytecode)
    if stray:
        return Status(entry.name, TAMPERED, entry.version, f"{stray} (bytecode the installer did not write)", entry)
    dist = _dist_info(folder, entry.distribution)
    if dist is None:
        return Status(entry.name, TAMPERED, entry.version, f"no metadata of {entry.distribution} in its folder", entry)
    if dist.version != entry.version:
        return Status(entry.name, TAMPERED, entry.version,
                      f"version {dist.version} installed, {entry.version} locked", entry)
    point = locked_entry_point(dist, entry.name)
    if point != entry.entry_point:
        return Status(entry.name, TAMPERED, entry.version,
                      f"entry point {point!r} installed, {entry.entry_point!r} locked", entry)
    return Status(entry.name, VERIFIED, entry.version, "", entry)


def _what_changed(folder: Path, entry: LockEntry, lines: list[tuple[str, str]]) -> str:
    """Name the file that differs, from the ``.sum`` written at install (trusted only if it hashes to the lock)."""
    summary = folder.with_name(f"{entry.name}.sum")
    try:
        expected = parse_summary(summary.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TreeError):
        return "its files changed"
    if h1(expected) != entry.tree:
        return "its files changed"
    difference = diff(expected, lines)
    more = f" and {difference.count() - 1} more" if difference.count() > 1 else ""
    return f"{difference.first()}{more}" if difference.count() else "its files changed"


def _stray_bytecode(folder: Path, entry: LockEntry, bytecode: list[tuple[str, str]]) -> str:
    """A ``.pyc`` that is not exactly one the installer compiled: Python would run it instead of the source."""
    if not bytecode:
        return ""
    try:
        written = set(parse_summary(folder.with_name(f"{entry.name}{BYTECODE_SUM}").read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, TreeError):
        written = set()
    known = {path: digest for digest, path in written}
    for digest, path in bytecode:
        if path not in known:
            return f"{path} added"
        if known[path] != digest:
            return f"{path} changed"
    return ""


def statuses(app_dir: Path, lock: Lock | None = None, *, rehash: bool = False) -> list[Status]:
    """Every locked addon's status, then the installed folders the lock does not know."""
    lock = lock if lock is not None else read_lock(lock_path(app_dir))
    cache_file = addons_dir(app_dir) / STAT_CACHE
    cache = None if rehash else StatCache.load(cache_file)
    found = [check_entry(app_dir, entry, cache) for entry in lock.entries]
    if cache is not None and all(s.status == VERIFIED for s in found):
        _save_quietly(cache)
    root = addons_dir(app_dir)
    if root.is_dir():
        locked = {e.name for e in lock.entries}
        for child in sorted(root.iterdir()):
            if child.is_dir() and child.name not in locked and not child.name.startswith("."):
                found.append(Status(child.name, UNLOCKED, "", "installed but not in addons.lock"))
    return found


def _save_quietly(cache: StatCache) -> None:
    with contextlib.suppress(OSError):  # a read-only checkout still verifies; it only hashes again next time
        cache.save()


def verify(app_dir: Path, *, rehash: bool = False) -> Lock:
    """Refuse (exit 2, one line) unless every installed addon matches its lock entry."""
    path = lock_path(app_dir)
    lock = read_lock(path)
    for status in statuses(app_dir, lock, rehash=rehash):
        if status.status != VERIFIED:
            raise AddonLockError(f"addon {status.name!r}: {status.detail}; run 'vango addon verify'", path=path)
    return lock


# ---------------------------------------------------------------- loading and ordering


@cache
def builtin_addons() -> tuple[AddonInfo, ...]:
    """The pipeline's own steps, registered through the same entry-point group as third-party addons."""
    try:
        dist = metadata.distribution(BUILTIN_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ConfigError(f"{BUILTIN_DISTRIBUTION} is not installed (its entry points register the built-in "
                          "steps): run 'pip install -e .'") from None
    points = sorted((ep for ep in dist.entry_points if ep.group == GROUP), key=lambda ep: ep.name)
    if not points:
        raise ConfigError(f"{BUILTIN_DISTRIBUTION} has no '{GROUP}' entry points: reinstall it (pip install -e .)")
    return tuple(AddonInfo(ep.name, BUILTIN, ep.value, dist.version) for ep in points)


class _Manager(pluggy.PluginManager):
    """Any ``vango_*`` callable of an addon is a hook implementation, marked or not (as pytest does), so a
    misspelt hook name is reported instead of silently ignored."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if issubclass(type(getattr(plugin, name, None)), ModuleType):
            return None  # a module is never a hook; and looking closer would load a lazy one (lazy_module)
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith("vango_") and callable(getattr(plugin, name, None)):
            return {}
        return opts


_managers: dict[tuple[Any, ...], _Manager] = {}


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _resolve(entry_point: str) -> Any:
    module_name, _, attr = entry_point.partition(":")
    target: Any = importlib.import_module(module_name.strip())
    for part in filter(None, attr.strip().split(".")):
        target = getattr(target, part)
    return target


def _resolve_verified(info: AddonInfo) -> Any:
    """Import an installed addon's own package from its verified folder, whatever else is on ``sys.path``.

    The folder is appended to ``sys.path`` (so the addon's bundled dependencies are found, while the
    virtualenv's copies of shared ones win, as they do for the pipeline itself), but the addon's top-level
    module is loaded from the folder explicitly, and a module of that name already loaded from elsewhere is
    refused: a package on PYTHONPATH or in the virtualenv can never stand in for the verified one."""
    import importlib.util

    assert info.folder is not None
    folder = info.folder.resolve()
    module_name, _, attr = info.entry_point.partition(":")
    top = module_name.strip().split(".")[0]
    loaded = sys.modules.get(top)
    if loaded is not None:
        if not _inside(loaded, folder):
            raise AddonLockError(f"addon {info.name!r}: module {top!r} is already loaded from "
                                 f"{getattr(loaded, '__file__', None) or 'elsewhere'}, not from its verified folder",
                                 path=folder.parent.parent.parent / LOCK_NAME)
    else:
        package, single = folder / top / "__init__.py", folder / f"{top}.py"
        location = package if package.is_file() else single
        if not location.is_file():
            raise AddonLockError(f"addon {info.name!r}: its entry point {info.entry_point!r} is not in its folder",
                                 path=folder.parent.parent.parent / LOCK_NAME)
        search = [str(folder / top)] if location == package else None
        spec = importlib.util.spec_from_file_location(top, location, submodule_search_locations=search)
        module = importlib.util.module_from_spec(spec)
        sys.modules[top] = module
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
        sys.dont_write_bytecode = True  # precompiled at install; nothing may be written into a verified tree
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(top, None)
            raise
    target: Any = importlib.import_module(module_name.strip())
    if not _inside(target, folder):
        raise AddonLockError(f"addon {info.name!r}: {module_name} resolved outside its verified folder",
                             path=folder.parent.parent.parent / LOCK_NAME)
    for part in filter(None, attr.strip().split(".")):
        target = getattr(target, part)
    return target


def _inside(module: Any, folder: Path) -> bool:
    location = getattr(module, "__file__", None)
    return bool(location) and Path(location).resolve().is_relative_to(folder)


def _key(addon_set: AddonSet) -> tuple[Any, ...]:
    return (addon_set.app_dir, addon_set.lock_digest, tuple((a.name, a.entry_point) for a in addon_set.addons))


def plugin_manager(addon_set: AddonSet) -> _Manager:
    """The registered plugins of ``addon_set`` (imported once per process; a worker process re-imports)."""
    key = _key(addon_set)
    manager = _managers.get(key)
    if manager is not None:
        return manager
    manager = _Manager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for info in addon_set.addons:
        try:
            plugin = _resolve(info.entry_point) if info.folder is None else _resolve_verified(info)
            manager.register(plugin, name=info.name)
        except pluggy.PluginValidationError as exc:
            raise AddonConfigError(f"addon {info.name}: {_one_line(exc)}") from None
        except AddonLockError:
            raise
        except Exception as exc:
            raise _failure(info.name, exc, addon_set.debug, "cannot be imported") from None
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        name = getattr(exc, "plugin", None)
        owner = manager.get_name(name) if name is not None else "?"
        raise AddonConfigError(f"addon {owner}: {_one_line(exc)}; known hooks: {', '.join(hookspecs.HOOKS)}") from None
    _managers[key] = manager
    return manager


def load(app_dir: Path, *, debug: bool = False) -> AddonSet:
    """Verify the installed addons, then return the run's addons in call order (nothing imported yet
    except the built-ins, which are part of the pipeline)."""
    lock = verify(app_dir)
    installed = []
    for entry in lock.entries:
        folder = addons_dir(app_dir) / entry.name
        installed.append(AddonInfo(entry.name, INSTALLED, entry.entry_point, entry.version, folder))
    builtins = list(builtin_addons())
    clash = {a.name for a in builtins} & {a.name for a in installed}
    if clash:
        raise AddonLockError(f"addon {sorted(clash)[0]!r}: the name is taken by a built-in step; rename it",
                             path=lock_path(app_dir))
    addon_set = AddonSet(app_dir, (*builtins, *installed), lock.digest(), debug)
    manager = plugin_manager(addon_set)
    ordered = order([_with_after(a, manager.get_plugin(a.name)) for a in addon_set.addons])
    result = AddonSet(app_dir, tuple(ordered), lock.digest(), debug)
    _managers[_key(result)] = manager
    return result


def _with_after(info: AddonInfo, plugin: Any) -> AddonInfo:
    after = getattr(plugin, "VANGO_AFTER", ())
    if isinstance(after, str):
        after = (after,)
    return AddonInfo(info.name, info.kind, info.entry_point, info.version, info.folder, tuple(after))


def order(items: list[Any], name: Callable[[Any], str] = lambda a: a.name,
          after: Callable[[Any], Iterable[str]] = lambda a: a.after, what: str = "addon") -> list[Any]:
    """Stable topological order: the given order, except that each item comes after those it names.
    Unknown names are ignored (an optional companion); a cycle is an error naming its members."""
    names = [name(i) for i in items]
    index = {n: k for k, n in enumerate(names)}
    pending = {n: {a for a in after(i) if a in index and a != n} for n, i in zip(names, items, strict=True)}
    done: list[str] = []
    while pending:
        ready = [n for n in names if n in pending and not pending[n]]
        if not ready:
            raise AddonConfigError(f"{what} order has a cycle: {_cycle(pending)}")
        first = ready[0]
        done.append(first)
        del pending[first]
        for deps in pending.values():
            deps.discard(first)
    return [items[index[n]] for n in done]


def _cycle(pending: dict[str, set[str]]) -> str:
    start = sorted(pending)[0]
    path, node = [start], start
    while True:
        node = sorted(pending[node])[0]
        if node in path:
            loop = [*path[path.index(node):], node]
            return " after ".join(loop)
        path.append(node)


# ---------------------------------------------------------------- calling hooks


def _failure(owner: str, exc: BaseException, debug: bool, doing: str = "") -> PipelineError:
    """``addon <name>: <message>``; bad settings keep their exit code 2; the traceback only with --debug."""
    if isinstance(exc, PipelineError):
        error = type(exc)(f"addon {owner}: {exc.message}", path=exc.path, location=exc.location)
        error.exit_code = exc.exit_code
        return error
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if doing:
        message = f"{doing}: {message}"
    if debug:
        message += "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return AddonError(f"addon {owner}: {message}")


def guarded(owner: str, debug: bool, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run addon code; any exception becomes ``addon <owner>: …`` (built-in code fails as a pipeline bug)."""
    if not owner or owner in _builtin_names():
        return func(*args, **kwargs)
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        raise _failure(owner, exc, debug) from None


@cache
def _builtin_names() -> frozenset[str]:
    """Read once per process: every guarded call asks, and reading the distribution's metadata parses files."""
    return frozenset(a.name for a in builtin_addons())


def call(addon_set: AddonSet | None, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call ``hook`` on every addon implementing it, in the addons' order: ``[(addon, result), …]``."""
    if addon_set is None:
        return []
    manager = plugin_manager(addon_set)
    impls = {impl.plugin_name: impl for impl in getattr(manager.hook, hook).get_hookimpls()}
    results = []
    for info in addon_set.addons:
        impl = impls.get(info.name)
        if impl is None:
            continue
        args = [kwargs[name] for name in impl.argnames]
        results.append((info.name, guarded(info.name, addon_set.debug, impl.function, *args)))
    return results


def collect(addon_set: AddonSet | None, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Like :func:`call` for hooks returning iterables: ``[(addon, item), …]`` flattened, each item checked
    against what the hook promises (a wrong value is reported against the addon, not as a traceback)."""
    expected = _RETURNS.get(hook)
    items = []
    for owner, result in call(addon_set, hook, **kwargs):
        if result is None:
            continue
        if isinstance(result, (str, bytes)) or not hasattr(result, "__iter__"):
            raise AddonConfigError(f"addon {owner}: {hook} must return a list, not {type(result).__name__}")
        for item in result:
            if expected is not None and not isinstance(item, expected()):
                names = " or ".join(k.__name__ for k in expected())
                raise AddonConfigError(f"addon {owner}: {hook} returned a {type(item).__name__}, expected {names}")
            items.append((owner, item))
    return items


def _step_types() -> tuple[type, ...]:
    from pipeline.engine.step import Step

    return (Step,)


def _transform_types() -> tuple[type, ...]:
    from pipeline.engine.pages import PageTransform

    return (PageTransform,)


def _gate_types() -> tuple[type, ...]:
    from pipeline.gates.protocol import Gate

    return (Gate,)


def _section_types() -> tuple[type, ...]:
    from pipeline.config.sections import ConfigSection

    return (ConfigSection,)


def _path_types() -> tuple[type, ...]:
    import os

    return (str, os.PathLike)


class _CallableCheck(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return callable(instance)


class function(metaclass=_CallableCheck):
    """Stands for "anything callable" in the return-type checks (an event subscriber)."""


_RETURNS: dict[str, Callable[[], tuple[type, ...]]] = {
    "vango_steps": _step_types, "vango_page_transforms": _transform_types, "vango_gates": _gate_types,
    "vango_config_sections": _section_types, "vango_watch_paths": _path_types,
    "vango_event_subscribers": lambda: (function,),
}


def config_sections(addon_set: AddonSet | None) -> list[Any]:
    """Each addon's vango.json sections; two addons claiming one name is an error."""
    from dataclasses import replace

    sections, owners = [], {}
    for owner, section in collect(addon_set, "vango_config_sections"):
        if section.name in owners:
            raise AddonConfigError(f"addon {owner}: config section addons.{section.name} is already defined by "
                             f"{owners[section.name]}")
        owners[section.name] = owner
        sections.append(replace(section, description=section.description or f"Settings of the {owner} addon."))
    return sections


def hooks_of(addon_set: AddonSet, name: str) -> list[str]:
    return hookspecs.hook_names(plugin_manager(addon_set).get_plugin(name))
