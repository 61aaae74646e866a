"""What a full load looked at, for :mod:`pipeline.engine.plan`: every file it opened, every folder it listed and
every path it stat'd (a missing one too), each with its stamp then, and whatever means the load cannot be trusted
to repeat (a program it ran, a warning it logged).

An audit hook sees ``open``, ``os.listdir``, ``os.scandir`` and the start of programs; ``os.stat`` and ``os.lstat``
are wrapped while a :class:`Recorder` is active (``with``). The hook stays for the life of the process and does
nothing while no recorder is active.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config.settings import Settings
from pipeline.core.fs import RACY_NS, stamp_of
from pipeline.observe import log

if TYPE_CHECKING:
    from pipeline.config.context import Context

WEAK = "folder"  # the stamp of a folder above the app that holds build/, dist/ or the cache: only that it is one

_REAL_STAT = os.stat
_REAL_LSTAT = os.lstat
_recording: Recorder | None = None
_hooked = False
_loads = 0  # loads recorded in this process


def site_dirs() -> list[str]:
    """The folders installed packages live in (not the script's folder or the working directory, which
    differ between ``doit`` and ``python -m doit`` and hold no packages of the run's)."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]


class Recorder:
    """What a full load looks at, while it is active (``with``): the files it opens, the folders it lists,
    the paths it stats, each with its stamp then; and anything that means the load cannot be remembered.

    A folder that holds build/, dist/ or the cache is stamped by its listing without them (and without a
    publish's staging folders), since a publish renames dist/ in it; above the app, only as being a folder."""

    def __init__(self, settings: Settings, key: Any = None):
        global _loads
        paths = settings.paths()
        self.settings = settings
        self.key = key  # taken before loading: the code and environment the load runs with
        from pipeline.core.dirswap import spare_dir

        # The pipeline's own folders, the release kept beside dist/ too (a publish renames it)
        own = (paths.build_dir, paths.dist_dir, paths.cache_dir, spare_dir(paths.dist_dir))
        self.skip = tuple(os.path.join(str(p), "") for p in own)
        holders = _ancestors(paths.build_dir, paths.dist_dir, paths.cache_dir)
        inside = {p for p in holders if p == paths.app_dir or paths.app_dir in p.parents}
        self.listed_holders = {str(p): _hidden(p, paths) for p in inside}
        self.outer_holders = {str(p) for p in holders - inside}
        self.started_ns = time.time_ns()
        self.seen: dict[tuple[str, bool], Any] = {}  # (path, links followed) -> stamp (None: missing)
        self.unsafe = ""  # why this load cannot be remembered
        self.app: dict[str, Any] = {}
        self._warnings = WarningCounter()
        self._busy = False
        _loads += 1
        if _loads > 1:  # what earlier loads cached (the toolchain, the fingerprint, warnings given) is not seen
            self.unsafe = "not the first load of this process"

    # ---------------------------------------------------------------- recording

    def __enter__(self) -> Recorder:
        global _recording
        _install_hook()
        _recording = self
        os.stat, os.lstat = _stat, _lstat  # type: ignore[assignment]
        logger = logging.getLogger(log.LOGGER_NAME)
        logger.addHandler(self._warnings)
        if not logger.isEnabledFor(logging.WARNING) and not self.unsafe:
            self.unsafe = "warnings are not shown at this log level"
        for folder in site_dirs():  # installing, upgrading or removing a package changes its listing
            self.look(folder)
        return self

    def __exit__(self, *exc: object) -> None:
        global _recording
        os.stat, os.lstat = _REAL_STAT, _REAL_LSTAT  # type: ignore[assignment]
        _recording = None
        logging.getLogger(log.LOGGER_NAME).removeHandler(self._warnings)
        if self._warnings.count and not self.unsafe:
            self.unsafe = "a warning was logged while loading"

    def note(self, path: Any, follow: bool, result: os.stat_result | None) -> None:
        """A path stat'd (``result``): keep its stamp as it was then."""
        name = _name(path)
        if name is None or self._busy or (name, follow) in self.seen or name.startswith(self.skip) \
                or name + os.sep in self.skip:
            return
        self._busy = True
        try:
            self.seen[name, follow] = self._stamp(name, result)
        finally:
            self._busy = False

    def _stamp(self, name: str, result: os.stat_result | None) -> Any:
        if result is None:
            return None
        if name in self.listed_holders:
            return _listing(name, self.listed_holders[name])
        if name in self.outer_holders:
            return WEAK
        return stamp_of(result)

    def look(self, path: Any) -> None:
        """A path opened or listed: stamp it now (a folder's stamp changes with its listing)."""
        name = _name(path)
        if name is None or self._busy or (name, True) in self.seen:
            return
        try:
            result: os.stat_result | None = _REAL_STAT(name)
        except OSError:
            result = None
        self.note(name, True, result)

    def note_app(self, ctx: Context) -> None:
        """What the run's own subscribers need of the app (its metrics), found while still recording."""
        try:
            go_version = str(ctx.toolchain().version)
        except Exception:  # no Go found: the metric says so, as a full run's does
            go_version = "unknown"
        builtin = ctx.addons is None or all(a.kind != "installed" for a in ctx.addons.addons)
        if not builtin and not self.unsafe:
            self.unsafe = "installed addons take part in loading"
        self.app = {"name": ctx.config.name, "go_version": go_version, "reports": str(ctx.reports_dir),
                    "manifest": str(ctx.dist_dir / "asset-manifest.json")}

    # ---------------------------------------------------------------- the plan

    def stamps(self) -> list[list[Any]]:
        racy = [p for (p, _), s in self.seen.items() if isinstance(s, list) and self.started_ns - s[0] < RACY_NS]
        if racy and not self.unsafe:
            self.unsafe = f"{racy[0]} changed less than two seconds before loading"
        return [[path, follow, stamp] for (path, follow), stamp in sorted(self.seen.items())]


def _hidden(folder: Path, paths: Any) -> list[str]:
    """What a listing of ``folder`` leaves out: the build, dist and cache folders in it, and a publish's."""
    names = [p.name for p in (paths.build_dir, paths.dist_dir, paths.cache_dir) if p.parent == folder]
    if paths.dist_dir.parent == folder:
        names += [f".{paths.dist_dir.name}.staging-", f".{paths.dist_dir.name}.old-",  # prefixes (dirswap)
                  f".{paths.dist_dir.name}.spare"]
    return names


def _listing(folder: str, hidden: list[str]) -> dict[str, str]:
    import hashlib

    try:
        names = sorted(n for n in os.listdir(folder) if not any(n == h or (h.endswith("-") and n.startswith(h))
                                                                 for h in hidden))
    except OSError:
        names = []
    return {"names": hashlib.sha256("\0".join(names).encode()).hexdigest(), "hidden": hidden}


class WarningCounter(logging.Handler):
    """Counts the warnings logged while it is attached (those the logger's level lets through)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _ancestors(*paths: Path) -> set[Path]:
    found: set[Path] = set()
    for path in paths:
        found.update(path.parents)
    return found


def _name(path: Any) -> str | None:
    if isinstance(path, int) or path is None:
        return None
    try:
        name = os.fsdecode(os.fspath(path))
    except TypeError:
        return None
    return os.path.abspath(name)


def _stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
    return _observed(_REAL_STAT, True, path, args, kwargs)


def _lstat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
    return _observed(_REAL_LSTAT, False, path, args, kwargs)


def _observed(real: Callable[..., os.stat_result], follow: bool, path: Any, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> os.stat_result:
    recorder = _recording
    if recorder is None or args or kwargs.get("dir_fd") is not None:
        return real(path, *args, **kwargs)
    follow = follow and kwargs.get("follow_symlinks", True)
    try:
        result = real(path, *args, **kwargs)
    except FileNotFoundError:
        recorder.note(path, follow, None)
        raise
    except OSError:
        raise
    recorder.note(path, follow, result)
    return result


def _audit(event: str, args: tuple[Any, ...]) -> None:
    recorder = _recording
    if recorder is None or recorder._busy:
        return
    if event == "open":
        recorder.look(args[0])
    elif event in ("os.listdir", "os.scandir"):
        recorder.look(args[0] if args and args[0] is not None else ".")
    elif event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork", "os.spawn") and \
            not recorder.unsafe:
        recorder.unsafe = "a program ran while loading"


def _install_hook() -> None:
    global _hooked
    if not _hooked:  # an audit hook stays for the life of the process; it does nothing while not recording
        sys.addaudithook(_audit)
        _hooked = True


def unchanged(name: str, follow: bool, stamp: Any) -> bool:
    try:
        now = (_REAL_STAT if follow else _REAL_LSTAT)(name)
    except OSError:
        return stamp is None
    if stamp is None:
        return False
    if stamp == WEAK:
        import stat

        return stat.S_ISDIR(now.st_mode)
    if isinstance(stamp, dict):
        return _listing(name, stamp["hidden"]) == stamp
    return stamp_of(now) == stamp
