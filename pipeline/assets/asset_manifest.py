"""The asset manifest: ``dist/asset-manifest.json``, the machine-readable description of a release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pipeline.assets.manifest_lines import PER_LINE, Lent, compact, head
from pipeline.core.mediatypes import content_type
from pipeline.core.schemas import package_schema
from pipeline.engine.maps import OutputFile

if TYPE_CHECKING:
    from pipeline.config.model import AppConfig

MANIFEST_NAME = "asset-manifest.json"
SCHEMA_NAME = "asset-manifest.schema.json"


def manifest_schema() -> dict[str, Any]:
    return package_schema("pipeline.config", SCHEMA_NAME)


def build_manifest(config: AppConfig, files: Mapping[str, OutputFile],
                   encodings: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    assets = {
        name: {
            "path": f.path, "size": f.size, "hash": f.hash, "integrity": f.integrity, "hashed": f.hashed,
            "type": content_type(f.path), "encodings": dict(encodings.get(name, {})),
        }
        for name, f in sorted(files.items())
    }
    return {"version": 1, "app": config.name, "base": config.base, "entry": config.entry, "assets": assets}


def validate_manifest(manifest: Mapping[str, Any]) -> list[str]:
    """Schema violations as ``<json path>: <message>`` lines (empty when valid)."""
    from jsonschema import Draft202012Validator  # imported when a manifest is checked, not at load

    validator = Draft202012Validator(manifest_schema())
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(manifest)]


def served_files(manifest: Mapping[str, Any]) -> list[str]:
    """Every path of dist/ the manifest accounts for (itself included)."""
    paths = {MANIFEST_NAME}
    for asset in manifest["assets"].values():
        paths.add(asset["path"])
        paths.update(e["path"] for e in asset["encodings"].values())
    return sorted(paths)


def dumps(manifest: Mapping[str, Any], lent: Lent | None = None) -> bytes:
    """:func:`dump_parts` joined."""
    return b"".join(dump_parts(manifest, lent))


def dump_parts(manifest: Mapping[str, Any], lent: Lent | None = None) -> list[bytes | memoryview]:
    """Sorted-key JSON with one asset (and one retained file) per line: as readable and diffable as an
    indented document, but each line comes from the C encoder, so a 15,000-entry manifest of a large app
    is written in milliseconds rather than the half second the pure-Python indenting encoder takes.

    ``lent`` (:func:`pipeline.assets.manifest_lines.lend`, for this very document) gives spans of the last
    manifest's bytes for the entries that are equal in both: an edit of one file of 10,000 encodes one line,
    not 10,000. The bytes are the same either way (tested), for entries whose values compare equal only when
    they encode alike (a manifest's: strings, integers, booleans and objects of them, never 1 against 1.0 or
    True)."""
    out: list[bytes | memoryview] = [b"{\n"]  # the spans of the last manifest: views of its bytes
    for index, key in enumerate(sorted(manifest)):
        if index:
            out.append(b",\n")
        value = manifest[key]
        if key in PER_LINE and isinstance(value, Mapping) and value:
            runs = lent.blocks.get(key) if lent is not None else None
            data = memoryview(lent.data if lent is not None else b"")
            out.append(f"  {compact(key)}: {{\n".encode())
            for line, run in enumerate(runs if runs is not None else sorted(value)):
                if line:
                    out.append(b",\n")
                lent_span = isinstance(run, tuple)
                out.append(data[run[0]:run[1]] if lent_span else f"{head(run)}{compact(value[run])}".encode())
            out.append(b"\n  }")
        else:
            out.append(f"  {compact(key)}: {compact(value)}".encode())
    out.append(b"\n}\n")
    return out
