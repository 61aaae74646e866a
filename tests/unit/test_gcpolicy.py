"""pipeline.core.gcpolicy: a build collects cycles rarely, unless the process already asked for less."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from pipeline.core import gcpolicy


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_a_build_raises_the_default_thresholds(thresholds) -> None:
    gc.set_threshold(700, 10, 10)
    gcpolicy.for_build()
    assert gc.get_threshold() == gcpolicy.BUILD_THRESHOLDS


def test_a_process_that_collects_less_often_keeps_its_setting(thresholds) -> None:
    gc.set_threshold(10**6, 50, 50)
    gcpolicy.for_build()
    assert gc.get_threshold() == (10**6, 50, 50)


def test_a_process_with_the_collector_off_keeps_it_off(thresholds) -> None:
    gc.set_threshold(0)
    gcpolicy.for_build()
    assert gc.get_threshold()[0] == 0


def test_older_generations_keep_thresholds_raised_beyond_the_builds(thresholds) -> None:
    gc.set_threshold(700, 50, 5)
    gcpolicy.for_build()
    assert gc.get_threshold() == (gcpolicy.BUILD_THRESHOLDS[0], 50, gcpolicy.BUILD_THRESHOLDS[2])


def test_the_dodo_namespace_sets_them(tmp_path) -> None:
    """Both ways in, ``vango build`` and a dodo file, go through the loader's namespace."""
    (tmp_path / "vango.json").write_text('{"name": "gc"}', encoding="utf-8")
    code = ("import gc\nfrom pathlib import Path\nfrom pipeline.config.settings import Settings\n"
            "from pipeline.engine.loader import namespace\n"
            f"namespace(Settings.from_environment(app=Path({str(tmp_path)!r})))\nprint(gc.get_threshold()[0])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == str(gcpolicy.BUILD_THRESHOLDS[0]), out.stderr[-2000:]
