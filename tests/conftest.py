"""Shared fixtures: copies of the example app and builds of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import EXAMPLE, IGNORED, Run, run_pipeline


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Precompression results shared by the tests' builds: identical wasm bytes are brotli'd once."""
    return tmp_path_factory.mktemp("vango-cache")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A private copy of the example app, as a user's project folder."""
    target = tmp_path / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    return target


@pytest.fixture
def vango(shared_cache: Path):
    """``vango build`` (or another subcommand) run inside an app folder."""

    def call(app_dir: Path, *args: str, env: dict[str, str] | None = None) -> Run:
        command = list(args) or ["build"]
        return run_pipeline(["pipeline.cli", *command], app_dir, {"VANGO_CACHE_DIR": str(shared_cache), **(env or {})})

    return call


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    """One release build of the example, for the tests that only read dist/."""
    target = tmp_path_factory.mktemp("built") / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    result = run_pipeline(["pipeline.cli", "build"], target, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert result.returncode == 0, result.stderr
    return target / "dist"
