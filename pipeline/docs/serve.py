"""``vango docs serve``: build, watch and serve the docs site through the dev server, with live reload on
save and the error overlay when a build fails (bad front matter, a broken link).

The builds run the same doit tasks as ``vango docs build`` up to the search index, in this process; the
server serves the unpublished site folder (``build/docs/out``) as it is, so a rebuild costs the pages that
changed and their search shard, not a publish of the whole site.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config.settings import Settings
from pipeline.core.errors import PipelineError
from pipeline.dev.watch import RELOAD, BuildResult, DevSession, Publisher
from pipeline.docs import config as docs_config
from pipeline.docs.paths import DocsPaths


@dataclass(frozen=True)
class WatchPaths:
    """What the watcher needs to know of the folders (the app's ``Paths`` has the same names)."""

    app_dir: Path
    build_dir: Path
    dist_dir: Path
    cache_dir: Path
    db_path: Path


class DocsSession(DevSession):
    """A dev session whose builds are the docs tasks: same queue, events, DevTools feed and overlay."""

    def __init__(self, paths: DocsPaths, publisher: Publisher | None = None, *, drafts: bool = False,
                 settings: Settings | None = None):
        super().__init__(settings or Settings.from_environment(), publisher, target="docs:search")
        self.docs = paths
        self.drafts = drafts

    @property  # type: ignore[override]
    def target(self) -> str:
        """Up to the search index, or the link check when ``docs.toml`` turns search off (read per build: the
        settings may change while serving; while they are broken, the build reports why)."""
        try:
            return "docs:search" if docs_config.load(self.docs.source).search.enabled else "docs:check"
        except PipelineError:
            return "docs:search"

    @target.setter
    def target(self, value: str) -> None:
        pass  # DevSession's constructor sets it; the docs' target follows docs.toml

    def paths(self) -> WatchPaths:
        return WatchPaths(self.docs.source, self.docs.build, self.docs.site, self.docs.build / "cache", self.docs.db)

    def namespace(self) -> dict[str, Any]:
        from pipeline.docs.tasks import namespace

        return namespace(self.docs, drafts=self.drafts, settings=self.build_settings())

    def extra_paths(self) -> set[Path]:
        return set()

    def _check_addons(self) -> None:
        pass  # the docs tasks load no addons

    def _announce_change(self, result: BuildResult, changed: Iterable[Path], after: Mapping[str, Any] | None) -> None:
        if any(task.get("status") == "executed" for task in result.tasks):
            self._publish(RELOAD, {"type": "reload"})  # the site has no manifest to patch from: reload


def serve(paths: DocsPaths, *, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False,
          debounce_ms: int = 100) -> int:
    from pipeline.dev.loop import serve_while_watching
    from pipeline.dev.server import Hub, create_app

    hub = Hub()
    app = create_app(lambda: paths.out, hub, entry="index.html", base="/", not_found="404.html")
    return serve_while_watching(app, DocsSession(paths, hub, drafts=drafts), host=host, port=port,
                                debounce_ms=debounce_ms, logger="docs")
