"""The wasm's compression starts as soon as the wasm is final (``Step.early``) and overlaps the steps before
``compress``; the siblings it makes are the ones ``compress`` would have made, and ``doit -n 2`` (where the
head start is skipped) gives the same dist/."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import brotli
from support import contents, run_pipeline

from pipeline.assets.compression import brotli_bytes, gzip_bytes


def spans(run, name: str) -> list[dict]:
    return [e for e in run.events if e.get("event") == "span.finished" and e.get("name") == name]


def test_the_wasm_is_compressed_early_and_the_siblings_are_the_usual_ones(app: Path, tmp_path: Path):
    env = {"VANGO_CACHE_DIR": str(tmp_path / "cache"), "VANGO_LOG_LEVEL": "DEBUG"}
    run = run_pipeline(["pipeline.cli", "build"], app, env)
    assert run.returncode == 0, run.stderr[-3000:]
    (early,) = [s for s in spans(run, "compress.brotli") if s["attributes"]["vango.file"].endswith(".wasm")]
    assert early["attributes"]["vango.early"] is True and early["attributes"]["vango.bytes_out"] > 0
    wasm = next(p for p in (app / "dist").glob("app.*.wasm"))
    data = wasm.read_bytes()
    assert Path(f"{wasm}.br").read_bytes() == brotli_bytes(data, 11)
    assert Path(f"{wasm}.gz").read_bytes() == gzip_bytes(data, 9)
    assert brotli.decompress(Path(f"{wasm}.br").read_bytes()) == gzip.decompress(Path(f"{wasm}.gz").read_bytes())

    serial = contents(app / "dist")
    for name in ("build", "dist"):
        shutil.rmtree(app / name)
    parallel = run_pipeline(["pipeline.cli", "build", "-n", "2"], app, {**env, "VANGO_CACHE_DIR": str(tmp_path / "c2")})
    assert parallel.returncode == 0, parallel.stderr[-3000:]
    assert contents(app / "dist") == serial
    assert not [s for s in spans(parallel, "compress.brotli") if s["attributes"].get("vango.early")]
