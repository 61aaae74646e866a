"""The asset manifest: ``dist/asset-manifest.json``, the machine-readable description of a release."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.config.model import AppConfig, schema
from pipeline.core import jsonio
from pipeline.core.mediatypes import content_type
from pipeline.engine.maps import OutputFile

MANIFEST_NAME = "asset-manifest.json"
SCHEMA_NAME = "asset-manifest.schema.json"


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

    validator = Draft202012Validator(schema(SCHEMA_NAME))
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(manifest)]


def served_files(manifest: Mapping[str, Any]) -> list[str]:
    """Every path of dist/ the manifest accounts for (itself included)."""
    paths = {MANIFEST_NAME}
    for asset in manifest["assets"].values():
        paths.add(asset["path"])
        paths.update(e["path"] for e in asset["encodings"].values())
    return sorted(paths)


def dumps(manifest: Mapping[str, Any]) -> bytes:
    return jsonio.dumps(manifest)
