"""The doit wiring of ``vango docs build``: tasks ``docs:assets``, ``docs:pages``, ``docs:check``,
``docs:search`` and ``docs:publish`` as plain dicts. doit decides what is out of date from their files; the
per-page work inside ``docs:pages`` is cached by the step itself (see :mod:`pipeline.docs.pages`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from doit.tools import config_changed

from pipeline.core.errors import PipelineError
from pipeline.docs import config as docs_config
from pipeline.docs.paths import DocsPaths
from pipeline.engine.tasks import PipelineFailed
from pipeline.observe import log

BASENAME = "docs"


def _run(body: Callable[[], tuple[str, dict[str, Any]]], task_name: str) -> Any:
    """Run a step; bad input becomes a task failure with its exit code and one line per problem. The step's
    summary is logged with its figures as fields (event ``docs.step``)."""
    started = time.perf_counter()
    token = log.current_task.set(task_name)
    try:
        summary, fields = body()
    except PipelineError as exc:
        return PipelineFailed("\n".join(exc.lines()), exc.exit_code)
    finally:
        log.current_task.reset(token)
    duration = time.perf_counter() - started
    log.get_logger("docs").info("%s (%.2f s)", summary, duration, extra={
        "event": "docs.step", "fields": {"step": task_name, "duration_s": round(duration, 4), **fields}})
    return None


def _paths(source: str, site: str, build: str) -> DocsPaths:
    return DocsPaths(Path(source), Path(site), Path(build))


def assets_action(source: str, site: str, build: str) -> Any:
    from pipeline.docs import theme

    def body() -> str:
        paths = _paths(source, site, build)
        config = docs_config.load(paths.source)
        assets = theme.build_assets(paths.source, config, paths.out)
        theme.write_assets_map(paths.assets_map, assets)
        return f"theme: {len(assets)} assets", {"assets": sorted(a.path for a in assets.values())}

    return _run(body, "docs:assets")


def pages_action(source: str, site: str, build: str, drafts: bool) -> Any:
    from pipeline.docs import pages

    def body() -> str:
        paths = _paths(source, site, build)
        result = pages.build(paths, docs_config.load(paths.source), drafts=drafts)
        return (f"{result.pages} pages: {len(result.rendered)} rendered, {len(result.templated)} written",
                {"pages": result.pages, "rendered": result.rendered, "templated": result.templated})

    return _run(body, "docs:pages")


def check_action(source: str, site: str, build: str) -> Any:
    from pipeline.docs import check

    def body() -> str:
        paths = _paths(source, site, build)
        checked = check.run(paths, docs_config.load(paths.source))
        return f"links: {checked} checked, none broken", {"links": checked}

    return _run(body, "docs:check")


def search_action(source: str, site: str, build: str) -> Any:
    from pipeline.docs import search

    def body() -> str:
        paths = _paths(source, site, build)
        shards, indexed = search.index(paths, docs_config.load(paths.source).search.shard_pages)
        return f"search: {len(indexed)} of {len(shards)} shards indexed", {"shards": shards, "indexed": indexed}

    return _run(body, "docs:search")


def publish_action(source: str, site: str, build: str) -> Any:
    from pipeline.docs import publish

    def body() -> str:
        paths = _paths(source, site, build)
        files = publish.publish(paths, docs_config.load(paths.source))
        return f"published {len(files)} files to {paths.site}", {"files": len(files), "site": str(paths.site)}

    return _run(body, "docs:publish")


def _repository_files_unchanged(source: str, site: str, build: str) -> bool:
    """doit ``uptodate`` of ``docs:check``: the repository files the pages link to are all still there (they
    are not file dependencies: a deleted one would stop doit before the check could name the page)."""
    import json

    paths = _paths(source, site, build)
    try:
        data = json.loads(paths.links.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    root = (paths.source / docs_config.load(paths.source).repository_root).resolve()
    return all((root / link[3]).exists() for page in data["pages"].values() for link in page["links"]
               if link[2] == "repo")


def _site_intact(source: str, site: str, build: str) -> bool:
    from pipeline.docs.publish import site_intact

    return site_intact(_paths(source, site, build))


def tasks(paths: DocsPaths, *, drafts: bool = False) -> list[dict[str, Any]]:
    """The task dicts (``docs:*``); reads the docs folder once, for the file dependencies."""
    from pipeline.docs import theme
    from pipeline.docs.sources import discover

    config = docs_config.load(paths.source)
    sources = discover(paths.source, config.exclude)
    paths.check()
    config_file = paths.source / docs_config.CONFIG_NAME
    settings = [str(config_file)] if config_file.is_file() else []
    args = [str(paths.source), str(paths.site), str(paths.build)]
    sources_deps = [str(paths.source / p) for p in (*sources.pages, *sources.files)]
    found = [
        {"name": "assets", "doc": "the theme's files under content-hashed names, with SRI values",
         "actions": [(assets_action, args)], "file_dep": [*map(str, theme.inputs(paths.source)), *settings],
         "targets": [str(paths.assets_map)], "clean": True},
        {"name": "pages", "doc": "markdown to HTML pages (only what changed), navigation, 404, sitemap",
         "actions": [(pages_action, [*args, drafts])],
         "file_dep": [*sources_deps, *settings, str(paths.assets_map), *map(str, theme.inputs(paths.source))],
         "targets": [str(paths.pages_map), str(paths.links)],
         "uptodate": [config_changed({"drafts": drafts, "pages": len(sources.pages), "files": len(sources.files)})]},
        {"name": "check", "doc": "every internal link and #anchor resolves", "actions": [(check_action, args)],
         "file_dep": [str(paths.links), *settings], "uptodate": [(_repository_files_unchanged, args)]},
    ]
    publish_deps = [str(paths.pages_map), str(paths.assets_map), *settings]
    if config.search.enabled:
        found.append({"name": "search", "doc": "Pagefind index of the pages, re-indexing changed shards only",
                      "actions": [(search_action, args)], "file_dep": [str(paths.pages_map), *settings],
                      "task_dep": [f"{BASENAME}:check"], "targets": [str(paths.search_map)]})
        publish_deps.append(str(paths.search_map))
    found.append({"name": "publish", "doc": f"swap the site into {paths.site} in one step",
                  "actions": [(publish_action, args)], "file_dep": publish_deps, "task_dep": [f"{BASENAME}:check"],
                  "targets": [str(paths.published)], "uptodate": [(_site_intact, args)]})
    return found


def namespace(paths: DocsPaths, *, drafts: bool = False, settings: Any = None) -> dict[str, Any]:
    """A dodo namespace for doit: ``task_docs`` and the config (own database in the docs build folder)."""
    from pipeline.core.errors import PipelineError as Error
    from pipeline.engine.loader import stop
    from pipeline.engine.reporter import VangoReporter

    try:
        found = tasks(paths, drafts=drafts)
    except Error as exc:
        stop(exc)
    paths.build.mkdir(parents=True, exist_ok=True)

    def task_docs() -> Any:
        yield {"basename": BASENAME, "name": None, "doc": "build the documentation site"}
        yield from found

    task_docs.__doc__ = "build the documentation site"
    return {"DOIT_CONFIG": {"backend": "sqlite3", "dep_file": str(paths.db), "default_tasks": [BASENAME],
                            "reporter": type("DocsReporter", (VangoReporter,), {
                                "lock_dir": paths.build, "publish_task": f"{BASENAME}:publish",
                                "output_label": "the site", "settings": settings}),
                            "minversion": "0.36.0"},
            "task_docs": task_docs}
