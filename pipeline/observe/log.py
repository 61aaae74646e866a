"""Logging for the whole pipeline: human-readable by default, one JSON object per line on request.

Every record carries the run id and the task name, so JSON logs of parallel runs can be told apart.
The format comes from the context (``--log-format`` of the ``vango`` CLI, or the ``VANGO_LOG_FORMAT``
environment variable read once by the entry point: ``human`` or ``json``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time
from typing import Any

LOGGER_NAME = "vango"
FORMATS = ("human", "json")

current_task: contextvars.ContextVar[str | None] = contextvars.ContextVar("vango_task", default=None)
current_request: contextvars.ContextVar[str | None] = contextvars.ContextVar("vango_request", default=None)
FIELDS = ("time", "level", "msg", "event", "run_id", "task", "trace_id", "span_id", "request_id")


_state: dict[str, str] = {}


def run_id() -> str:
    """One id per run. The entry point sets it (``setup(run_id=…)`` from the context); doit's worker
    processes get it with the context they are handed, so their records carry the same id."""
    if "run_id" not in _state:
        _state["run_id"] = os.environ.get("VANGO_RUN_ID") or os.urandom(6).hex()
    return _state["run_id"]


def log_format() -> str:
    if "format" not in _state:
        fmt = os.environ.get("VANGO_LOG_FORMAT", "human").strip().lower()
        _state["format"] = fmt if fmt in FORMATS else "human"
    return _state["format"]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the fields of :data:`FIELDS` first (ids from the record's event, else from the
    current span and request), then the event's own ``fields``, which never overwrite them."""

    def format(self, record: logging.LogRecord) -> str:
        from pipeline.observe import spans

        ref = spans.current()
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
            "event": getattr(record, "event", None),
            "run_id": getattr(record, "run_id", None) or run_id(),
            "task": getattr(record, "task", None) or current_task.get(),
            "trace_id": getattr(record, "trace_id", None) or (ref.trace_id if ref else None),
            "span_id": getattr(record, "span_id", None) or (ref.span_id if ref else None),
            "request_id": getattr(record, "request_id", None) or current_request.get(),
        }
        if entry["request_id"] is None:
            del entry["request_id"]  # only the dev server's records have one
        for key, value in (getattr(record, "fields", None) or {}).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class HumanFormatter(logging.Formatter):
    """Plain lines; warnings and errors get a prefix so they stand out in CI logs."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            message = f"error: {message}"
        elif record.levelno >= logging.WARNING:
            message = f"warning: {message}"
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        return message


def setup(fmt: str | None = None, level: str | None = None, *, run: str | None = None) -> logging.Logger:
    """Configure the ``vango`` logger once per process (again if the format changes). Without arguments it
    keeps what an earlier call set (or what the environment says, for a bare ``doit`` run)."""
    if fmt is not None:
        _state["format"] = fmt if fmt in FORMATS else "human"
    if run:
        _state["run_id"] = run
    if level:
        _state["level"] = level.upper()
    fmt = log_format()
    logger = logging.getLogger(LOGGER_NAME)
    wanted = JsonFormatter if fmt == "json" else HumanFormatter
    if not any(isinstance(h.formatter, wanted) and getattr(h, "_vango", False) for h in logger.handlers):
        for handler in [h for h in logger.handlers if getattr(h, "_vango", False)]:
            logger.removeHandler(handler)
        # Bound to the real stderr: doit swaps sys.stderr while capturing action output.
        handler = logging.StreamHandler(sys.__stderr__ or sys.stderr)
        handler._vango = True  # type: ignore[attr-defined]
        handler.setFormatter(wanted())
        logger.addHandler(handler)
    logger.setLevel(_state.get("level") or (os.environ.get("VANGO_LOG_LEVEL") or "INFO").upper())
    logger.propagate = False
    run_id()
    from pipeline.observe import eventlog

    eventlog.subscribe_once()
    return logger


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
