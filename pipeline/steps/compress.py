"""Precompression: ``.br`` and ``.gz`` siblings for compressible files above a minimum size.

Results are cached by content hash and settings in ``build/cache/compress``, so only files whose
bytes changed are compressed again (brotli 11 of a Go wasm takes seconds).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.assets.compression import brotli_bytes, gzip_bytes, is_compressible
from pipeline.config.context import Project
from pipeline.core.fs import write_atomic, write_if_changed
from pipeline.engine.loader import content_steps
from pipeline.engine.maps import OutputFile, map_path, read_files, write_map
from pipeline.engine.tasks import action, step_task
from pipeline.observe import progress

STEP = "compress"
SUFFIX = {"br": ".br", "gzip": ".gz"}


def _compressed(project: Project, record: OutputFile, data: bytes, encoding: str) -> bytes:
    settings = project.config.compress
    level = settings.brotli_quality if encoding == "br" else settings.gzip_level
    cached = project.cache_dir / STEP / f"{record.hash}.{encoding}{level}"
    if cached.is_file():
        return cached.read_bytes()
    if encoding == "br":
        with progress.measured(f"brotli {record.path}", len(data)) as advance:
            result = brotli_bytes(data, level, advance if len(data) > 512 * 1024 else None)
    else:
        result = gzip_bytes(data, level)
    write_atomic(cached, result)
    return result


@action
def precompress(project: Project) -> list[Path]:
    settings = project.config.compress
    wanted = [e for e, on in (("br", settings.brotli), ("gzip", settings.gzip)) if on]
    encodings: dict[str, dict[str, dict[str, object]]] = {}
    for record in sorted(read_files(project.maps_dir, content_steps()).values(), key=lambda r: r.path):
        if not is_compressible(record.path) or record.size < settings.min_size:
            continue
        data = (project.out_dir / record.path).read_bytes()
        for encoding in wanted:
            packed = _compressed(project, record, data, encoding)
            if len(packed) >= len(data):
                continue  # serving it would cost more than the plain file
            path = record.path + SUFFIX[encoding]
            write_if_changed(project.out_dir / path, packed)
            encodings.setdefault(record.logical, {})[encoding] = {"path": path, "size": len(packed)}
    return [write_map(project.maps_dir, STEP, [], encodings=encodings)]


def task_compress(project: Project) -> dict:
    c = project.config.compress
    return step_task(project, STEP, "Write .br (brotli) and .gz (gzip) siblings of compressible files",
                     precompress, file_dep=[map_path(project.maps_dir, s) for s in content_steps()],
                     settings={"brotli": c.brotli, "gzip": c.gzip, "q": c.brotli_quality, "level": c.gzip_level,
                               "min": c.min_size})
