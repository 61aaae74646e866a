"""What both gates share: exit codes, the error type for tool failures, report schemas, GitHub annotations."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.core import jsonio
from pipeline.core.errors import PipelineError
from pipeline.core.inputs import read_json
from pipeline.core.schemas import package_schema

EXIT_OK = 0
EXIT_FAILED = 1  # a budget exceeded, or a significant benchmark regression
EXIT_ERROR = 2  # bad budgets.toml, unreadable inputs, malformed benchmark output: the gate could not judge
EXIT_UNMATCHED = 3  # size gate: a budget matched no file (when fail_on_unmatched)
EXIT_NO_BASELINE = 4  # bench gate: nothing to compare against

REPORT_VERSION = 1


class GateError(PipelineError):
    """The gate could not run: missing or malformed input (dist/, manifest, benchmark output, baseline).

    Exit code 2, like :class:`~pipeline.core.errors.ConfigError`, so CI tells "could not judge" from "failed".
    """

    exit_code = EXIT_ERROR


def generated_by(gate: str) -> str:
    return f"vango-pipeline {__version__} ({gate})"


def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``pipeline/gates/schemas``."""
    return package_schema("pipeline.gates", name)


def validate(document: Any, schema_name: str) -> list[str]:
    """Schema violations of ``document`` as ``<json path>: <message>`` lines (empty when valid)."""
    from jsonschema import Draft202012Validator  # imported when a report is checked, not at load

    validator = Draft202012Validator(schema(schema_name))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{e.json_path}: {e.message}" for e in errors]


def load_json(path: Path, schema_name: str, what: str) -> dict[str, Any]:
    """Read a JSON document and check it against a schema; any problem is a one-line :class:`GateError`."""
    data = read_json(path, error=GateError, missing=f"{what} not found", what=what)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema(schema_name)).iter_errors(data))
    if error is not None:
        raise GateError(f"not a valid {what}: {error.json_path}: {error.message}", path=path)
    return data


def dumps(report: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes for a report or baseline (sorted keys, trailing newline)."""
    return jsonio.dumps(report)


def _escape_data(text: str) -> str:
    # GitHub workflow commands: https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, title: str | None = None, file: str | None = None,
               line: int | None = None) -> str:
    """One GitHub Actions workflow command, e.g. ``::error file=budgets.toml,line=3,title=…::…``."""
    if level not in ("error", "warning", "notice"):
        raise ValueError(f"unknown annotation level {level!r}")
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
        if line:
            props.append(f"line={line}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{_escape_data(message)}"
