"""``vango addon install|remove``: pip builds the addon's wheel and installs it, with its dependencies, into the
app's own folder ``.vango/addons/<name>/`` (never the virtualenv, so none of its ``.pth`` files or start-up
hooks ever runs), precompiles it to hash-checked bytecode, and records the result in ``addons.lock``.

Bundled addons install by short name: from ``addons/<name>/`` when the pipeline runs from its own
repository, otherwise as the ``vango-addon-<name>`` requirement. Anything else is a path or a pip
requirement. pip talks only to the package index it is configured for.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from pipeline.addons import manager
from pipeline.addons.lock import Lock, LockEntry, dumps, read_lock, write_lock
from pipeline.addons.manager import BYTECODE_SUM, GROUP, addons_dir, builtin_addons, lock_path, split_bytecode
from pipeline.addons.treehash import file_lines, h1, sha256_file, summary_text
from pipeline.core.errors import ConfigError
from pipeline.core.fs import write_atomic

BUNDLED = ("tailwind", "otel", "rpcgen", "auth")
BUNDLED_PREFIX = "vango-addon-"
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
REPRODUCIBLE_EPOCH = "315532800"  # 1980-01-01, the earliest zip timestamp: the same source gives the same wheel


class InstallError(ConfigError):
    """pip could not build or install the addon, or what it built is not a Vango addon."""


@dataclass(frozen=True)
class Wheel:
    path: Path
    distribution: str
    version: str
    name: str  # the addon's name: its entry point's name in the vango.addons group
    entry_point: str
    sha256: str


def repository_addons() -> Path:
    """``addons/`` beside the pipeline package when it runs from its repository (an editable install)."""
    return Path(__file__).resolve().parents[2] / "addons"


def resolve_spec(spec: str, app_dir: Path, bundled_root: Path | None = None) -> tuple[str, str]:
    """(what pip gets, what the lock records as the source): bundled short names, paths, requirements."""
    root = bundled_root if bundled_root is not None else repository_addons()
    if spec in BUNDLED:
        folder = root / spec
        if (folder / "pyproject.toml").is_file():
            return str(folder), _relative_source(folder, app_dir)
        return BUNDLED_PREFIX + spec, BUNDLED_PREFIX + spec
    candidate = Path(spec).expanduser()
    url_requirement = "://" in spec or " @ " in spec or spec.startswith(("git+", "file:"))
    if not url_requirement and (spec.startswith((".", "/", "~")) or os.sep in spec or candidate.exists()):
        folder = (Path.cwd() / candidate).resolve()
        if not folder.exists():
            raise InstallError(f"no addon at {spec}: the path does not exist")
        return str(folder), _relative_source(folder, app_dir)
    return spec, spec


def _relative_source(folder: Path, app_dir: Path) -> str:
    return os.path.relpath(folder, app_dir).replace(os.sep, "/")


def _source_for_pip(source: str, app_dir: Path) -> str:
    """A lock entry's source back into something pip understands (paths are relative to the app)."""
    if source.startswith((".", "/")) or (app_dir / source).exists():
        return str((app_dir / source).resolve())
    return source


def _pip(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", REPRODUCIBLE_EPOCH),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.lower().startswith("error")] or lines or ["pip failed"]
        raise InstallError(f"pip could not {what}: {errors[-1]}")
    return proc


TOP_LEFTOVERS = frozenset({"build", "dist", ".git", ".venv", ".tox", ".nox"})


def _leftovers(top: str) -> Callable[[str, list[str]], set[str]]:
    """What copying an addon's folder leaves out: earlier build output at its top, bytecode anywhere, and any
    app's ``.vango`` folder (an example app inside the addon's folder is not copied into itself)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in ("__pycache__", ".vango") or n.endswith(".pyc")}
        if os.path.samefile(folder, top):
            skip |= {n for n in names if n in TOP_LEFTOVERS or n.endswith(".egg-info")}
        return skip

    return ignore


def build_wheel(pip_spec: str, into: Path, *, build_isolation: bool = True) -> Wheel:
    """``pip wheel --no-deps``: the addon's own wheel (downloaded, or built from a folder), then read it.

    A folder is copied first (without earlier build output), so the build neither writes into the
    author's folder nor picks up stale files from its ``build/``."""
    shown = pip_spec
    if Path(pip_spec).is_dir():
        copy = into.parent / "source"
        try:
            shutil.copytree(pip_spec, copy, ignore=_leftovers(pip_spec), symlinks=True)
        except (OSError, shutil.Error) as exc:
            raise InstallError(f"cannot copy the addon's folder {shown}: {_first_error(exc)}") from None
        pip_spec = str(copy)
    args = ["wheel", "--no-deps", "--quiet", "--wheel-dir", str(into)]
    if not build_isolation:
        args.append("--no-build-isolation")
    _pip([*args, pip_spec], f"build {shown}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise InstallError(f"pip made {len(wheels)} wheels for {shown}, expected one")
    return read_wheel(wheels[0])


def _first_error(exc: BaseException) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        return str(exc.args[0][0][-1])
    return getattr(exc, "strerror", None) or str(exc)


def read_wheel(path: Path) -> Wheel:
    """Name, version and the one ``vango.addons`` entry point, from the wheel's own metadata."""
    with zipfile.ZipFile(path) as archive:
        infos = {n.split("/", 1)[0] for n in archive.namelist() if n.split("/", 1)[0].endswith(".dist-info")}
        if len(infos) != 1:
            raise InstallError(f"{path.name} is not a valid wheel (no single .dist-info folder)")
        info = infos.pop()
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode("utf-8"))
        try:
            points_text = archive.read(f"{info}/entry_points.txt").decode("utf-8")
        except KeyError:
            points_text = ""
    points = _entry_points(points_text).get(GROUP, {})
    distribution = metadata.get("Name", "")
    if len(points) != 1:
        raise InstallError(f"{distribution or path.name} is not a Vango addon: it needs exactly one entry point in "
                           f"the '{GROUP}' group (it has {len(points)})")
    (name, value), = points.items()
    if not NAME.match(name):
        raise InstallError(f"{distribution}: addon name {name!r} must be lower case letters, digits, - or _")
    return Wheel(path, distribution, metadata.get("Version", ""), name, value, sha256_file(path))


def _entry_points(text: str) -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line:
            key, value = line.split("=", 1)
            current[key.strip()] = value.strip()
    return groups


def _settle(folder: Path, name: str) -> None:
    """Make the installed tree depend only on what was installed, not on where or when: drop pip's record of
    the temporary wheel path and the console scripts (their first line names this virtualenv's Python), then
    precompile to hash-checked bytecode for this interpreter at every optimization level, so Python never
    writes into the folder. File names inside the bytecode are relative (``.vango/addons/<name>/…``)."""
    for record in folder.glob("*.dist-info/direct_url.json"):
        record.unlink()
    shutil.rmtree(folder / "bin", ignore_errors=True)
    for record in folder.glob("*.dist-info/RECORD"):  # keep pip's file list true to what stays
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [ln for ln in lines if not ln.startswith("bin/") and "/direct_url.json," not in ln]
        record.write_text("".join(kept), encoding="utf-8")
    compileall.compile_dir(str(folder), quiet=2, workers=1, stripdir=str(folder), optimize=[0, 1, 2],
                           prependdir=f".vango/addons/{name}",
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def _dependencies(folder: Path, distribution: str) -> tuple[str, ...]:
    """``name==version`` of every distribution pip put into the folder besides the addon's own."""
    found = []
    for info in sorted(folder.glob("*.dist-info")):
        meta = Parser().parsestr((info / "METADATA").read_text(encoding="utf-8"), headersonly=True)
        name, version = meta.get("Name", ""), meta.get("Version", "")
        if name and _canonical(name) != _canonical(distribution):
            found.append(f"{name}=={version}")
    return tuple(sorted(found, key=str.lower))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install(app_dir: Path, spec: str, *, build_isolation: bool = True, bundled_root: Path | None = None) -> LockEntry:
    """Install one addon (replacing an earlier version of it) and lock it; returns its lock entry."""
    pip_spec, source = resolve_spec(spec, app_dir, bundled_root)
    return _install(app_dir, pip_spec, source, build_isolation=build_isolation)


def _install(app_dir: Path, pip_spec: str, source: str, *, build_isolation: bool,
             locked: LockEntry | None = None) -> LockEntry:
    """Build, install into a staging folder, hash, then swap in and lock; with ``locked`` (a fresh clone),
    the wheel, the dependencies and the resulting tree must be exactly the locked ones."""
    if source.startswith("-"):
        raise InstallError(f"addon source {source!r} must not start with '-' (it is handed to pip)")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        raise InstallError(f"addon source {source!r} is not valid UTF-8; move the addon to a UTF-8 path") from None
    root = addons_dir(app_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = lock_path(app_dir)
    previous_lock = read_lock(path)
    with tempfile.TemporaryDirectory(prefix=".install-", dir=root) as work:
        wheel = build_wheel(pip_spec, Path(work) / "wheel", build_isolation=build_isolation)
        if locked is not None and wheel.sha256 != locked.sha256:
            raise InstallError(f"addon {wheel.name!r}: {pip_spec} now gives a different wheel (sha256 "
                               f"{wheel.sha256[:16]}…, locked {locked.sha256[:16]}…); install it by name to accept "
                               "the change")
        if wheel.name in {a.name for a in builtin_addons()}:
            raise InstallError(f"addon name {wheel.name!r} is taken by a built-in step; rename its entry point")
        staged = Path(work) / wheel.name
        args = ["install", "--quiet", "--no-compile", "--no-warn-script-location", "--target", str(staged)]
        if locked is not None and locked.dependencies:
            constraints = Path(work) / "constraints.txt"
            constraints.write_text("".join(f"{d}\n" for d in locked.dependencies), encoding="utf-8")
            args += ["--constraint", str(constraints)]
        _pip([*args, str(wheel.path)], f"install {wheel.distribution}")
        _settle(staged, wheel.name)
        sources, bytecode = split_bytecode(file_lines(staged))
        entry = LockEntry(name=wheel.name, distribution=wheel.distribution, version=wheel.version,
                          entry_point=wheel.entry_point, source=source, sha256=wheel.sha256, tree=h1(sources),
                          dependencies=_dependencies(staged, wheel.distribution))
        if locked is not None and (entry.tree, entry.dependencies) != (locked.tree, locked.dependencies):
            raise InstallError(f"addon {wheel.name!r}: the installed files differ from addons.lock (tree {entry.tree}, "
                               f"locked {locked.tree}); install it by name to accept the change")
        new_lock = previous_lock.with_entry(entry)
        dumps(new_lock)  # a lock that cannot be written is found before anything is swapped in
        old = _swap_in(staged, root / wheel.name)
        try:
            write_atomic(root / f"{wheel.name}.sum", summary_text(sources).encode("utf-8"))
            write_atomic(root / f"{wheel.name}{BYTECODE_SUM}", summary_text(bytecode).encode("utf-8"))
            write_lock(path, new_lock)
            manager.load(app_dir)  # verified, imported, registered with the others: or rolled back
        except BaseException:
            _roll_back(root / wheel.name, old, path, previous_lock)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return entry


def _swap_in(staged: Path, final: Path) -> Path | None:
    """Move ``staged`` to ``final``; the folder it replaces is kept aside (returned) until the install holds."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(old)
        for suffix in (".sum", BYTECODE_SUM):
            sibling = final.with_name(final.name + suffix)
            if sibling.exists():
                sibling.rename(old.with_name(old.name + suffix))
    staged.rename(final)
    return old


def _roll_back(final: Path, old: Path | None, lock_file: Path, previous: Lock) -> None:
    shutil.rmtree(final, ignore_errors=True)
    for suffix in (".sum", BYTECODE_SUM):
        final.with_name(final.name + suffix).unlink(missing_ok=True)
    if old is not None:
        old.rename(final)
        for suffix in (".sum", BYTECODE_SUM):
            kept = old.with_name(old.name + suffix)
            if kept.exists():
                kept.rename(final.with_name(final.name + suffix))
    write_lock(lock_file, previous)


def sync(app_dir: Path, *, build_isolation: bool = True, reinstall: bool = False) -> list[LockEntry]:
    """Install every locked addon whose folder is missing (a fresh clone): the same wheel (sha256), the same
    dependency versions and the same tree as locked, or nothing. ``reinstall`` redoes all of them."""
    lock = read_lock(lock_path(app_dir))
    done = []
    for entry in lock.entries:
        if reinstall or not (addons_dir(app_dir) / entry.name).is_dir():
            done.append(_install(app_dir, _source_for_pip(entry.source, app_dir), entry.source,
                                 build_isolation=build_isolation, locked=entry))
    return done


def remove(app_dir: Path, name: str) -> LockEntry | None:
    """Uninstall an addon: its folder, its summaries and its lock entry. Only names of installed addons."""
    path = lock_path(app_dir)
    lock = read_lock(path)
    entry = lock.get(name)
    root = addons_dir(app_dir)
    folder = root / name
    installed = NAME.match(name) is not None and folder.is_dir() and not folder.is_symlink() and \
        folder.resolve().parent == root.resolve()
    if entry is None and not installed:
        known = ", ".join(lock.names()) or "none"
        raise InstallError(f"no addon {name!r} is installed (installed: {known})")
    if installed:
        shutil.rmtree(folder)
    for suffix in (".sum", BYTECODE_SUM):
        (root / f"{name}{suffix}").unlink(missing_ok=True)
    write_lock(path, lock.without(name))
    return entry


def locked(app_dir: Path) -> Lock:
    return read_lock(lock_path(app_dir))
