"""What each build step produced: output records, and the small JSON "map" every step writes.

A step's map (``build/maps/<step>.json``) is its doit target and the input of later steps, so a step
whose outputs did not change leaves its map byte-identical and nothing downstream re-runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.assets.sri import DEFAULT_ALGORITHM, integrity
from pipeline.core import jsonio
from pipeline.core.errors import PipelineError
from pipeline.core.fs import write_if_changed
from pipeline.core.hashing import Fingerprint, fingerprint, hashed_name


@dataclass(frozen=True)
class OutputFile:
    logical: str  # the name authors use (css/app.css)
    path: str  # the served name, relative to dist/ (css/app.1a2b….css)
    hash: str  # SHA-384 hex of the final bytes
    integrity: str  # SRI value of the same digest
    size: int
    hashed: bool

    @classmethod
    def from_fingerprint(cls, logical: str, path: str, fp: Fingerprint, hashed: bool = True) -> OutputFile:
        return cls(logical, path, fp.hex, fp.integrity, fp.size, hashed)


def integrity_of(record: OutputFile, out_dir: Path, algorithms: tuple[str, ...]) -> str:
    """The record's SRI value; plain sha384 reuses the digest taken when the bytes were written."""
    if algorithms == (DEFAULT_ALGORITHM,):
        return record.integrity
    return integrity((out_dir / record.path).read_bytes(), algorithms)


def emit(out_dir: Path, logical: str, data: bytes, *, hashed: bool = True, fp: Fingerprint | None = None,
         path: str | None = None) -> OutputFile:
    """Write final bytes under their served name (hashed or not) and describe them. ``path`` overrides the
    name for files in an import cycle, whose names the linker derives from the whole cycle."""
    fp = fp or fingerprint(data)
    path = path or (hashed_name(logical, fp.short) if hashed else logical)
    write_if_changed(out_dir / path, data)
    return OutputFile.from_fingerprint(logical, path, fp, hashed)


def map_path(maps_dir: Path, step: str) -> Path:
    return maps_dir / f"{step}.json"


def write_map(maps_dir: Path, step: str, files: Iterable[OutputFile], **extra: Any) -> Path:
    path = map_path(maps_dir, step)
    body = {"step": step, "files": [asdict(f) for f in sorted(files, key=lambda f: f.logical)], **extra}
    write_if_changed(path, jsonio.dumps(body, indent=None))  # one line: json's C encoder (indent is pure Python)
    return path


def read_map(maps_dir: Path, step: str) -> dict[str, Any]:
    path = map_path(maps_dir, step)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"step output missing or unreadable ({exc}); run the '{step}' task", path=path) from None


def read_files(maps_dir: Path, steps: Iterable[str]) -> dict[str, OutputFile]:
    """Outputs of several steps by logical name; two steps claiming one name is an error."""
    table: dict[str, OutputFile] = {}
    owner: dict[str, str] = {}
    for step in steps:
        for entry in read_map(maps_dir, step)["files"]:
            record = OutputFile(**entry)
            if record.logical in table:
                raise PipelineError(
                    f"'{record.logical}' is produced by both the {owner[record.logical]} and the {step} step: "
                    "the pipeline generates it, so delete the stale copy from the app's folders")
            table[record.logical] = record
            owner[record.logical] = step
    return table
