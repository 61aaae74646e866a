"""Publishing a gate's verdict, the same way for every gate: the report file, the terminal table, and in
GitHub Actions a markdown step summary and ``::error`` annotations."""

from __future__ import annotations

import contextlib
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
    remembered = gate.table_from_report and out is not None and not _isatty(out)
    key = _rendering_key(gate, data) if remembered else None
    if key is not None:
        try:
            head, _, text = memo.read_bytes().partition(b"\n")
            if head == key:
                out.write(text.decode("utf-8"))
                out.flush()
                return
        except (OSError, UnicodeDecodeError):
            pass  # no memo, or a broken one: rendered again
    from rich.console import Console

    console = Console(file=out, width=max(100, Console().width))
    if key is None:
        console.print(gate.table(report))
        return
    with console.capture() as capture:
        console.print(gate.table(report))
    shown = capture.get()
    out.write(shown)
    out.flush()
    with contextlib.suppress(OSError):  # not remembered: the next run renders it again
        write_atomic(memo, key + b"\n" + shown.encode("utf-8"))


def _rendering_key(gate: Gate, data: bytes) -> bytes | None:
    """The report, the code that makes and renders its table (the modules of the gate's package and of the
    packages of the classes it inherits from, this package's rendering, and rich's ``__init__``, which an
    upgrade replaces), and what rich reads of the process: its variables, which streams are terminals and
    their sizes, the output's encoding."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("rich")
    if spec is None or not spec.origin:
        return None
    # The folders of the gate's class and of each class it inherits from (an addon's gate may take its table
    # from a built-in one), and this package's.
    folders = {os.path.dirname(__file__)}
    for cls in type(gate).__mro__:
        module = sys.modules.get(cls.__module__)
        if cls is not object and getattr(module, "__file__", None):
            folders.add(os.path.dirname(module.__file__))
    try:
        code = [spec.origin, *sorted(entry.path for folder in folders for entry in os.scandir(folder)
                                     if entry.name.endswith(".py"))]
        stamps = [(path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                  for path in code for st in [os.stat(path)]]
    except OSError:  # code that is not plain files (a zip import): rendered every time
        return None
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
