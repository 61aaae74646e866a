"""The ``docs:check`` step: every internal link and ``#anchor`` resolves. One line per broken link,
``file:line``, and the build fails (exit 1) before anything is published."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.errors import PipelineError, display_path
from pipeline.docs.config import DocsConfig
from pipeline.docs.paths import DocsPaths


def _page_for_folder(folder: str, pages: dict[str, dict]) -> str | None:
    for name in ("index.md", "README.md", "readme.md"):
        candidate = f"{folder}/{name}" if folder else name
        if candidate in pages:
            return candidate
    return None


def problems(data: dict, source: Path, repo_root: Path, repository: str) -> list[str]:
    """``file:line: message`` for each link that does not resolve (pure: the links data in, lines out)."""
    pages: dict[str, dict] = data["pages"]
    files = set(data["files"])
    found = []
    for src, page in sorted(pages.items()):
        if page["draft"]:
            continue
        where = display_path(source / src)
        for line, href, kind, target, anchor in page["links"]:
            message = _problem(src, page, kind, target, anchor, pages, files, repo_root, repository)
            if message:
                found.append(f"{where}:{line}: broken link {href!r}: {message}")
    return found


def _problem(src: str, page: dict, kind: str, target: str, anchor: str, pages: dict[str, dict], files: set[str],
             repo_root: Path, repository: str) -> str | None:
    if kind == "anchor":
        return None if anchor in page["ids"] else f"no heading or id #{anchor} on this page"
    if kind == "outside":
        return "points outside the repository"
    if kind == "repo":
        if not repository:
            return "a file outside the docs folder: set repository in docs.toml to link repository files"
        return None if (repo_root / target).exists() else f"no file {target} in the repository"
    if kind == "file" and target in files:
        return None
    page_src = target if kind == "page" else _page_for_folder(target, pages)
    if kind == "file" and page_src is None:
        page_src = _page_for_folder(target, pages)  # 'guide' meaning the folder's page
    if page_src is None or page_src not in pages:
        shown = target or "the docs folder"
        return f"no page {shown}" if kind == "page" else f"no file or page {shown}"
    if pages[page_src]["draft"]:
        return f"{page_src} is a draft (not published)"
    if anchor and anchor not in pages[page_src]["ids"]:
        return f"no heading or id #{anchor} in {page_src}"
    return None


def run(paths: DocsPaths, config: DocsConfig) -> int:
    data = json.loads(paths.links.read_text(encoding="utf-8"))
    found = problems(data, paths.source, (paths.source / config.repository_root).resolve(), config.repository)
    if found:
        noun = "link" if len(found) == 1 else "links"
        raise PipelineError(found[0], more=(*found[1:], f"{len(found)} broken {noun}"))
    return sum(len(p["links"]) for p in data["pages"].values())
