"""pipeline.observe.log: JSON log lines carry run id, task, event, message and extra fields."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
from pathlib import Path

import pytest

from pipeline.observe import log


@pytest.fixture(autouse=True)
def run_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry point sets the run id once (``log.setup(run=…)``); each test starts from that state."""
    monkeypatch.setattr(log, "_state", {})
    monkeypatch.setenv("VANGO_RUN_ID", "run-abc123")


def record(msg: str = "built %d files", args: tuple = (3,), level: int = logging.INFO, **extra) -> logging.LogRecord:
    rec = logging.LogRecord("vango.test", level, __file__, 10, msg, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def formatted(rec: logging.LogRecord) -> dict:
    line = log.JsonFormatter().format(rec)
    assert "\n" not in line
    return json.loads(line)


def test_json_line_has_the_standard_keys() -> None:
    entry = formatted(record(task="css", event="done"))
    assert entry["run_id"] == "run-abc123"
    assert entry["task"] == "css"
    assert entry["event"] == "done"
    assert entry["msg"] == "built 3 files"
    assert entry["level"] == "info"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])


def test_fields_are_merged_and_non_json_values_are_stringified() -> None:
    entry = formatted(record(fields={"files": 3, "path": Path("dist/app.js"), "ok": True}))
    assert entry["files"] == 3 and entry["ok"] is True
    assert entry["path"] == "dist/app.js"
    assert entry["task"] is None and entry["event"] is None


def test_task_comes_from_the_context_variable() -> None:
    token = log.current_task.set("wasm")
    try:
        assert formatted(record())["task"] == "wasm"
        assert formatted(record(task="explicit"))["task"] == "explicit"
    finally:
        log.current_task.reset(token)


def test_multiline_and_non_ascii_messages_stay_one_line() -> None:
    line = log.JsonFormatter().format(record("first\nsecond — café", ()))
    assert "\n" not in line
    assert "café" in line  # not \u-escaped
    assert json.loads(line)["msg"] == "first\nsecond — café"


def test_exception_info_becomes_a_traceback_field() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        rec = logging.LogRecord("vango", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = formatted(rec)
    assert entry["level"] == "error"
    assert "RuntimeError: boom" in entry["traceback"]


def test_run_id_is_created_once_and_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VANGO_RUN_ID")
    first = log.run_id()
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert log.run_id() == first
    assert formatted(record())["run_id"] == first
    assert "VANGO_RUN_ID" not in os.environ  # no module talks to another through the environment


def test_setup_takes_the_run_id_and_format_from_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANGO_LOG_FORMAT", "human")
    log.setup("json", run="ctx-run-0001")
    try:
        assert (log.log_format(), log.run_id()) == ("json", "ctx-run-0001")
        assert os.environ["VANGO_LOG_FORMAT"] == "human"
        assert formatted(record())["run_id"] == "ctx-run-0001"
    finally:
        log.setup("human")


def test_json_handler_through_a_logger() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.JsonFormatter())
    logger = logging.getLogger("vango.unit-test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info("hashed %s", "app.css", extra={"task": "css", "event": "emit", "fields": {"size": 12}})
        logger.warning("second")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert (first["msg"], first["task"], first["event"], first["size"]) == ("hashed app.css", "css", "emit", 12)
    assert (second["msg"], second["level"]) == ("second", "warning")


@pytest.mark.parametrize(("value", "expected"), [("json", "json"), (" JSON ", "json"), ("xml", "human"), ("", "human")])
def test_log_format_from_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("VANGO_LOG_FORMAT", value)
    assert log.log_format() == expected


def test_human_formatter_prefixes() -> None:
    fmt = log.HumanFormatter()
    assert fmt.format(record("plain", ())) == "plain"
    assert fmt.format(record("careful", (), level=logging.WARNING)) == "warning: careful"
    assert fmt.format(record("bad", (), level=logging.ERROR)) == "error: bad"


def test_event_fields_never_overwrite_the_standard_keys() -> None:
    entry = formatted(record(task="css", event="task.executed",
                             fields={"run_id": "forged", "msg": "forged", "task": "forged", "files": 2}))
    assert entry["run_id"] == "run-abc123" and entry["msg"] == "built 3 files" and entry["task"] == "css"
    assert entry["files"] == 2
