"""Progress display for long steps (Go compile, brotli of large files), on a terminal only.

Logs stay the record; this is a transient indicator on stderr that disappears when the step ends, and
nothing at all when stderr is not a terminal or logs are JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.observe import log


def interactive() -> bool:
    stream = sys.__stderr__
    return bool(stream and stream.isatty()) and log.log_format() == "human"


@contextmanager
def activity(description: str) -> Iterator[None]:
    """A spinner while something without measurable progress runs (the Go compiler)."""
    if not interactive():
        yield
        return
    from rich.console import Console

    with Console(file=sys.__stderr__).status(description):
        yield


@contextmanager
def measured(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar over ``total`` units; yields a function taking the units done so far."""
    if not interactive() or total <= 0:
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), transient=True,
                  console=Console(file=sys.__stderr__)) as bar:
        task_id = bar.add_task(description, total=total)
        yield lambda done: bar.update(task_id, completed=done)
