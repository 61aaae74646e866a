"""``doit watch`` as a user runs it: bursts coalesce, failures keep the last good output, fixes recover,
and the result equals a clean build."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support import LoggedProcess, contents, run_pipeline

pytestmark = pytest.mark.e2e


class Watcher(LoggedProcess):
    """``doit watch`` in a subprocess."""

    def __init__(self, app: Path, cache: Path):
        super().__init__(["doit", "watch", "--debounce", "300"], app, {"VANGO_CACHE_DIR": str(cache)})

    def ready(self, timeout: float = 120) -> None:
        self.next_event("watch.ready", timeout)

    def next_run(self, timeout: float = 120) -> dict:
        """The next watch build's record, with the task failures logged on the way."""
        failed: list[dict] = []
        return {**self.next_event("watch.build", timeout, collect=failed), "failed": failed}

    def quiet(self, seconds: float) -> list[dict]:
        """Builds that finish within ``seconds`` (there should be none once the watcher has settled)."""
        runs = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                runs.append(self.next_run(timeout=max(0.1, end - time.monotonic())))
            except TimeoutError:
                break
        return runs


@pytest.fixture
def watcher(app: Path, shared_cache: Path):
    (app / "dodo.py").write_text("from pipeline.dodo import *  # noqa: F403\n")
    # How an app registers the command (doit reads command plugins from pyproject.toml or doit.cfg).
    (app / "pyproject.toml").write_text('[tool.doit.plugins.command]\nwatch = "pipeline.dev.watch:WatchCommand"\n')
    started = Watcher(app, shared_cache)
    first = started.next_run()
    assert first["ok"], started.seen
    started.ready()  # watching for real from here on
    yield started
    started.stop()


def test_a_burst_of_200_saves_gives_one_or_two_builds_equal_to_a_clean_build(app: Path, watcher: Watcher, tmp_path):
    css = app / "web" / "css"
    for i in range(200):
        (css / f"burst{i}.css").write_text(f".burst-{i} {{ margin: {i}px; }}\n")
    runs = [watcher.next_run()]
    runs += watcher.quiet(6)
    assert 1 <= len(runs) <= 2, [r["executed"] for r in runs]
    assert all(r["ok"] for r in runs)
    assert "wasm:compile" not in {t for r in runs for t in r["executed"]}

    clean_env = {"VANGO_PROFILE": "dev", "VANGO_BUILD_DIR": str(tmp_path / "b"), "VANGO_CACHE_DIR": str(tmp_path / "c")}
    clean = run_pipeline(["pipeline.cli", "build"], app, clean_env)
    assert clean.returncode == 0, clean.stderr
    assert contents(app / "build" / "dev" / "dist") == contents(tmp_path / "b" / "dist")


def test_a_failing_build_keeps_the_last_good_output_and_a_fix_recovers(app: Path, watcher: Watcher):
    served = app / "build" / "dev" / "dist"
    good = contents(served)
    main_go = app / "main.go"
    original = main_go.read_text()
    main_go.write_text(original + "\nfunc broken( {\n")
    failed = watcher.next_run()
    assert not failed["ok"]
    assert failed["failed"][0]["task"] == "wasm:compile" and "syntax error" in failed["failed"][0]["error"]
    assert contents(served) == good  # still serving the last good build

    main_go.write_text(original.replace("What needs doing?", "What now?"))
    fixed = watcher.next_run()
    assert fixed["ok"] and "wasm:compile" in fixed["executed"]
    assert contents(served) != good
    assert watcher.proc.poll() is None  # no restart needed


def test_a_broken_config_is_reported_and_fixing_it_recovers(app: Path, watcher: Watcher):
    config = app / "vango.json"
    good = config.read_text()
    config.write_text(good.replace('"name"', '"nom"', 1))
    broken = watcher.next_run()
    assert not broken["ok"] and broken["exit_code"] == 2
    config.write_text(good)
    recovered = watcher.next_run()
    assert recovered["ok"]
    css = app / "web" / "css" / "theme.css"
    css.write_text(css.read_text() + "\n.after-recovery { color: red; }\n")
    later = watcher.next_run()  # still watching the real inputs afterwards
    assert later["ok"] and "css" in later["executed"]


def test_a_file_in_a_new_subfolder_is_picked_up(app: Path, watcher: Watcher):
    page = app / "web" / "index.html"
    page.write_text(page.read_text().replace("</body>", '<img src="pics/new.svg" alt="">\n</body>'))
    missing = watcher.next_run()
    assert not missing["ok"] and "pics/new.svg" in missing["error"]
    (app / "web" / "pics").mkdir()
    (app / "web" / "pics" / "new.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    fixed = watcher.next_run()
    assert fixed["ok"], fixed["failed"]


def test_a_save_during_the_first_build_is_built_once_the_watcher_is_up(app: Path, shared_cache: Path):
    """The OS watches only exist after the first build; what was saved before them is not lost."""
    (app / "dodo.py").write_text("from pipeline.dodo import *  # noqa: F403\n")
    (app / "pyproject.toml").write_text('[tool.doit.plugins.command]\nwatch = "pipeline.dev.watch:WatchCommand"\n')
    watcher = Watcher(app, shared_cache)
    try:
        watcher.next_event("task.started", timeout=120)  # the first build is running
        css = app / "web" / "css" / "app.css"
        css.write_text(css.read_text() + "\n.saved-early { color: teal; }\n")
        first = watcher.next_run()
        assert first["ok"] and first["trigger"] == []
        follow_up = watcher.next_run(timeout=60)
        assert follow_up["ok"] and follow_up["trigger"] == ["web/css/app.css"], follow_up
        built = (app / "build" / "dev" / "dist")
        assert any(b".saved-early" in data for name, data in contents(built).items() if name.endswith(".css"))
    finally:
        watcher.stop()


def test_a_log_file_in_the_app_folder_never_makes_a_failing_build_loop(app: Path, shared_cache: Path):
    import os
    import subprocess
    import sys

    (app / "vango.json").write_text("{ broken")
    log_file = app / "dev.log"
    env = {**os.environ, "VANGO_LOG_FORMAT": "json", "VANGO_CACHE_DIR": str(shared_cache)}
    with log_file.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "dev", "--port", "0"], cwd=app, env=env,
                                stdout=handle, stderr=handle)
        try:
            deadline = time.monotonic() + 60
            while '"watch.ready"' not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert '"watch.ready"' in log_file.read_text()
            time.sleep(4)  # a loop would rebuild several times a second
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    builds = log_file.read_text().count('"event": "watch.build"')
    assert builds == 1, log_file.read_text()[-2000:]
