"""The pipeline's benchmark suite (``benchmarks/``) keeps working: each benchmark runs once, unmeasured."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import REPO

pytestmark = pytest.mark.e2e


def test_benchmarks_run():
    proc = subprocess.run([sys.executable, "-m", "pytest", "benchmarks", "-q", "-p", "no:cacheprovider",
                           "--benchmark-disable"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "26 passed" in proc.stdout
