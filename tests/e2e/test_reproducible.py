"""Two clean builds of the same sources, in different folders, give byte-identical dist/ trees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import EXAMPLE, IGNORED, contents, run_pipeline

pytestmark = pytest.mark.e2e


def test_clean_builds_in_different_folders_are_byte_identical(tmp_path: Path):
    dists = []
    for name in ("first", "second-with-longer-path"):
        app = tmp_path / name / "nested" / "app"
        shutil.copytree(EXAMPLE, app, ignore=IGNORED)
        # Private caches: nothing computed by one build is reused by the other.
        run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(tmp_path / name / "cache")})
        assert run.returncode == 0, run.stderr
        dists.append(contents(app / "dist"))
    assert dists[0].keys() == dists[1].keys()
    assert len(dists[0]) > 20
    for name in dists[0]:
        assert dists[0][name] == dists[1][name], name
