"""Full docs builds render and template pages in worker processes: the site they make is byte for byte the
one a build in one process makes (and a second build from the same sources changes nothing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import REPO, contents

sys.path.insert(0, str(REPO / "benchmarks"))
from docs_corpus import generate

from pipeline.docs import config, pages, rendering, theme
from pipeline.docs.paths import DocsPaths


def build(root: Path, parallel_from: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    paths = DocsPaths(root / "docs", root / "site", root / "build")
    settings = config.load(paths.source)
    theme.write_assets_map(paths.assets_map, theme.build_assets(paths.source, settings, paths.out))
    monkeypatch.setattr(rendering, "PARALLEL_FROM", parallel_from)
    result = pages.build(paths, settings)
    assert len(result.rendered) == len(result.templated) == result.pages == 81
    return contents(paths.out)


def test_worker_processes_build_the_same_site_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    for root in (serial, parallel):
        generate(root, 80)
    one = build(serial, 10**9, monkeypatch)
    many = build(parallel, 2, monkeypatch)
    assert one == many and len(one) > 80
    again = pages.build(DocsPaths(parallel / "docs", parallel / "site", parallel / "build"),
                        config.load(parallel / "docs"))
    assert again.rendered == [] and again.templated == []
