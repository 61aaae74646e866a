"""The asset manifest: ``dist/asset-manifest.json``, the machine-readable description of a release."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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


def dumps(manifest: Mapping[str, Any], previous: tuple[Any, bytes] | None = None) -> bytes:
    """Sorted-key JSON with one asset (and one retained file) per line: as readable and diffable as an
    indented document, but each line comes from the C encoder, so a 15,000-entry manifest of a large app
    is written in milliseconds rather than the half second the pure-Python indenting encoder takes.

    ``previous`` (a document and the bytes this function wrote for it: the caller makes sure of that, since a
    line is lent by its name) lends its lines to the entries that are equal in both: an edit of one file of
    10,000 encodes one line, not 10,000. The bytes are the same either way (tested), for entries whose values
    compare equal only when they encode alike (a manifest's: strings, integers, booleans and objects of
    them, never 1 against 1.0 or True)."""
    lent: dict[str, tuple[Mapping[str, Any], dict[str, str]]] | None = None
    lines = []
    for key in sorted(manifest):
        value = manifest[key]
        if key in PER_LINE and isinstance(value, Mapping) and value:
            same = _same_block(previous, key, value)
            if same is not None:  # the very block ``previous`` was written from: its text as it is
                lines.append(f"  {_compact(key)}: {{\n{same}\n  }}")
                continue
            lent = _lines_by_entry(previous) if lent is None else lent
            old, old_lines = lent.get(key, ({}, {}))
            entries = ",\n".join(old_lines[name] if name in old_lines and old[name] == value[name]
                                 else f"    {_compact(name)}: {_compact(value[name])}" for name in sorted(value))
            lines.append(f"  {_compact(key)}: {{\n{entries}\n  }}")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8")


def _same_block(previous: tuple[Any, bytes] | None, key: str, value: Mapping[str, Any]) -> str | None:
    """The text of block ``key`` in ``previous``'s bytes when ``value`` is that document's block itself (the
    same object: the publish writes the index step's assets again, with the retained files), else None."""
    if previous is None or not isinstance(previous[0], Mapping) or previous[0].get(key) is not value:
        return None
    try:
        text = previous[1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    opening = f"\n  {_compact(key)}: {{\n"  # a top-level key: lines inside a block are indented further
    start = text.find(opening)
    end = text.find("\n  }", start + len(opening))
    block = text[start + len(opening):end] if start >= 0 and end >= 0 else ""
    if not block or block.count("\n") != len(value) - 1:
        return None
    first, last = min(value), max(value)  # the block's first and last lines name them
    if not (block.startswith(f"    {_compact(first)}: ") and block[block.rfind("\n") + 1:].startswith(
            f"    {_compact(last)}: ")):
        return None
    return block


def _lines_by_entry(previous: tuple[Any, bytes] | None) -> dict[str, tuple[Mapping[str, Any], dict[str, str]]]:
    """For each per-line block of ``previous``, its entries and their lines (without the comma), where the
    text has the shape :func:`dumps` writes for that document (sorted, one line an entry, each starting with
    its encoded name); a block of another shape lends nothing."""
    if previous is None or not isinstance(previous[0], Mapping):
        return {}
    document, data = previous
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    found = {}
    for key in PER_LINE:
        block = document.get(key)
        if not isinstance(block, Mapping) or not block:
            continue
        opening = f"\n  {_compact(key)}: {{\n"
        start = text.find(opening)
        end = text.find("\n  }", start + len(opening))
        if start < 0 or end < 0:
            continue
        names = sorted(block)
        lines = text[start + len(opening):end].split("\n")
        if len(lines) != len(names):
            continue
        by_name = {}
        for name, line in zip(names, lines, strict=True):
            head = f'    "{name}": ' if not _ESCAPED.search(name) else f"    {_compact(name)}: "
            if not line.startswith(head):
                break
            by_name[name] = line[:-1] if line.endswith(",") else line
        else:
            found[key] = (block, by_name)
    return found


_ESCAPED = re.compile(r'[\x00-\x1f"\\]')  # what json.dumps escapes in a string with ensure_ascii=False
PER_LINE = frozenset({"assets", "retained"})


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
