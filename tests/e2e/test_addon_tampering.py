"""A tampered addon never runs: every run checks the installed files against addons.lock before importing any
addon module. The sample addon writes a marker file when imported, so "refused before import" is observable:
the marker must never appear, the run exits 2 with one line, and dist/ stays exactly as it was."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import EXAMPLE, IGNORED, REPO, run_pipeline, snapshot

pytestmark = pytest.mark.e2e

SAMPLE = REPO / "tests" / "addons" / "sample"
MODULE = Path(".vango/addons/sample/vango_addon_sample/__init__.py")
POINTS = ".vango/addons/sample/vango_addon_sample-1.2.0.dist-info/entry_points.txt"


@pytest.fixture(scope="module")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("tamper-template") / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    for argv in (["addon", "install", str(SAMPLE), "--no-build-isolation"], ["build"]):
        run = run_pipeline(["pipeline.cli", *argv], target)
        assert run.returncode == 0, run.stderr
    return target


@pytest.fixture
def app(built_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(built_template, target, symlinks=True)
    return target


def refused(app: Path, tmp_path: Path, *expected: str) -> str:
    """Build with the import marker armed: exit 2, one error line naming addons.lock, no import, dist/ intact."""
    marker = tmp_path / "imported.marker"
    before = snapshot(app / "dist")
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_SAMPLE_MARKER": str(marker)})
    errors = [e["msg"] for e in run.events if e["level"] == "error"]
    assert run.returncode == 2, run.stderr
    assert len(errors) == 1, errors
    assert errors[0].startswith("addons.lock: addon 'sample': "), errors
    for part in expected:
        assert part in errors[0], errors[0]
    assert errors[0].endswith("run 'vango addon verify'")
    assert "Traceback" not in run.stderr
    assert not marker.exists(), "the addon was imported although it was refused"
    assert snapshot(app / "dist") == before
    verify = run_pipeline(["pipeline.cli", "addon", "verify"], app, {"VANGO_SAMPLE_MARKER": str(marker)})
    assert verify.returncode == 2 and not marker.exists()
    return errors[0]


def test_an_untampered_addon_is_imported(app: Path, tmp_path: Path):
    """The control: the same run with the same marker does import a verified addon."""
    marker = tmp_path / "imported.marker"
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_SAMPLE_MARKER": str(marker)})
    assert run.returncode == 0, run.stderr
    assert marker.read_text() == "imported\n"


def test_one_byte_changed_in_a_module(app: Path, tmp_path: Path):
    module = app / MODULE
    data = bytearray(module.read_bytes())
    data[-2] = ord("#") if data[-2] != ord("#") else ord(" ")
    module.write_bytes(bytes(data))
    message = refused(app, tmp_path, "vango_addon_sample/__init__.py changed", "expected h1:", "found h1:")
    listed = run_pipeline(["pipeline.cli", "addon", "list", "--json"], app)
    (row,) = json.loads(listed.stdout)["addons"]
    assert row["status"] == "tampered" and row["hooks"] == [] and listed.returncode == 2
    assert "changed" in message


def test_same_size_edit_with_restored_mtime_is_still_caught(app: Path, tmp_path: Path):
    """The stat cache keys on ctime too, which utime cannot set back."""
    assert run_pipeline(["pipeline.cli", "build"], app).returncode == 0  # this copy's inodes are now cached
    cache = json.loads((app / ".vango/addons/.stat-cache.json").read_text())
    assert "sample/vango_addon_sample/__init__.py" in json.dumps(cache)
    module = app / MODULE
    st = module.stat()
    text = module.read_text()
    module.write_text(text.replace("Hello from", "Hullo from"))
    os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns))
    refused(app, tmp_path, "vango_addon_sample/__init__.py changed")


def test_a_file_added(app: Path, tmp_path: Path):
    (app / MODULE).with_name("extra.py").write_text("print('sneaky')\n")
    refused(app, tmp_path, "vango_addon_sample/extra.py added")


def test_a_pth_file_added(app: Path, tmp_path: Path):
    (app / ".vango/addons/sample/evil.pth").write_text("import os; os.system('true')\n")
    refused(app, tmp_path, "evil.pth added")


def test_a_file_removed(app: Path, tmp_path: Path):
    (app / ".vango/addons/sample/vango_addon_sample-1.2.0.dist-info/top_level.txt").unlink()
    refused(app, tmp_path, "top_level.txt removed")


def test_the_entry_point_changed(app: Path, tmp_path: Path):
    points = app / POINTS
    points.write_text(points.read_text().replace("sample = vango_addon_sample", "sample = vango_addon_sample:evil"))
    refused(app, tmp_path, "entry_points.txt changed")


def test_the_lock_entry_removed(app: Path, tmp_path: Path):
    lock = app / "addons.lock"
    lock.write_text(lock.read_text().split("[[addon]]")[0])
    refused(app, tmp_path, "installed but not in addons.lock")


def test_the_lock_edited_by_hand(app: Path, tmp_path: Path):
    lock = app / "addons.lock"
    original = lock.read_text()
    lock.write_text(original.replace('entry_point = "vango_addon_sample"', 'entry_point = "vango_addon_sample:x"'))
    refused(app, tmp_path, "entry point 'vango_addon_sample' installed, 'vango_addon_sample:x' locked")
    lock.write_text(original.replace('version = "1.2.0"', 'version = "1.3.0"'))
    refused(app, tmp_path, "version 1.2.0 installed, 1.3.0 locked")
    tree = next(line for line in original.splitlines() if line.startswith("tree = "))
    lock.write_text(original.replace(tree, 'tree = "h1:' + "A" * 43 + '="'))
    refused(app, tmp_path, "expected h1:AAAA")


def test_a_malformed_lock_is_a_one_line_config_error(app: Path, tmp_path: Path):
    marker = tmp_path / "imported.marker"
    (app / "addons.lock").write_text("version = 1\n[[addon]\nname = 'x'\n")
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_SAMPLE_MARKER": str(marker)})
    errors = [e["msg"] for e in run.events if e["level"] == "error"]
    assert run.returncode == 2 and len(errors) == 1 and errors[0].startswith("addons.lock:2:"), errors
    assert "invalid TOML" in errors[0] and not marker.exists() and "Traceback" not in run.stderr


def test_an_addon_in_the_virtualenv_is_never_loaded(tmp_path: Path):
    """Installed with plain pip (here: onto PYTHONPATH, with its vango.addons entry point) instead of
    ``vango addon install``: the pipeline neither imports it nor runs its step."""
    site, source = tmp_path / "site", tmp_path / "source"
    shutil.copytree(SAMPLE, source)  # pip builds in the folder it is given: keep the repository's clean
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
                    "--target", str(site), str(source)], check=True, capture_output=True)
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    marker = tmp_path / "imported.marker"
    run = run_pipeline(["pipeline.cli", "build"], app,
                       {"VANGO_SAMPLE_MARKER": str(marker), "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stderr
    assert "sample" not in run.executed() and not marker.exists()
    assert "sample/banner.js" not in json.loads((app / "dist" / "asset-manifest.json").read_text())["assets"]


def test_a_forged_bytecode_file_is_refused(app: Path, tmp_path: Path):
    """Bytecode is not part of the portable tree hash, so it is checked against what the installer compiled."""
    cache = app / ".vango/addons/sample/vango_addon_sample/__pycache__"
    compiled = sorted(cache.glob("__init__.*.pyc"))
    assert len(compiled) == 3, compiled  # every optimization level: Python never needs to write one
    data = bytearray(compiled[0].read_bytes())
    data[-1] ^= 0x01
    compiled[0].write_bytes(bytes(data))
    refused(app, tmp_path, f"__pycache__/{compiled[0].name} changed", "bytecode the installer did not write")


def test_bytecode_for_another_interpreter_is_refused(app: Path, tmp_path: Path):
    cache = app / ".vango/addons/sample/vango_addon_sample/__pycache__"
    shutil.copy(next(cache.glob("__init__.*.pyc")), cache / "__init__.cpython-399.pyc")
    refused(app, tmp_path, "__init__.cpython-399.pyc added")


def test_optimized_runs_write_nothing_into_the_addon(app: Path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for extra in ({"PYTHONOPTIMIZE": "1"}, {"PYTHONOPTIMIZE": "2"}, {}):
        proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env={**env, **extra},
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr


def test_a_module_of_the_same_name_elsewhere_never_stands_in(app: Path, tmp_path: Path):
    """A package named like the addon's on PYTHONPATH (or in the virtualenv) is not what gets imported."""
    shadow = tmp_path / "shadow" / "vango_addon_sample"
    shadow.mkdir(parents=True)
    marker = tmp_path / "shadow.marker"
    (shadow / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('shadow ran')\n")
    run = run_pipeline(["pipeline.cli", "build", "-a"], app, {"PYTHONPATH": str(tmp_path / "shadow")})
    assert run.returncode == 0, run.stderr
    assert not marker.exists() and "sample" in run.executed()


def test_remove_only_takes_installed_addon_names(app: Path, tmp_path: Path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    for name in ("../..", str(victim), "", "..", "Sample"):
        run = run_pipeline(["pipeline.cli", "addon", "remove", name], app)
        assert run.returncode == 2, (name, run.stderr)
        assert "is installed (installed: sample)" in run.stderr, run.stderr
    assert (victim / "keep.txt").exists() and (app / "vango.json").exists() and (app / "web").is_dir()
    assert (app / ".vango/addons/sample").is_dir()


def test_an_install_that_cannot_load_is_rolled_back(app: Path, tmp_path: Path):
    """A new version whose hooks are broken is refused, and the previous version stays installed and locked."""
    broken = tmp_path / "broken"
    shutil.copytree(SAMPLE, broken)
    module = broken / "vango_addon_sample" / "__init__.py"
    module.write_text(module.read_text() + "\n\ndef vango_stepz(ctx):\n    return []\n")
    lock_before = (app / "addons.lock").read_bytes()
    run = run_pipeline(["pipeline.cli", "addon", "install", str(broken), "--no-build-isolation"], app)
    assert run.returncode == 2 and "vango_stepz" in run.stderr and "Traceback" not in run.stderr
    assert (app / "addons.lock").read_bytes() == lock_before
    assert run_pipeline(["pipeline.cli", "addon", "verify"], app).returncode == 0
