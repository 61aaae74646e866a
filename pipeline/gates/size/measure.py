"""Sizes of what a release serves, per logical name, read from ``dist/`` and its ``asset-manifest.json``.

- ``raw``: the served file's bytes on disk;
- ``gzip`` / ``brotli``: the precompressed sibling listed under ``encodings`` (what a server sends for
  ``Accept-Encoding: gzip`` / ``br``) when there is one; else, for a file of a type servers compress (text,
  JS, wasm, SVG), computed in memory with the pipeline's own settings (gzip level 9 without timestamp,
  brotli quality 11), the size a compressing server would send; else (images, fonts, archives: already
  compressed) the file's own size, which is what any server sends for them ("identity").

The manifest and dist/ must agree (every listed file present, sizes equal): a stale manifest is an error,
not something to measure around.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.assets.asset_manifest import MANIFEST_NAME, SCHEMA_NAME, validate_manifest
from pipeline.assets.compression import brotli_bytes, gzip_bytes, is_compressible
from pipeline.config.model import schema
from pipeline.core.inputs import read_json
from pipeline.core.validity import validated
from pipeline.gates.common import GateError

ENCODING_METRICS = {"gzip": "gzip", "br": "brotli"}  # manifest encoding key -> metric


@dataclass(frozen=True)
class FileSize:
    name: str  # logical name, e.g. "app.wasm"
    path: str  # served path relative to dist/, e.g. "app.14fa557ffc2d7062.wasm"
    raw: int
    gzip: int
    brotli: int
    sources: dict[str, str] = field(default_factory=dict)  # "gzip"/"brotli" -> "precompressed" | "computed" |
    # "identity" (a type servers send as it is)

    def size(self, metric: str) -> int:
        return {"raw": self.raw, "gzip": self.gzip, "brotli": self.brotli}[metric]


def measure_dist(dist: Path | str, manifest: Mapping[str, Any] | None = None,
                 memo: Path | None = None) -> list[FileSize]:
    """Every asset of ``dist/``, sorted by logical name. ``manifest`` defaults to ``dist/asset-manifest.json``;
    ``memo``: a folder remembering manifests that passed the schema (see :mod:`pipeline.core.validity`)."""
    dist = Path(dist)
    manifest_path = dist / MANIFEST_NAME
    if manifest is None:
        manifest = _read_manifest(manifest_path)
    problems = validated(memo, manifest, schema(SCHEMA_NAME), lambda: validate_manifest(manifest))
    if problems:
        raise GateError(f"not a valid asset manifest: {problems[0]}", path=manifest_path)
    return [_measure(dist, manifest_path, name, asset) for name, asset in sorted(manifest["assets"].items())]


def measure_bytes(name: str, data: bytes, *, path: str | None = None) -> FileSize:
    """Sizes of one in-memory file (no precompressed siblings): for tests and for files outside a dist/."""
    return FileSize(name, path or name, len(data), len(gzip_bytes(data, 9)), len(brotli_bytes(data, 11)),
                    {"gzip": "computed", "brotli": "computed"})


def _read_manifest(path: Path) -> dict[str, Any]:
    return read_json(path, error=GateError, missing="not found: build the app first (the size gate measures dist/)")


def _stat(dist: Path, manifest_path: Path, name: str, served: str, listed: int) -> int:
    target = dist / served
    try:
        size = target.stat().st_size
    except FileNotFoundError:
        raise GateError(f"{name}: {served} is listed but missing from dist/", path=manifest_path) from None
    if size != listed:
        raise GateError(f"{name}: {served} has {size} bytes but the manifest says {listed} (stale manifest?)",
                        path=manifest_path)
    return size


def _measure(dist: Path, manifest_path: Path, name: str, asset: Mapping[str, Any]) -> FileSize:
    raw = _stat(dist, manifest_path, name, asset["path"], asset["size"])
    sizes: dict[str, int] = {}
    sources: dict[str, str] = {}
    for encoding, metric in ENCODING_METRICS.items():
        sibling = asset["encodings"].get(encoding)
        if sibling is not None:
            sizes[metric] = _stat(dist, manifest_path, name, sibling["path"], sibling["size"])
            sources[metric] = "precompressed"
    if len(sizes) < len(ENCODING_METRICS) and not is_compressible(asset["path"]):
        for metric in ENCODING_METRICS.values():
            if metric not in sizes:
                sizes[metric], sources[metric] = raw, "identity"
    if len(sizes) < len(ENCODING_METRICS):
        data = (dist / asset["path"]).read_bytes()
        if "gzip" not in sizes:
            sizes["gzip"] = len(gzip_bytes(data, 9))
            sources["gzip"] = "computed"
        if "brotli" not in sizes:
            sizes["brotli"] = len(brotli_bytes(data, 11))
            sources["brotli"] = "computed"
    return FileSize(name, asset["path"], raw, sizes["gzip"], sizes["brotli"], sources)
