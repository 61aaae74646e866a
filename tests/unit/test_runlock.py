"""One run per build folder: the lock waits, says who holds it, times out cleanly and is re-entrant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core import runlock

HOLD = """
import sys, time
from pathlib import Path
from pipeline.core import runlock
runlock.acquire(Path(sys.argv[1]), timeout=5)
print("held", flush=True)
time.sleep(30)
"""


def test_a_held_folder_makes_the_next_run_wait_then_refuses_cleanly(tmp_path: Path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waited: list[str] = []
        with pytest.raises(runlock.LockTimeout) as caught:
            runlock.acquire(tmp_path, timeout=0.3, on_wait=waited.append)
        assert waited == [str(holder.pid)]
        assert f"another run (pid {holder.pid}) has held this build folder" in str(caught.value)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    runlock.acquire(tmp_path, timeout=5)  # the kernel released the dead holder's lock
    try:
        runlock.acquire(tmp_path, timeout=0)  # re-entrant in one process
        assert (tmp_path / runlock.LOCK_NAME).read_text().strip().isdigit()
    finally:
        runlock.release(tmp_path)
