"""The gate protocol: what ``gate:size``, ``gate:bench`` and an addon's ``gate:<name>`` have in common.

A gate evaluates (reads dist/, runs benchmarks, …) into a JSON-able report, and renders that one report
for humans (a terminal table, a markdown step summary) and machines (``::error`` annotations, the report
file, the exit code). The engine does the I/O around it, the same way for every gate: it writes
``build/reports/<name>.json``, prints the table, appends the summary in GitHub Actions and fails the task
with the gate's exit code (0 ok, 1 failed, 2 could not judge, 3 and up: the gate's own verdicts).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.config.context import Context

Report = Mapping[str, Any]


class Gate:
    """Subclass and register an instance through the ``vango_gates`` hook; its class must be importable at
    module level (the task's action is pickled for ``doit -n N``)."""

    name: str = ""
    doc: str = ""
    after_release: bool = True  # judge dist/, so the release is built first
    # table(report) depends on the report alone (and the gate's code): a table written to a log is then
    # remembered and printed again for the same report without rendering (pipeline.gates.publish.show_table)
    table_from_report: bool = False
    owner: str = ""

    def params(self) -> list[dict[str, Any]]:
        """doit ``params`` (``{"name", "long", "default", "help", "type"?}``) for the gate's options."""
        return []

    def evaluate(self, ctx: Context, options: Mapping[str, Any]) -> Report | None:
        """The report; None when there is nothing to judge this time (e.g. a baseline was only recorded)."""
        raise NotImplementedError

    def table(self, report: Report) -> Any:
        """A rich renderable (or plain text) for the terminal."""
        raise NotImplementedError

    def markdown(self, report: Report) -> str:
        return ""

    def annotations(self, report: Report) -> list[str]:
        return []

    def exit_code(self, report: Report, options: Mapping[str, Any]) -> int:
        raise NotImplementedError

    def summary(self, report: Report, code: int, path: Path) -> str:
        """The one line a failing verdict ends with; ``path`` is the report file written."""
        return f"gate {self.name} failed with exit code {code} (report: {path})"

    def after_report(self, ctx: Context, report: Report, options: Mapping[str, Any]) -> None:
        """Extra output once the verdict is printed (``gate:size --why``)."""

    def reads_config(self, options: Mapping[str, Any]) -> bool:
        """Whether judging with these options reads the app's config (``ctx.config``, the toolchain) rather than
        the settings and paths alone. A built-in gate that says no runs from the remembered task list without
        loading the pipeline (:mod:`pipeline.engine.plan`)."""
        return True


def param(name: str, default: Any, help_text: str, kind: type = str) -> dict[str, Any]:
    option: dict[str, Any] = {"name": name, "long": name.replace("_", "-"), "default": default, "help": help_text}
    if kind in (bool, int):
        option["type"] = kind
    return option
