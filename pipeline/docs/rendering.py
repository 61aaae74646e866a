"""Markdown sources to cached page entries: front matter and body rendered once per content, in worker
processes (one per core) when a build has many pages to render."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, PipelineError
from pipeline.core.fs import write_if_changed
from pipeline.docs import frontmatter, markdown
from pipeline.docs.paths import DocsPaths
from pipeline.docs.state import Entry, sha, stat_key

PARALLEL_FROM = 48  # pages to render before it pays to start worker processes


def worker_processes(jobs: int) -> int:
    """How many forked worker processes ``jobs`` pieces of work are worth (1: do them here)."""
    workers = min(os.cpu_count() or 1, 8)
    if jobs < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return workers


def forked_pool(workers: int) -> Any:
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


def cached(paths: DocsPaths, src: str, render_key: str, old: Entry | None) -> tuple[Entry | None, Any]:
    """(the cached entry when the page's bytes did not change, else None; the job that renders it)."""
    file = paths.source / src
    stat = stat_key(file)
    if old is not None and old.stat == stat and old.render_key == render_key:
        return old, None
    data = file.read_bytes()
    digest = sha(data)
    if old is not None and old.digest == digest and old.render_key == render_key:
        return old._replace(stat=stat), None
    return None, (src, str(file), data, stat, digest, render_key, str(paths.fragments))


def render_job(job: tuple[Any, ...], place: markdown.Place) -> tuple[str, Any]:
    """Front matter and markdown of one page (a pure function of its bytes, run in a worker process for full
    builds); the rendered body goes to the fragment cache. ('ok', entry) or ('error', (config?, line))."""
    _src, file, data, stat, digest, render_key, fragments = job
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "error", (False, str(PipelineError(f"not UTF-8 text (byte {exc.start})", path=file)))
    yaml_text, body, offset = frontmatter.split(text.lstrip("\ufeff"))
    try:
        meta = frontmatter.parse(yaml_text, file)
    except ConfigError as exc:
        return "error", (True, str(exc))
    rendered = markdown.render(body, place, offset)
    fragment = f"{sha((digest + render_key).encode())[:32]}.html"
    write_if_changed(Path(fragments) / fragment, rendered.html.encode("utf-8"))
    return "ok", Entry(stat, digest, render_key, meta, rendered.title, tuple(map(tuple, rendered.headings)),
                       tuple(map(tuple, rendered.links)), tuple(rendered.ids), fragment)


def render_all(jobs: list[tuple[Any, ...]], places: list[markdown.Place]) -> list[tuple[str, Any]]:
    """Every job's result, in order: in worker processes (one per core) when there are many."""
    workers = worker_processes(len(jobs))
    if workers < 2:
        return [render_job(job, place) for job, place in zip(jobs, places, strict=True)]
    with forked_pool(workers) as pool:
        return list(pool.map(render_job, jobs, places, chunksize=max(1, len(jobs) // (workers * 4))))
