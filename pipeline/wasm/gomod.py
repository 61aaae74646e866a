"""The app module's own inputs, asked of ``go list`` so new files, packages and ``//go:embed`` files
are noticed without a hard-coded list."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, PipelineError
from pipeline.observe import spans
from pipeline.wasm.toolchain import Toolchain

_SEP = "\x1f"
# Packages of the main module and of modules replaced by a local folder (replace x => ../x): both are
# source the user edits. Modules from the module cache are immutable and never listed.
_TEMPLATE = (
    "{{if .Module}}{{if or .Module.Main (and .Module.Replace (eq .Module.Replace.Version \"\"))}}"
    "{{.Dir}}" + _SEP + "{{.Module.GoMod}}" + _SEP
    + "{{range .GoFiles}}{{.}}" + _SEP + "{{end}}{{range .EmbedFiles}}{{.}}" + _SEP + "{{end}}"
    # Files a build constraint leaves out are stamped too: an edit of their constraint brings them in.
    + "{{range .IgnoredGoFiles}}{{.}}" + _SEP + "{{end}}{{end}}{{end}}"
)


def module_root(main_dir: Path) -> Path:
    """The folder of the nearest ``go.mod`` at or above the main package."""
    for folder in (main_dir, *main_dir.parents):
        if (folder / "go.mod").is_file():
            return folder
    raise ConfigError(f"no go.mod in {main_dir} or above it: the main package must be in a Go module "
                      "(run 'go mod init <module path>' there)")


def go_inputs(toolchain: Toolchain, main_dir: Path, tags: tuple[str, ...] = (), *,
              memo: Path | None = None) -> list[Path]:
    """Every file of the main module that the wasm build reads, plus go.mod and go.sum.

    ``memo``: a file remembering the last answer with the stat of every file it lists and the mtime of every
    folder those are in. While none of them changed, ``go list`` would say the same (a new file or package
    changes a folder's mtime, a new import changes a file's), so a no-op build starts no Go process."""
    key = [str(toolchain.go), toolchain.version, str(main_dir), list(tags), os.environ.get("GOFLAGS", "")]
    if memo is not None:
        remembered = _remembered(memo, key)
        if remembered is not None:
            return remembered
    files = _listed(toolchain, main_dir, tags)
    if memo is not None:
        _remember(memo, key, files)
    return files


def _stats(files: list[Path]) -> dict[str, list[Any]]:
    """The stat stamp of each file (the ctime in it notices an edit whose tool put the mtime back) and the
    listing of each folder they are in (an OSError: not there any more)."""
    from pipeline.core.fs import stat_stamp

    stamps: dict[str, list[Any]] = {str(path): stat_stamp(path) for path in files}
    stamps.update({str(folder): _go_listing(folder) for folder in sorted({f.parent for f in files})})
    return stamps


def _go_listing(folder: Path) -> list[Any]:
    """The names in a folder, without a publish's own folders (:func:`pipeline.core.dirswap.is_publish_folder`):
    not the folder's mtime, since a publish renames its staging and spare folders in the app's folder, which is
    often the main package's, and that must not cost a ``go list`` on the next run."""
    import hashlib

    from pipeline.core.dirswap import is_publish_folder

    names = sorted(n for n in os.listdir(folder) if not is_publish_folder(n))
    digest = hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()
    return ["listing", os.stat(folder).st_ino, digest]


def _remembered(memo: Path, key: list[object]) -> list[Path] | None:
    try:
        state = json.loads(memo.read_text(encoding="utf-8"))
        if state.get("key") != key:
            return None
        files = [Path(f) for f in state["files"]]
        return files if _stats(files) == state["stats"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(memo: Path, key: list[object], files: list[Path]) -> None:
    from pipeline.core.fs import write_atomic

    try:
        state = {"key": key, "files": [str(f) for f in files], "stats": _stats(files)}
    except OSError:  # a file went away between go list and here: ask again next time
        return
    write_atomic(memo, json.dumps(state, indent=0).encode("utf-8"))


def _listed(toolchain: Toolchain, main_dir: Path, tags: tuple[str, ...]) -> list[Path]:
    root = module_root(main_dir)
    cmd = [str(toolchain.go), "list", "-e", "-deps", "-f", _TEMPLATE]
    if tags:
        cmd += ["-tags", ",".join(tags)]
    cmd.append(".")
    with spans.span("go.list", **{"vango.go.package": str(main_dir)}) as step:
        proc = subprocess.run(cmd, cwd=main_dir, env=toolchain.env(module=root), capture_output=True, text=True,
                              timeout=120)
        step.set(**{"process.exit_code": proc.returncode})
        if proc.returncode:
            step.fail(f"go list exited with {proc.returncode}")
    if proc.returncode != 0:
        raise go_list_error(proc.stderr, root)
    files: set[Path] = {root / "go.mod"}
    if (root / "go.sum").is_file():
        files.add(root / "go.sum")
    for line in proc.stdout.splitlines():
        parts = [p for p in line.split(_SEP) if p]
        if len(parts) < 2:
            continue
        directory = Path(parts[0])
        files.add(Path(parts[1]))  # that module's go.mod (and go.sum beside it)
        if (Path(parts[1]).parent / "go.sum").is_file():
            files.add(Path(parts[1]).parent / "go.sum")
        files.update(directory / name for name in parts[2:])
    return sorted(files)


_GO_POSITION = re.compile(r"^(?P<file>[^\s:][^:]*\.(?:mod|sum|work)):(?P<line>\d+)(?::(?P<col>\d+))?:\s*(?P<msg>.+)$")


def go_list_error(stderr: str, root: Path) -> PipelineError:
    """Go's own reason with its file and line: ``go: errors parsing go.mod:`` alone says nothing, the line after
    it (``/app/go.mod:5:3: usage: require module/path v1.2.3``) says what to fix. A broken go.mod is the
    app's configuration (exit 2); anything else fails the task."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip() and not ln.startswith("#")]
    for number, line in enumerate(lines):
        match = _GO_POSITION.match(line)
        if match:
            where = match["line"] + (f":{match['col']}" if match["col"] else "")
            more = tuple(ln for ln in lines[number + 1:] if _GO_POSITION.match(ln))
            return ConfigError(match["msg"], path=_absolute(match["file"], root), location=where, more=more)
    return PipelineError(f"go list failed: {'; '.join(lines) or '(no output)'}", path=root / "go.mod")


def _absolute(name: str, root: Path) -> Path:
    path = Path(name)
    return path if path.is_absolute() else root / path


def first_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[0].strip() if lines else "(no output)"


_LOCATION = re.compile(r"^(\.{0,2}/?[^\s:]+\.go):(\d+)(?::(\d+))?:\s*(.*)$")


def compiler_errors(stderr: str, cwd: Path) -> list[str]:
    """Go's error lines with paths made relative to the user's working directory (clickable)."""
    errors = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LOCATION.match(line)
        if match:
            path = (cwd / match.group(1)).resolve()
            try:
                shown = str(path.relative_to(Path.cwd()))
            except ValueError:
                shown = str(path)
            col = f":{match.group(3)}" if match.group(3) else ""
            line = f"{shown}:{match.group(2)}{col}: {match.group(4)}"
        errors.append(line)
    return errors
