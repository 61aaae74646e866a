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

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.assets.asset_manifest import MANIFEST_NAME, manifest_schema, validate_manifest
from pipeline.assets.compression import brotli_bytes, gzip_bytes, is_compressible
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
    problems = validated(memo, manifest, manifest_schema(), lambda: validate_manifest(manifest))
    if problems:
        raise GateError(f"not a valid asset manifest: {problems[0]}", path=manifest_path)
    computed = _Computed(memo / COMPUTED if memo is not None else None)
    sizes = [_measure(dist, manifest_path, name, asset, computed) for name, asset in sorted(manifest["assets"].items())]
    computed.save()
    return sizes


COMPUTED = "computed-sizes.json"  # in the memo folder: gzip -9 and brotli -q 11 sizes by SHA-384


class _Computed:
    """The compressed sizes of files that have no sibling, by the SHA-384 the manifest lists for their bytes
    (dist/ is checked against its publish record before a gate runs): each is computed once, not every run."""

    def __init__(self, path: Path | None):
        self.path = path
        self.known: dict[str, list[int]] = {}
        self.used: dict[str, list[int]] = {}  # what this manifest needs: all the memo keeps
        if path is not None:
            try:
                loaded = json.loads(path.read_bytes())
                self.known = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                pass

    def sizes(self, digest: str, data: Callable[[], bytes]) -> tuple[int, int]:
        known = self.known.get(digest)
        if not (isinstance(known, list) and len(known) == 2 and all(type(n) is int for n in known)):
            body = data()
            known = [len(gzip_bytes(body, 9)), len(brotli_bytes(body, 11))]
        if digest:
            self.used[digest] = known
        return known[0], known[1]

    def save(self) -> None:
        if self.path is not None and self.used != self.known:
            from pipeline.core.fs import write_atomic

            write_atomic(self.path, json.dumps(self.used, sort_keys=True).encode("utf-8"))


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


def _measure(dist: Path, manifest_path: Path, name: str, asset: Mapping[str, Any], computed: _Computed) -> FileSize:
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
        gzip_size, brotli_size = computed.sizes(asset.get("hash", ""), (dist / asset["path"]).read_bytes)
        for metric, size in (("gzip", gzip_size), ("brotli", brotli_size)):
            if metric not in sizes:
                sizes[metric], sources[metric] = size, "computed"
    return FileSize(name, asset["path"], raw, sizes["gzip"], sizes["brotli"], sources)
