"""Where a page's source lands on the site: ``guide/setup.md`` is served at ``guide/setup/`` (its file
``guide/setup/index.html``); ``index.md`` or ``README.md`` is its folder's page. Links between pages are
relative, so the site works under any base path and from any static server."""

from __future__ import annotations

import posixpath

INDEX_NAMES = ("index.md", "readme.md")


def page_url(src: str) -> str:
    """Docs-relative source path -> site-relative URL ('' is the home page; folders end with '/')."""
    folder, name = posixpath.split(src)
    if name.lower() in INDEX_NAMES:
        return f"{folder}/" if folder else ""
    stem = name[:-3] if name.lower().endswith(".md") else name
    return f"{folder}/{stem}/" if folder else f"{stem}/"


def output_file(url: str) -> str:
    return f"{url}index.html"


def relative(from_url: str, to_path: str) -> str:
    """A relative reference from the page at ``from_url`` to the site path ``to_path`` (a URL or a file).

    Both are site-relative POSIX paths, so this is plain string work (``posixpath.relpath`` would consult the
    working directory, thousands of times per build)."""
    base = [p for p in from_url.split("/") if p]
    target = [p for p in to_path.split("/") if p]
    common = 0
    while common < len(base) and common < len(target) and base[common] == target[common]:
        common += 1
    rel = "/".join([".."] * (len(base) - common) + target[common:]) or "."
    if to_path.endswith("/") or to_path == "":
        return "./" if rel == "." else f"{rel}/"
    return rel


def root_prefix(url: str) -> str:
    """The relative path from a page back to the site root ('' for the home page)."""
    return "../" * url.count("/")
