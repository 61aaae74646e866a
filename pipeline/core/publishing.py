"""Which files of the web and public folders are published: everything, except what never belongs on a web
server unless the app lists it explicitly (``publish.include`` in vango.json): dotfiles and dot-folders
(``.well-known/`` is published), Go sources and module files, the pipeline's own files (vango.json,
addons.lock, doit's database), ``*.wasm`` files the pipeline did not build and copies of ``wasm_exec.js``
(the pipeline ships its toolchain's own). ``publish.exclude`` leaves out more.

Patterns are shell-style globs on the path relative to the folder (``*`` matches across ``/``); a pattern
without a ``/`` also matches a file's name in any folder.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

ALLOWED_DOT_FOLDERS = frozenset({".well-known"})
PIPELINE_FILES = frozenset({"vango.json", "addons.lock", "doit.sqlite3", ".doit.db", "dodo.py"})
GO_FILES = frozenset({"go.mod", "go.sum", "go.work", "go.work.sum"})


@dataclass(frozen=True)
class Verdict:
    published: bool
    reason: str = ""  # why a file is left out, in words
    warn: bool = False  # left out, and likely a mistake the author should hear about


def default_reason(name: str) -> tuple[str, bool] | None:
    """Why the default rule leaves ``name`` (a relative POSIX path) out, and whether that deserves a warning."""
    parts = name.split("/")
    base = parts[-1]
    if any(p.startswith(".") and p not in ALLOWED_DOT_FOLDERS for p in parts):
        return "a dotfile or dot-folder", False
    if base.endswith(".go") or base in GO_FILES:
        return "Go source or module file", False
    if base in PIPELINE_FILES or base.startswith("doit.sqlite3"):
        return "a file of the build itself", False
    if base == "wasm_exec.js":
        return "a copy of wasm_exec.js: the build ships its toolchain's own (delete this copy)", True
    if base.endswith(".wasm"):
        return "a .wasm the build did not make (the app's wasm is compiled from its Go code)", True
    return None


def _matches(name: str, patterns: Iterable[str]) -> bool:
    if not patterns:
        return False
    base = PurePosixPath(name).name
    return any(fnmatch.fnmatchcase(name, p) or ("/" not in p and fnmatch.fnmatchcase(base, p)) for p in patterns)


def verdict(name: str, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> Verdict:
    """Whether ``name`` is published: ``exclude`` wins, then ``include``, then the default rule."""
    if _matches(name, exclude):
        return Verdict(False, "listed in publish.exclude")
    if _matches(name, include):
        return Verdict(True)
    found = default_reason(name)
    if found is None:
        return Verdict(True)
    reason, warn = found
    return Verdict(False, reason, warn)
