"""What each build step produced: output records, and the small JSON "map" every step writes.

A step's map (``build/maps/<step>.json``) is its doit target and the input of later steps, so a step
whose outputs did not change leaves its map byte-identical and nothing downstream re-runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.assets.sri import DEFAULT_ALGORITHM, integrity
from pipeline.core import jsonio
from pipeline.core.errors import PipelineError
from pipeline.core.fs import write_if_changed
from pipeline.core.hashing import Fingerprint, fingerprint, hashed_name
from pipeline.engine.checks import write_listing


@dataclass(frozen=True, slots=True)  # slots: a 10,000-file app holds tens of thousands of these at once
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

    def as_dict(self) -> dict[str, Any]:
        """The record as a map holds it: ``dataclasses.asdict`` without its deep copy, twenty times faster
        (a 10,000-file app's maps hold 15,000 records)."""
        return {"logical": self.logical, "path": self.path, "hash": self.hash, "integrity": self.integrity,
                "size": self.size, "hashed": self.hashed}


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
    body = {"step": step, "files": [f.as_dict() for f in sorted(files, key=lambda f: f.logical)], **extra}
    write_if_changed(path, jsonio.dumps(body, indent=None))  # one line: json's C encoder (indent is pure Python)
    write_listing(path, body)
    return path


# Maps read in this process, by path, with the stat they were read at: every later step reads the maps of
# the steps before it, and a 10,000-file app's maps would otherwise be decoded once per reader.
_READ: dict[Path, tuple[tuple[int, int, int], dict[str, Any], list[OutputFile] | None]] = {}


def read_map(maps_dir: Path, step: str) -> dict[str, Any]:
    """The step's facts (read again only when the file changed; treat them as read-only). Its ``files`` are
    :func:`read_files`' business: once read as records, the map's dicts of them are not kept."""
    return _read(map_path(maps_dir, step), step)[1]


def _read(path: Path, step: str) -> tuple[tuple[int, int, int], dict[str, Any], list[OutputFile] | None]:
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        known = _READ.get(path)
        if known is not None and known[0] == stamp:
            return known
        entry = (stamp, json.loads(path.read_bytes()), None)
    except (OSError, ValueError) as exc:
        raise PipelineError(f"step output missing or unreadable ({exc}); run the '{step}' task", path=path) from None
    _READ[path] = entry
    return entry


def _records(maps_dir: Path, step: str) -> list[OutputFile]:
    """The map's files as records (made once per version of the map)."""
    path = map_path(maps_dir, step)
    stamp, body, records = _read(path, step)
    if records is None:
        records = [OutputFile(**entry) for entry in body["files"]]
        facts = {key: value for key, value in body.items() if key != "files"}  # the records replace the dicts
        _READ[path] = (stamp, facts, records)
    return records


def read_files(maps_dir: Path, steps: Iterable[str]) -> dict[str, OutputFile]:
    """Outputs of several steps by logical name; two steps claiming one name is an error."""
    table: dict[str, OutputFile] = {}
    owner: dict[str, str] = {}
    for step in steps:
        for record in _records(maps_dir, step):
            if record.logical in table:
                raise PipelineError(
                    f"'{record.logical}' is produced by both the {owner[record.logical]} and the {step} step: "
                    "the pipeline generates it, so delete the stale copy from the app's folders")
            table[record.logical] = record
            owner[record.logical] = step
    return table
