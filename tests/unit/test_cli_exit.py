"""pipeline.cli.run, the ``vango`` program: main's exit code, everything written and every ``atexit`` handler
run, and the objects alive at the end frozen, so that the interpreter's exit does not run the cyclic collector
over them all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# A main that writes a lot to a pipe, registers an exit handler (as the trace exporter does), and leaves a
# reference cycle whose finalizer only a collection at exit would run (collections are off until then).
PROGRAM = """
import atexit, gc, logging, sys
from pathlib import Path
from pipeline import cli

marker = Path(sys.argv[1])
atexit.register(lambda: marker.with_suffix(".early").write_text("ran"))  # registered before the program starts

class Cycle:
    def __init__(self):
        self.me = self
    def __del__(self):
        marker.with_suffix(".collected").write_text("collected")

def main():
    gc.disable()
    Cycle()
    atexit.register(lambda: marker.write_text("handler ran"))
    sys.stdout.write("x" * 1_000_000 + "end\\n")  # buffered: still to be flushed at exit
    logging.getLogger("vango").error("logged last")
    return int(sys.argv[2])

cli.main = main
cli.run()
"""


@pytest.mark.parametrize("code", [0, 1, 2])
def test_the_program_exits_with_mains_code_after_its_handlers_and_output(tmp_path: Path, code: int):
    marker = tmp_path / "marker"
    proc = subprocess.run([sys.executable, "-c", PROGRAM, str(marker), str(code)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == code
    assert proc.stdout == "x" * 1_000_000 + "end\n"
    assert "logged last" in proc.stderr
    assert marker.read_text() == "handler ran"
    assert marker.with_suffix(".early").read_text() == "ran"
    assert not marker.with_suffix(".collected").exists()  # frozen: the exit's collection passed it by


def test_a_usage_error_exits_as_usual(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--typo"], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 3
    assert "unrecognized arguments: --typo" in proc.stderr


def test_a_bad_app_folder_is_a_configuration_error(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--app", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_the_installed_program_is_run():
    """The console script this distribution installs (the one a user types) calls :func:`pipeline.cli.run`."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "vango"]
    assert script.value == "pipeline.cli:run"
