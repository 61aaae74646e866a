"""The one context object: settings read once from flags and environment, picklable, with a bound logger."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pytest
from support import EXAMPLE

from pipeline.config.context import DEV, RELEASE, Context, Settings
from pipeline.observe import log


def test_settings_come_from_the_environment_and_flags_win(tmp_path: Path):
    env = {"VANGO_APP": "some/app", "VANGO_DIST_DIR": "out", "VANGO_PROFILE": " DEV ", "VANGO_LOG_FORMAT": "json",
           "VANGO_PWA": "yes", "VANGO_DEBUG": "1", "VANGO_RUN_ID": "ci-run-7"}
    settings = Settings.from_environment(env, dist=tmp_path / "flag-dist", log_format=None)
    assert settings.app == Path("some/app") and settings.dist == tmp_path / "flag-dist"
    assert (settings.profile, settings.log_format, settings.force_pwa, settings.debug, settings.run_id) == \
        (DEV, "json", True, True, "ci-run-7")


def test_defaults_and_a_fresh_run_id():
    settings = Settings.from_environment({})
    assert (settings.profile, settings.log_format, settings.force_pwa, settings.debug) == (RELEASE, "human", False,
                                                                                           False)
    assert len(settings.run_id) == 12 and settings.run_id != Settings.from_environment({}).run_id


def test_paths_per_profile(tmp_path: Path):
    release = Settings.from_environment({}, app=tmp_path).paths(cwd=tmp_path)
    dev = Settings.from_environment({}, app=tmp_path, profile=DEV).paths(cwd=tmp_path)
    assert (release.build_dir, release.dist_dir) == (tmp_path / "build", tmp_path / "dist")
    assert (dev.build_dir, dev.dist_dir) == (tmp_path / "build" / "dev", tmp_path / "build" / "dev" / "dist")
    assert release.cache_dir == tmp_path / "build" / "cache" and release.db_path.name == "doit.sqlite3"


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.chdir(tmp_path)
    return Context.load(Settings.from_environment({}, app=EXAMPLE, run_id="unit-run-01"))


def test_loading_the_context_leaves_the_environment_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    Context.load(Settings.from_environment(app=EXAMPLE, profile=DEV, force_pwa=True, log_format="json"))
    assert dict(os.environ) == before


def test_the_context_carries_config_paths_and_addons(ctx: Context, tmp_path: Path):
    assert ctx.config.name and ctx.web_dir == EXAMPLE / "web" and ctx.dist_dir == tmp_path / "dist"
    assert ctx.out_dir == tmp_path / "build" / "out" and ctx.reports_dir == tmp_path / "build" / "reports"
    builtins = ctx.addons.names("builtin")
    assert {"static", "css", "js", "wasm", "pages", "release", "size-gate"} <= set(builtins)
    assert ctx.addons.names("installed") == []


def test_the_context_pickles_for_doit_workers(ctx: Context):
    copy = pickle.loads(pickle.dumps(ctx))
    assert copy.paths == ctx.paths and copy.config == ctx.config and copy.settings == ctx.settings
    assert copy.addons == ctx.addons


def test_the_logger_is_bound_to_the_run_and_the_task(ctx: Context):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    root = logging.getLogger(log.LOGGER_NAME)
    root.addHandler(handler)
    try:
        ctx.for_task("css").logger.warning("hashed %d files", 3)
    finally:
        root.removeHandler(handler)
    (record,) = records
    assert (record.task, record.run_id, record.getMessage()) == ("css", "unit-run-01", "hashed 3 files")
    assert ctx.task is None  # for_task made a copy
