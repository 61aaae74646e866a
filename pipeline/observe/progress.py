"""Progress display for long steps (Go compile, brotli of large files), on a terminal only.

Logs stay the record; this is a transient indicator on stderr that disappears when the step ends, and
nothing at all when stderr is not a terminal or logs are JSON. The spinner is driven by the same spans as
the logs and traces (a span with a ``display`` attribute); the byte-counting bar by the step itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.observe import events, log


def interactive() -> bool:
    stream = sys.__stderr__
    return bool(stream and stream.isatty()) and log.log_format() == "human"


_open: dict[str, object] = {}  # span id -> the rich status shown for it


def spinner(event: events.Event) -> None:
    """Bus subscriber: a span started with ``display="..."`` shows a spinner until it finishes."""
    if event.kind == events.SPAN_STARTED:
        text = (event.data.get("attributes") or {}).get("display")
        if text and interactive() and not _open:
            from rich.console import Console

            status = Console(file=sys.__stderr__).status(str(text))
            status.start()
            _open[event.span_id] = status
    elif event.kind == events.SPAN_FINISHED and event.span_id in _open:
        _open.pop(event.span_id).stop()  # type: ignore[attr-defined]


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
