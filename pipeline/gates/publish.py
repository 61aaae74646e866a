"""Publishing a gate's verdict, the same way for every gate: the report file, the terminal table, and in
GitHub Actions a markdown step summary and ``::error`` annotations."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.fs import write_atomic
from pipeline.gates.common import dumps
from pipeline.gates.protocol import Gate, Report

if TYPE_CHECKING:
    from pipeline.config.context import Context


def publish_report(ctx: Context, gate: Gate, report: Report) -> Path:
    from rich.console import Console

    path = ctx.reports_dir / f"{gate.name}.json"
    write_atomic(path, dumps(report))
    Console(file=sys.__stdout__, width=max(100, Console().width)).print(gate.table(report))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        markdown = gate.markdown(report)
        if summary and markdown:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown.rstrip() + "\n\n")
        for line in gate.annotations(report):
            print(line, file=sys.__stdout__)
    return path


def relative(path: Path) -> Path:
    """Shown relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
