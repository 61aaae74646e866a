"""Precompression, the encode step: ``.br`` and ``.gz`` siblings for compressible files above a minimum size.

Results are cached in ``build/cache/compress`` by content hash, encoder, level, the encoding library's
version and the pipeline's fingerprint, so only files whose bytes changed are compressed again (brotli 11
of a Go wasm takes seconds), and a cached result never outlives the code that made it.
"""

from __future__ import annotations

import contextlib
import hashlib
import zlib
from collections.abc import Callable
from typing import Any

import brotli

from pipeline.addons.hookspecs import hookimpl
from pipeline.assets.compression import brotli_bytes, gzip_bytes, is_compressible
from pipeline.config.context import Context
from pipeline.core.fs import write_atomic, write_if_changed
from pipeline.engine.maps import OutputFile
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


def _compressed(ctx: Context, record: OutputFile, data: bytes, encoding: str,
                advance: Callable[[int], None] = lambda done: None) -> bytes:
    """The encoded bytes (from the cache when the same bytes were encoded the same way before); ``advance``
    gets how much of ``data`` is done, for the step's progress bar."""
    settings = ctx.config.compress
    level = settings.brotli_quality if encoding == "br" else settings.gzip_level
    cached = ctx.cache_dir / "compress" / f"{record.hash}.{producer_key(encoding, level, fingerprint(ctx))}"
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
    wanted = [e for e, on in (("br", settings.brotli), ("gzip", settings.gzip)) if on]
    encodings: dict[str, dict[str, dict[str, object]]] = {}
    records = [r for r in sorted(run.known().values(), key=lambda r: r.path)
               if is_compressible(r.path) and r.size >= settings.min_size]
    # One bar for the step on a terminal: the bytes to encode, all encodings together.
    with progress.measured(f"compress {len(records)} files", sum(r.size for r in records) * len(wanted)) as bar:
        done = 0
        for record in records:
            data = (ctx.out_dir / record.path).read_bytes()
            for encoding in wanted:
                packed = _compressed(ctx, record, data, encoding, lambda part, at=done: bar(at + part))
                done += len(data)
                bar(done)
                _record(ctx, record, data, encoding, packed, encodings)
    return StepResult(facts={"encodings": encodings})


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
            settings=compress_settings, config="compress")


@hookimpl
def vango_steps() -> list[Step]:
    return [STEP]
