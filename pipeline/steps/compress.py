"""Precompression, the encode step: ``.br`` and ``.gz`` siblings for compressible files above a minimum size.

Results are cached in ``build/cache/compress`` by content hash, encoder, level, the encoding library's
version and the pipeline's fingerprint, so only files whose bytes changed are compressed again (brotli 11
of a Go wasm takes seconds), and a cached result never outlives the code that made it.

A large file whose bytes are final early (the wasm, as soon as it is linked) can be encoded ahead of this
step, in threads (brotli and zlib release the GIL), while the steps between run on the other core:
:func:`start_early` begins it, and this step then waits for the result instead of encoding again.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import brotli

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.compression import brotli_bytes, gzip_bytes, is_compressible
from pipeline.config.context import Context
from pipeline.core.fs import write_atomic, write_if_changed
from pipeline.engine.maps import OutputFile, map_path
from pipeline.engine.step import Role, Step, StepResult, StepRun
from pipeline.engine.tasks import fingerprint
from pipeline.observe import progress, spans

SUFFIX = {"br": ".br", "gzip": ".gz"}
LARGE = 512 * 1024  # files above this get a span of their own (and a progress bar on a terminal)


def producer_key(encoding: str, level: int, fingerprint: str) -> str:
    """What made a cached result, besides the input bytes: the encoder and its level, the library that
    encodes (its version), and the pipeline's own code. A cached file never outlives any of them."""
    library = f"brotli {brotli.__version__}" if encoding == "br" else f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
    text = f"{encoding}|{level}|{library}|{fingerprint}"
    return f"{encoding}{level}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _level(ctx: Context, encoding: str) -> int:
    settings = ctx.config.compress
    return settings.brotli_quality if encoding == "br" else settings.gzip_level


def _cache_path(ctx: Context, record: OutputFile, encoding: str) -> Path:
    key = producer_key(encoding, _level(ctx, encoding), fingerprint(ctx))
    return ctx.cache_dir / "compress" / f"{record.hash}.{key}"


def _wanted(ctx: Context) -> list[str]:
    settings = ctx.config.compress
    return [e for e, on in (("br", settings.brotli), ("gzip", settings.gzip)) if on]


_EARLY: dict[Path, Future[bytes]] = {}  # cache file -> its encoding, started ahead of this step
_POOL: ThreadPoolExecutor | None = None


def _encode(data: bytes, encoding: str, level: int, cached: Path) -> bytes:
    result = brotli_bytes(data, level) if encoding == "br" else gzip_bytes(data, level)
    write_atomic(cached, result)
    return result


def start_early(ctx: Context, record: OutputFile) -> None:
    """``Step.early``: begin encoding a large file as soon as the content step that wrote it is done (the
    wasm: brotli 11 takes seconds), so that it overlaps the steps before this one. Small files are not worth
    a thread. Not in a ``doit -n N`` worker process: this step may run in another one, which would encode
    the same bytes again on the other core."""
    global _POOL
    if not is_compressible(record.path) or record.size < max(ctx.config.compress.min_size, LARGE):
        return
    if multiprocessing.current_process().name != "MainProcess":
        return
    data = None
    for cached in [path for path, future in _EARLY.items() if future.done()]:
        del _EARLY[cached]  # never claimed (the run ended before this step): the cache file has the result
    for encoding in _wanted(ctx):
        cached = _cache_path(ctx, record, encoding)
        if cached in _EARLY or cached.is_file():
            continue
        data = data if data is not None else (ctx.out_dir / record.path).read_bytes()
        _POOL = _POOL or ThreadPoolExecutor(max_workers=2, thread_name_prefix="vango-compress")
        _EARLY[cached] = _POOL.submit(_encode, data, encoding, _level(ctx, encoding), cached)


def _compressed(ctx: Context, record: OutputFile, data: bytes, encoding: str,
                advance: Callable[[int], None] = lambda done: None) -> bytes:
    """The encoded bytes (from the cache when the same bytes were encoded the same way before, or from an
    encoding started early); ``advance`` gets how much of ``data`` is done, for the step's progress bar."""
    level = _level(ctx, encoding)
    cached = _cache_path(ctx, record, encoding)
    early = _EARLY.pop(cached, None)
    if early is not None:
        with spans.span(f"compress.{'brotli' if encoding == 'br' else 'gzip'}", **{
                "vango.file": record.path, "vango.bytes_in": len(data), "vango.level": level,
                "vango.early": True}) as measured:
            result = early.result()  # the time left of an encoding that began when the file was written
            measured.set(**{"vango.bytes_out": len(result)})
        return result
    if cached.is_file():
        return cached.read_bytes()
    large = len(data) > LARGE
    with spans.span(f"compress.{'brotli' if encoding == 'br' else 'gzip'}", **{
            "vango.file": record.path, "vango.bytes_in": len(data), "vango.level": level}) if large \
            else contextlib.nullcontext() as measured:
        result = (brotli_bytes(data, level, advance if large else None) if encoding == "br"
                  else gzip_bytes(data, level))
        if measured is not None:
            measured.set(**{"vango.bytes_out": len(result)})
    write_atomic(cached, result)
    return result


def precompress(run: StepRun) -> StepResult:
    ctx = run.ctx
    settings = ctx.config.compress
    wanted = _wanted(ctx)
    encodings: dict[str, dict[str, dict[str, object]]] = {}
    records = [r for r in sorted(run.known().values(), key=lambda r: r.path)
               if is_compressible(r.path) and r.size >= settings.min_size]
    # One bar for the step on a terminal: the bytes to encode, all encodings together.
    producer = [producer_key(e, _level(ctx, e), fingerprint(ctx)) for e in wanted]
    previous = _previous(ctx)
    sources: dict[str, list[str]] = {}
    with progress.measured(f"compress {len(records)} files", sum(r.size for r in records) * len(wanted)) as bar:
        done = 0
        for record in _early_last(ctx, records, wanted):
            sources[record.logical] = [record.hash, *producer]
            kept = _unchanged(ctx, record, sources[record.logical], previous)
            if kept is not None:  # the same bytes, encoded the same way, siblings in place: nothing to read
                if kept:
                    encodings[record.logical] = kept
                done += record.size * len(wanted)
                continue
            data = (ctx.out_dir / record.path).read_bytes()
            for encoding in wanted:
                packed = _compressed(ctx, record, data, encoding, lambda part, at=done: bar(at + part))
                done += len(data)
                bar(done)
                _record(ctx, record, data, encoding, packed, encodings)
    in_order = {r.logical: encodings[r.logical] for r in records if r.logical in encodings}  # the map's order
    return StepResult(facts={"encodings": in_order, "sources": {r.logical: sources[r.logical] for r in records}})


def _early_last(ctx: Context, records: list[OutputFile], wanted: list[str]) -> list[OutputFile]:
    """The records whose encoding began early (a large page, the wasm) after the rest: this thread encodes the
    others (``sw.js``, say) while those finish on the other core, rather than waiting for them first."""
    pending = {r.logical for r in records
               if r.size >= LARGE and any(_cache_path(ctx, r, e) in _EARLY for e in wanted)}
    return [r for r in records if r.logical not in pending] + [r for r in records if r.logical in pending]


def _previous(ctx: Context) -> dict[str, Any]:
    """The last run's map of this step (empty on a first run)."""
    from pipeline.core.jsonio import read_json_or_none

    found = read_json_or_none(map_path(ctx.maps_dir, STEP.name))
    return found if isinstance(found, dict) else {}


def _unchanged(ctx: Context, record: OutputFile, source: list[str], previous: dict[str, Any]) -> dict[str, Any] | None:
    """The file's encodings as the last run listed them, when it encoded the same bytes with the same
    encoders (``source``: the file's hash and the producers' keys) and every sibling it wrote is still in
    build/out with its size; else None. An edit of one file of 10,000 then reads one file, not 10,000."""
    if (previous.get("sources") or {}).get(record.logical) != source:
        return None
    listed = (previous.get("encodings") or {}).get(record.logical) or {}
    root = str(ctx.out_dir)
    for entry in listed.values():
        try:
            if os.stat(os.path.join(root, entry["path"])).st_size != entry["size"]:
                return None
        except (OSError, KeyError, TypeError):
            return None
    return listed


def _record(ctx: Context, record: OutputFile, data: bytes, encoding: str, packed: bytes,
            encodings: dict[str, dict[str, dict[str, object]]]) -> None:
    """Write the sibling and list it, unless serving it would cost more than the plain file."""
    if len(packed) >= len(data):
        return
    path = record.path + SUFFIX[encoding]
    write_if_changed(ctx.out_dir / path, packed)
    encodings.setdefault(record.logical, {})[encoding] = {"path": path, "size": len(packed),
                                                          "hash": hashlib.sha384(packed).hexdigest()}


def compress_settings(ctx: Context) -> dict[str, Any]:
    c = ctx.config.compress
    return {"brotli": c.brotli, "gzip": c.gzip, "q": c.brotli_quality, "level": c.gzip_level, "min": c.min_size}


STEP = Step("compress", Role.ENCODE, "Write .br (brotli) and .gz (gzip) siblings of compressible files", precompress,
            settings=compress_settings, config="compress", early=start_early)


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
