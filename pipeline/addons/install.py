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
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from pipeline.addons.lock import Lock, LockEntry, read_lock, write_lock
from pipeline.addons.manager import GROUP, AddonError, addons_dir, builtin_addons, lock_path
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
    if spec.startswith((".", "/", "~")) or os.sep in spec or candidate.exists():
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


SOURCE_LEFTOVERS = shutil.ignore_patterns("build", "dist", "*.egg-info", ".git", "__pycache__", ".venv", "*.pyc")


def build_wheel(pip_spec: str, into: Path, *, build_isolation: bool = True) -> Wheel:
    """``pip wheel --no-deps``: the addon's own wheel (downloaded, or built from a folder), then read it.

    A folder is copied first (without earlier build output), so the build neither writes into the
    author's folder nor picks up stale files from its ``build/``."""
    shown = pip_spec
    if Path(pip_spec).is_dir():
        copy = into.parent / "source"
        shutil.copytree(pip_spec, copy, ignore=SOURCE_LEFTOVERS)
        pip_spec = str(copy)
    args = ["wheel", "--no-deps", "--quiet", "--wheel-dir", str(into)]
    if not build_isolation:
        args.append("--no-build-isolation")
    _pip([*args, pip_spec], f"build {shown}")
    wheels = sorted(into.glob("*.whl"))
    if len(wheels) != 1:
        raise InstallError(f"pip made {len(wheels)} wheels for {shown}, expected one")
    return read_wheel(wheels[0])


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
    precompile to hash-checked bytecode for this interpreter. Python validates such bytecode against the
    source on import and never writes new files into the folder, so the tree stays exactly as hashed; file
    names inside it are relative (``.vango/addons/<name>/…``), so the hash is the same in every checkout."""
    for record in folder.glob("*.dist-info/direct_url.json"):
        record.unlink()
    shutil.rmtree(folder / "bin", ignore_errors=True)
    for record in folder.glob("*.dist-info/RECORD"):  # keep pip's file list true to what stays
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [ln for ln in lines if not ln.startswith("bin/") and "/direct_url.json," not in ln]
        record.write_text("".join(kept), encoding="utf-8")
    compileall.compile_dir(str(folder), quiet=2, workers=1, stripdir=str(folder),
                           prependdir=f".vango/addons/{name}",
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


def install(app_dir: Path, spec: str, *, build_isolation: bool = True, bundled_root: Path | None = None,
            expect_sha256: str | None = None) -> LockEntry:
    """Install one addon (replacing an earlier version of it) and lock it; returns its lock entry."""
    pip_spec, source = resolve_spec(spec, app_dir, bundled_root)
    return _install(app_dir, pip_spec, source, build_isolation=build_isolation, expect_sha256=expect_sha256)


def _install(app_dir: Path, pip_spec: str, source: str, *, build_isolation: bool,
             expect_sha256: str | None) -> LockEntry:
    root = addons_dir(app_dir)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".install-", dir=root) as work:
        wheel = build_wheel(pip_spec, Path(work) / "wheel", build_isolation=build_isolation)
        if expect_sha256 and wheel.sha256 != expect_sha256:
            raise InstallError(f"addon {wheel.name!r}: {pip_spec} now builds a different wheel (sha256 "
                               f"{wheel.sha256[:16]}…, locked {expect_sha256[:16]}…); install it again by name to "
                               "accept the change")
        if wheel.name in {a.name for a in builtin_addons()}:
            raise InstallError(f"addon name {wheel.name!r} is taken by a built-in step; rename its entry point")
        staged = Path(work) / wheel.name
        _pip(["install", "--quiet", "--no-compile", "--no-warn-script-location", "--target", str(staged),
              str(wheel.path)], f"install {wheel.distribution}")
        _settle(staged, wheel.name)
        lines = file_lines(staged)
        entry = LockEntry(name=wheel.name, distribution=wheel.distribution, version=wheel.version,
                          entry_point=wheel.entry_point, source=source, sha256=wheel.sha256, tree=h1(lines))
        _swap(staged, root / wheel.name)
        write_atomic(root / f"{wheel.name}.sum", summary_text(lines).encode("utf-8"))
    path = lock_path(app_dir)
    write_lock(path, read_lock(path).with_entry(entry))
    return entry


def _swap(staged: Path, final: Path) -> None:
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    staged.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def sync(app_dir: Path, *, build_isolation: bool = True, reinstall: bool = False) -> list[LockEntry]:
    """Install every locked addon whose folder is missing (a fresh clone), checking the wheel's sha256 against
    the lock; ``reinstall`` does it for all of them (after a Python upgrade, say)."""
    lock = read_lock(lock_path(app_dir))
    done = []
    for entry in lock.entries:
        if reinstall or not (addons_dir(app_dir) / entry.name).is_dir():
            done.append(_install(app_dir, _source_for_pip(entry.source, app_dir), entry.source,
                                 build_isolation=build_isolation, expect_sha256=entry.sha256))
    return done


def remove(app_dir: Path, name: str) -> LockEntry | None:
    """Uninstall an addon: its folder, its summary and its lock entry."""
    path = lock_path(app_dir)
    lock = read_lock(path)
    entry = lock.get(name)
    folder = addons_dir(app_dir) / name
    if entry is None and not folder.exists():
        known = ", ".join(lock.names()) or "none"
        raise AddonError(f"no addon {name!r} is installed (installed: {known})")
    shutil.rmtree(folder, ignore_errors=True)
    (addons_dir(app_dir) / f"{name}.sum").unlink(missing_ok=True)
    write_lock(path, lock.without(name) if entry is not None else lock)
    return entry


def locked(app_dir: Path) -> Lock:
    return read_lock(lock_path(app_dir))
