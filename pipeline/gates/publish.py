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
    path = ctx.reports_dir / f"{gate.name}.json"
    data = dumps(report)
    write_atomic(path, data)
    show_table(ctx.reports_dir / f".{gate.name}.table", gate, report, data)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        markdown = gate.markdown(report)
        if summary and markdown:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown.rstrip() + "\n\n")
        for line in gate.annotations(report):
            print(line, file=sys.__stdout__)
    return path


# What rich's output depends on besides the table: the variables its Console reads.
RICH_ENVIRONMENT = ("COLUMNS", "LINES", "JUPYTER_COLUMNS", "JUPYTER_LINES", "TERM", "COLORTERM", "NO_COLOR",
                    "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def show_table(memo: Path, gate: Gate, report: Report, data: bytes) -> None:
    """The gate's table on standard output, rendered by rich. Output that is not a terminal (a CI log, a
    pipe) is kept in ``memo`` under a key of everything the rendering depends on, so the next run with the
    same report prints the same text without importing rich (about 40 ms with the rendering)."""
    out = sys.__stdout__
    key = _rendering_key(gate, data) if out is not None and not _isatty(out) else None
    if key is not None:
        try:
            head, _, text = memo.read_bytes().partition(b"\n")
        except OSError:
            head = text = b""
        if head == key:
            out.write(text.decode("utf-8"))
            out.flush()
            return
    from rich.console import Console

    console = Console(file=out, width=max(100, Console().width))
    if key is None:
        console.print(gate.table(report))
        return
    with console.capture() as capture:
        console.print(gate.table(report))
    shown = capture.get()
    write_atomic(memo, key + b"\n" + shown.encode("utf-8"))
    out.write(shown)
    out.flush()


def _rendering_key(gate: Gate, data: bytes) -> bytes | None:
    """The report, the code that makes and renders its table (the modules of the gate's package, this
    package's rendering, and rich), and what rich reads of the process: its variables, which streams are
    terminals and their sizes, the output's encoding."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("rich")
    own = sys.modules.get(type(gate).__module__)
    if spec is None or not spec.origin or not getattr(own, "__file__", None):
        return None
    folders = {os.path.dirname(own.__file__), os.path.dirname(__file__)}
    code = [spec.origin, *sorted(entry.path for folder in folders for entry in os.scandir(folder)
                                 if entry.name.endswith(".py"))]
    stamps = [(path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) for path in code for st in [os.stat(path)]]
    sizes = []
    for fd in (0, 1, 2):
        try:
            sizes.append(list(os.get_terminal_size(fd)))
        except (OSError, ValueError):
            sizes.append(None)
    streams = [_isatty(stream) for stream in (sys.stdin, sys.stdout, sys.__stdout__)]
    facts = [gate.name, hashlib.sha256(data).hexdigest(), stamps, sys.version, sys.platform,
             [os.environ.get(v) for v in RICH_ENVIRONMENT], streams, sizes, getattr(sys.__stdout__, "encoding", None)]
    return hashlib.sha256(repr(facts).encode()).hexdigest().encode()


def relative(path: Path) -> Path:
    """Shown relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _isatty(stream: object) -> bool:
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except ValueError:  # closed
        return False
