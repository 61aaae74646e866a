"""A third-party addon, as a user installs and uses it: ``vango addon install ./path`` into an app, then its
step, page transform, gate, config section and dev route all work, and ``vango addon remove`` undoes it all."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest
from support import EXAMPLE, IGNORED, REPO, LoggedProcess, aged, contents, run_pipeline, tags

pytestmark = pytest.mark.e2e

SAMPLE = REPO / "tests" / "addons" / "sample"
SCRIPT = "sample/banner.js"
DODO = '"""Build this app with the Vango pipeline."""\nfrom pipeline.dodo import *  # noqa: F403\n'  # as in README


def vango(app: Path, *args: str, env: dict[str, str] | None = None, cache: Path | None = None):
    extra = {"VANGO_CACHE_DIR": str(cache)} if cache else {}
    return run_pipeline(["pipeline.cli", *args], app, {**extra, **(env or {})})


def install(app: Path, source: Path = SAMPLE):
    run = vango(app, "addon", "install", str(source), "--no-build-isolation")
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def installed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example app with the sample addon installed once (tests copy it)."""
    target = tmp_path_factory.mktemp("addon-template") / "app"
    shutil.copytree(EXAMPLE, target, ignore=IGNORED)
    install(target)
    return target


@pytest.fixture
def addon_app(installed_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(installed_template, target, symlinks=True)
    return target


def test_install_records_a_verified_lock_entry(installed_template: Path):
    lock = tomllib.loads((installed_template / "addons.lock").read_text(encoding="utf-8"))
    (entry,) = lock["addon"]
    assert entry["name"] == "sample" and entry["distribution"] == "vango-addon-sample"
    assert entry["version"] == "1.2.0" and entry["entry_point"] == "vango_addon_sample"
    assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
    assert re.fullmatch(r"h1:[A-Za-z0-9+/]{43}=", entry["tree"])
    folder = installed_template / ".vango" / "addons" / "sample"
    assert (folder / "vango_addon_sample" / "__init__.py").is_file()
    assert not list(folder.rglob("*.pth")) and not (folder / "bin").exists()
    # Installed into the app's folder only, never into the virtualenv.
    probe = subprocess.run([sys.executable, "-c", "import vango_addon_sample"], capture_output=True)
    assert probe.returncode != 0


def test_list_shows_the_addon_with_its_hooks(installed_template: Path):
    run = vango(installed_template, "addon", "list", "--json")
    assert run.returncode == 0, run.stderr
    (row,) = json.loads(run.stdout)["addons"]
    assert (row["name"], row["version"], row["status"]) == ("sample", "1.2.0", "verified")
    assert {"vango_steps", "vango_page_transforms", "vango_gates", "vango_dev_server",
            "vango_config_sections", "vango_watch_paths", "vango_event_subscribers"} <= set(row["hooks"])
    table = vango(installed_template, "addon", "list")
    assert "sample" in table.stdout and "verified" in table.stdout
    graph = vango(installed_template, "list", "--graph")
    row = next(line for line in graph.stdout.splitlines() if line.startswith("page-asset"))
    assert "sample" in row.replace(",", " ").split(), row  # its role's row, among the built-in page assets
    assert not any("sample" in line for line in graph.stdout.splitlines() if not line.startswith("page-asset"))


def test_the_addon_builds_injects_and_is_protected(addon_app: Path, shared_cache: Path):
    run = vango(addon_app, "build", cache=shared_cache)
    assert run.returncode == 0, run.stderr
    assert "sample" in run.executed()
    dist = addon_app / "dist"
    manifest = json.loads((dist / "asset-manifest.json").read_text())
    record = manifest["assets"][SCRIPT]
    assert record["hashed"] and record["path"] != SCRIPT
    expected = 'document.documentElement.dataset.sample = "Hello from the sample addon";\n'
    assert (dist / record["path"]).read_text() == expected
    found = [s for s in tags((dist / "index.html").read_bytes(), "script") if s.get("src") == "/" + record["path"]]
    assert found, "the inject-phase transform added the script"
    assert found[0].get("integrity") == record["integrity"], "the protect phase covered what inject added"
    # Same-origin script: script-src 'self' allows it, and the service worker precaches it.
    assert "script-src 'self'" in (dist / "_headers").read_text()
    assert record["path"] in (dist / "sw.js").read_text()
    # A no-op rebuild stays a no-op with the addon installed.
    again = vango(addon_app, "build", cache=shared_cache)
    assert again.returncode == 0 and not again.executed(), again.executed()
    # An installed addon's hooks may read anything: that app's task list is never remembered (build/plan.json).
    aged(addon_app)
    for _ in range(2):
        quiet = vango(addon_app, "build", cache=shared_cache, env={"VANGO_LOG_LEVEL": "DEBUG"})
        assert quiet.returncode == 0 and not quiet.executed()
    skipped = [e["msg"] for e in quiet.events if e.get("event") == "plan.skipped"]
    assert skipped and "installed addons" in skipped[0]
    assert not (addon_app / "build" / "plan.json").exists()


def test_addon_config_section_is_validated_and_typed(addon_app: Path, shared_cache: Path):
    config_path = addon_app / "vango.json"
    config = json.loads(config_path.read_text())
    config["addons"] = {"sample": {"banner": ""}}
    config_path.write_text(json.dumps(config))
    bad = vango(addon_app, "build", cache=shared_cache)
    assert bad.returncode == 2
    errors = [e["msg"] for e in bad.events if e["level"] == "error"]
    assert errors == ["vango.json: $.addons.sample.banner: '' should be non-empty"], errors
    assert "Traceback" not in bad.stderr and not (addon_app / "dist").exists()

    config["addons"] = {"sample": {"banner": "Configured banner"}}
    config_path.write_text(json.dumps(config))
    good = vango(addon_app, "build", cache=shared_cache)
    assert good.returncode == 0, good.stderr
    manifest = json.loads((addon_app / "dist" / "asset-manifest.json").read_text())
    assert "Configured banner" in (addon_app / "dist" / manifest["assets"][SCRIPT]["path"]).read_text()

    config["addons"] = {"unknown": {}}
    config_path.write_text(json.dumps(config))
    unknown = vango(addon_app, "build", cache=shared_cache)
    assert unknown.returncode == 2
    assert "$.addons: unknown key 'unknown': no installed addon has that name (installed: sample)" in unknown.stderr

    schema = vango(addon_app, "schema")
    published = json.loads(schema.stdout)
    assert published["properties"]["addons"]["properties"]["sample"]["properties"]["banner"]["type"] == "string"


def test_the_addon_gate_passes_and_fails_with_exit_1(addon_app: Path, shared_cache: Path):
    (addon_app / "dodo.py").write_text(DODO)
    ok = run_pipeline(["doit", "gate:sample"], addon_app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert ok.returncode == 0, ok.stderr
    assert "sample banner:" in ok.stdout
    report = json.loads((addon_app / "build" / "reports" / "sample.json").read_text())
    assert report["ok"] is True and report["size"] > 0

    failing = run_pipeline(["doit", "gate:sample", "--limit", "5"], addon_app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert failing.returncode == 1
    assert any("over the limit of 5 B" in e["msg"] for e in failing.events if e["level"] == "error")


def test_the_addon_dev_route_middleware_and_watch_path(addon_app: Path):
    (addon_app / "sample.txt").write_text("first\n")
    dev = LoggedProcess(["pipeline.cli", "dev", "--port", "0"], addon_app)
    try:
        url = dev.next_event("dev.serving")["url"]
        dev.next_event("watch.ready")
        with urllib.request.urlopen(url.rstrip("/") + "/__vango/addons/sample/hello", timeout=10) as response:
            assert response.read() == b"hello from the sample addon\n"
            assert response.headers["x-vango-sample"] == "1"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.headers["x-vango-sample"] == "1" and b"<html" in response.read().lower()
        (addon_app / "sample.txt").write_text("second\n")  # not a task input: watched because the addon asks
        build = dev.next_event("watch.build", timeout=60)
        assert build["trigger"] == ["sample.txt"] and build["ok"]
    finally:
        dev.stop()


def test_changing_an_addon_reruns_every_task(addon_app: Path, shared_cache: Path, tmp_path: Path):
    """The task fingerprint covers the addons' code (the lock's digest), not only the pipeline's."""
    assert vango(addon_app, "build", cache=shared_cache).returncode == 0
    changed = tmp_path / "sample-2"
    shutil.copytree(SAMPLE, changed, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    module = changed / "vango_addon_sample" / "__init__.py"
    module.write_text(module.read_text() + "\n# a new release of the addon\n")
    install(addon_app, changed)
    again = vango(addon_app, "build", cache=shared_cache)
    assert again.returncode == 0, again.stderr
    assert {"static", "css", "js", "wasm:compile", "pages", "sample"} <= again.executed()


def test_remove_makes_everything_disappear(addon_app: Path, shared_cache: Path, tmp_path: Path):
    built = vango(addon_app, "build", cache=shared_cache)
    assert built.returncode == 0
    removed = vango(addon_app, "addon", "remove", "sample")
    assert removed.returncode == 0, removed.stderr
    assert not (addon_app / ".vango" / "addons" / "sample").exists()
    assert "[[addon]]" not in (addon_app / "addons.lock").read_text()
    rebuilt = vango(addon_app, "build", cache=shared_cache)
    assert rebuilt.returncode == 0, rebuilt.stderr
    dist = addon_app / "dist"
    assert SCRIPT not in json.loads((dist / "asset-manifest.json").read_text())["assets"]
    assert "banner" not in (dist / "index.html").read_text()
    listing = vango(addon_app, "list")
    assert "gate:sample" not in listing.stdout and "sample" not in listing.stdout
    # The app builds exactly as one that never had the addon (retained files of earlier releases aside).
    clean = tmp_path / "clean"
    shutil.copytree(EXAMPLE, clean, ignore=IGNORED)
    assert vango(clean, "build", cache=shared_cache).returncode == 0
    fresh = {k: v for k, v in contents(clean / "dist").items() if k != "asset-manifest.json"}
    after = contents(dist)
    assert {k: after[k] for k in fresh} == fresh


def test_a_fresh_clone_installs_from_the_lock(addon_app: Path):
    """``.vango/`` is not committed: ``vango addon install`` without names restores it, checked against the lock."""
    lock_before = (addon_app / "addons.lock").read_bytes()
    shutil.rmtree(addon_app / ".vango")
    missing = vango(addon_app, "build")
    assert missing.returncode == 2 and "its files are missing" in missing.stderr
    restored = vango(addon_app, "addon", "install", "--no-build-isolation")
    assert restored.returncode == 0, restored.stderr
    assert (addon_app / "addons.lock").read_bytes() == lock_before, "same wheel, same tree: the lock is unchanged"
    assert vango(addon_app, "addon", "verify").returncode == 0


def test_a_failing_addon_names_itself_and_shows_the_traceback_only_with_debug(addon_app: Path, shared_cache: Path):
    config_path = addon_app / "vango.json"
    config = json.loads(config_path.read_text())
    config["addons"] = {"sample": {"explode": True}}
    config_path.write_text(json.dumps(config))
    plain = vango(addon_app, "build", cache=shared_cache)
    assert plain.returncode == 1
    failed = [e for e in plain.events if e.get("event") == "task.failed"]
    assert [e["task"] for e in failed] == ["sample"]
    assert failed[0]["error"] == "addon sample: RuntimeError: the banner exploded"
    assert "Traceback" not in plain.stderr and not (addon_app / "dist").exists()
    debug = vango(addon_app, "build", "--debug", cache=shared_cache)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "raise RuntimeError" in debug.stderr


def test_an_addon_s_event_subscriber_gets_the_run_s_events(addon_app: Path, shared_cache: Path):
    run = vango(addon_app, "build", cache=shared_cache)
    assert run.returncode == 0, run.stderr
    kinds = (addon_app / "build" / "reports" / "sample-events.txt").read_text(encoding="utf-8").split()
    assert kinds[-1] == "run.finished" and "task.executed" in kinds and "span.finished" in kinds
    assert kinds.index("run.started") < kinds.index("task.started")


def test_a_bad_event_subscriber_is_one_line_exit_2_and_leaves_dist(addon_app: Path, shared_cache: Path):
    assert vango(addon_app, "build", cache=shared_cache).returncode == 0
    before = contents(addon_app / "dist")
    config_path = addon_app / "vango.json"
    config = json.loads(config_path.read_text())
    config["addons"] = {"sample": {"bad_subscriber": True}}
    config_path.write_text(json.dumps(config))
    run = vango(addon_app, "build", cache=shared_cache)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    errors = [e["msg"] for e in run.events if e.get("level") == "error"]
    assert errors[0] == "addon sample: vango_event_subscribers returned a str, expected function"
    assert contents(addon_app / "dist") == before


def test_parallel_builds_with_an_addon_match_serial_ones(addon_app: Path, shared_cache: Path, tmp_path: Path):
    """The context and the steps pickle: doit's worker processes run the addon's step too."""
    other = tmp_path / "other"
    shutil.copytree(addon_app, other, symlinks=True)
    serial = vango(addon_app, "build", cache=shared_cache)
    parallel = vango(other, "build", "-n", "2", cache=shared_cache)
    assert serial.returncode == 0 and parallel.returncode == 0, parallel.stderr
    assert contents(addon_app / "dist") == contents(other / "dist")


def test_the_guide_s_example_addon_works_as_written(tmp_path: Path, shared_cache: Path):
    """docs/addons.md's pyproject and module, copied out of the guide, install and do what the guide says."""
    guide = (REPO / "docs" / "addons.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:toml|python)\n# my-addon/(\S+)\n(.*?)```", guide, flags=re.S)
    assert [name for name, _ in blocks] == ["pyproject.toml", "vango_addon_banner/__init__.py"]
    addon = tmp_path / "my-addon"
    for name, body in blocks:
        (addon / name).parent.mkdir(parents=True, exist_ok=True)
        (addon / name).write_text(body)
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    install(app, addon)
    config = json.loads((app / "vango.json").read_text())
    config["addons"] = {"banner": {"text": "Hi"}}
    (app / "vango.json").write_text(json.dumps(config))
    run = vango(app, "build", cache=shared_cache)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text())
    record = manifest["assets"]["banner/banner.js"]
    assert '"Hi"' in (app / "dist" / record["path"]).read_text()
    assert record["integrity"] in [s.get("integrity") for s in tags((app / "dist" / "index.html").read_bytes(),
                                                                     "script")]
    (app / "dodo.py").write_text(DODO)
    gate = run_pipeline(["doit", "gate:banner", "--limit", "3"], app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert gate.returncode == 1 and "banner:" in gate.stdout


def package(root: Path, name: str, version: str, *, requires: tuple[str, ...] = (), addon: bool = False) -> Path:
    """A tiny distribution's source folder (``addon``: with a vango.addons entry point and no hooks)."""
    folder = root / f"{name}-{version}"
    module = name.replace("-", "_")
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(f'"""{name} {version}."""\nVERSION = {version!r}\n')
    points = f'\n[project.entry-points."vango.addons"]\n{name} = "{module}"\n' if addon else ""
    (folder / "pyproject.toml").write_text(
        f'[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = {json.dumps(list(requires))}\n{points}')
    return folder


def test_a_fresh_clone_gets_the_locked_dependency_versions(tmp_path: Path):
    """Dependencies are pinned in the lock: a newer release on the index does not slip into a fresh clone."""
    wheels = tmp_path / "wheels"
    for version in ("1.0", "2.0"):
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--wheel-dir", str(wheels if version == "1.0" else tmp_path / "later"),
                        str(package(tmp_path / "src", "depx", version))], check=True, capture_output=True)
    addon = package(tmp_path / "src", "needsdep", "0.1", requires=("depx",), addon=True)
    app = tmp_path / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    index = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    assert vango(app, "addon", "install", str(addon), "--no-build-isolation", env=index).returncode == 0
    lock = (app / "addons.lock").read_text()
    assert 'dependencies = [\n    "depx==1.0",\n]' in lock or 'dependencies = ["depx==1.0"]' in lock, lock
    shutil.copy(next((tmp_path / "later").glob("*.whl")), wheels)  # depx 2.0 is published
    shutil.rmtree(app / ".vango")
    restored = vango(app, "addon", "install", "--no-build-isolation", env=index)
    assert restored.returncode == 0, restored.stderr
    assert (app / "addons.lock").read_text() == lock
    assert (app / ".vango/addons/needsdep/depx-1.0.dist-info").is_dir()


def test_an_app_inside_the_addon_s_folder_installs_it(tmp_path: Path):
    """A common layout: the addon's repository holds an example app that uses it."""
    addon = tmp_path / "addon"
    shutil.copytree(SAMPLE, addon)
    app = addon / "examples" / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    run = vango(app, "addon", "install", "../..", "--no-build-isolation")
    assert run.returncode == 0, run.stderr
    assert 'source = "../.."' in (app / "addons.lock").read_text()
    assert not (app / ".vango/addons/sample/examples").exists()
