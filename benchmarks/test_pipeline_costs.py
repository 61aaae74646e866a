"""The pipeline's own costs at 100 and 1,000 assets: hashing, HTML rewriting, precompression, the size
gate and a no-op ``release``. ``doit gate:bench`` runs this suite (pytest-benchmark) next to the app's
Go benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SIZES

from pipeline.assets.compression import brotli_bytes, gzip_bytes
from pipeline.assets.rewrite import html
from pipeline.assets.sri import integrity
from pipeline.gates.size import evaluate, measure_dist, parse_budgets

BUDGETS = '[[budget]]\npath = "**"\nper = "total"\nbrotli = "10 MB"\n\n[[budget]]\npath = "css/*.css"\ngzip = "4 kB"\n'


def web_files(app: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((app / "web").rglob("*")) if p.is_file()]


@pytest.mark.parametrize("assets", SIZES)
def test_sri_hashing(benchmark, apps, assets):
    files = web_files(apps[assets])
    values = benchmark(lambda: [integrity(data, ("sha384",)) for data in files])
    assert len(values) == len(files) and all(v.startswith("sha384-") for v in values)


@pytest.mark.parametrize("assets", SIZES)
def test_html_rewriting(benchmark, apps, assets):
    page = (apps[assets] / "web" / "index.html").read_bytes()

    def rewrite() -> bytes:
        tree = html.parse(page)
        html.rewrite(tree, lambda ref: ref.url.replace(".", ".0123456789abcdef.", 1))
        return html.serialize(tree)

    out = benchmark(rewrite)
    assert out.count(b".0123456789abcdef.") == assets // 2


@pytest.mark.parametrize("assets", SIZES)
def test_precompression(benchmark, apps, assets):
    styles = [p.read_bytes() for p in sorted((apps[assets] / "web" / "css").glob("*.css"))]
    packed = benchmark(lambda: [(brotli_bytes(s, 11), gzip_bytes(s, 9)) for s in styles])
    assert all(len(b) < len(s) and len(g) < len(s) for s, (b, g) in zip(styles, packed, strict=True))


@pytest.mark.parametrize("assets", SIZES)
def test_size_gate(benchmark, built, assets):
    config = parse_budgets(BUDGETS)
    report = benchmark(lambda: evaluate(config, measure_dist(built[assets])))
    assert report["summary"]["failed"] == 0


@pytest.mark.parametrize("assets", SIZES)
def test_noop_release(benchmark, built, assets):
    app = built[assets].parent
    env = {**os.environ, "VANGO_LOG_FORMAT": "json"}

    def release() -> str:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env, capture_output=True,
                              text=True, timeout=300, check=True).stderr

    log = benchmark.pedantic(release, rounds=10, iterations=1, warmup_rounds=1)
    assert '"event": "task.executed"' not in log
