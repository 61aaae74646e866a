"""Navigation from the folder tree and the front matter: a folder is a section (titled by its index page),
``order``/``weight`` then the title sort its entries, ``section:`` groups pages under a heading within
their folder. From the tree come the reading order (previous/next), breadcrumbs and each page's view of
the navigation: every top-level entry, and the folders on the way to the page opened."""

from __future__ import annotations

import math
import posixpath
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class PageInfo(NamedTuple):
    src: str
    url: str
    title: str
    order: float | None = None
    section: str = ""
    status: str = ""
    description: str = ""


@dataclass
class Folder:
    path: str  # docs-relative, '' for the root
    index: PageInfo | None = None
    pages: list[PageInfo] = field(default_factory=list)
    folders: dict[str, Folder] = field(default_factory=dict)
    sorted: list[tuple[str, Any]] | None = None

    @property
    def title(self) -> str:
        if self.index is not None and self.index.title:
            return self.index.title
        name = posixpath.basename(self.path)
        return name.replace("-", " ").replace("_", " ").strip().capitalize() or "Home"

    @property
    def order(self) -> float | None:
        return self.index.order if self.index is not None else None


def _key(order: float | None, title: str) -> tuple[float, str]:
    return (math.inf if order is None else order, title.lower())


def tree(pages: list[PageInfo]) -> Folder:
    root = Folder("")
    for page in pages:
        folder_path = posixpath.dirname(page.src)
        folder = root
        walked = ""
        for part in [p for p in folder_path.split("/") if p]:
            walked = f"{walked}/{part}" if walked else part
            folder = folder.folders.setdefault(part, Folder(walked))
        name = posixpath.basename(page.src).lower()
        if name in ("index.md", "readme.md") and (folder.index is None or name == "index.md"):
            if folder.index is not None:
                folder.pages.append(folder.index)
            folder.index = page
        else:
            folder.pages.append(page)
    return root


def entries(folder: Folder) -> list[tuple[str, Any]]:
    """A folder's entries in order: ('page', PageInfo), ('folder', Folder), ('group', (name, [PageInfo])).
    Worked out once per folder (the tree does not change after it is built)."""
    if folder.sorted is None:
        folder.sorted = _entries(folder)
    return folder.sorted


def _entries(folder: Folder) -> list[tuple[str, Any]]:
    keyed: list[tuple[tuple[float, str], tuple[str, Any]]] = []
    groups: dict[str, list[PageInfo]] = {}
    for page in folder.pages:
        if page.section:
            groups.setdefault(page.section, []).append(page)
        else:
            keyed.append((_key(page.order, page.title), ("page", page)))
    for sub in folder.folders.values():
        keyed.append((_key(sub.order, sub.title), ("folder", sub)))
    for name, members in groups.items():
        members.sort(key=lambda p: _key(p.order, p.title))
        first = min((p.order for p in members if p.order is not None), default=None)
        keyed.append((_key(first, name), ("group", (name, members))))
    keyed.sort(key=lambda item: item[0])
    return [entry for _, entry in keyed]


def reading_order(folder: Folder) -> list[PageInfo]:
    """Depth first: a folder's index page, then its entries."""
    found = [folder.index] if folder.index is not None else []
    for kind, value in entries(folder):
        if kind == "page":
            found.append(value)
        elif kind == "group":
            found.extend(value[1])
        else:
            found.extend(reading_order(value))
    return found


def _ancestors(src: str) -> set[str]:
    parts = posixpath.dirname(src).split("/") if posixpath.dirname(src) else []
    return {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}


def view(root: Folder, current: PageInfo) -> list[dict[str, Any]]:
    """The navigation as one page shows it (site-relative URLs; plain data, so it can be part of a cache key)."""
    open_folders = _ancestors(current.src)

    def page_item(page: PageInfo) -> dict[str, Any]:
        return {"title": page.title, "url": page.url, "current": page.src == current.src, "status": page.status}

    def items(folder: Folder) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = []
        for kind, value in entries(folder):
            if kind == "page":
                shown.append(page_item(value))
            elif kind == "group":
                name, members = value
                shown.append({"title": name, "group": True, "children": [page_item(p) for p in members]})
            else:
                opened = value.path in open_folders
                shown.append({"title": value.title, "url": value.index.url if value.index else None,
                              "current": value.index is not None and value.index.src == current.src,
                              "folder": True, "open": opened, "children": items(value) if opened else []})
        return shown

    return items(root)


def breadcrumbs(root: Folder, current: PageInfo) -> list[dict[str, Any]]:
    """Home, then each folder on the way to the page (linked when it has an index page)."""
    crumbs: list[dict[str, Any]] = []
    if root.index is not None and root.index.src != current.src:
        crumbs.append({"title": root.index.title or "Home", "url": root.index.url})
    folder = root
    parts = [p for p in posixpath.dirname(current.src).split("/") if p]
    for part in parts:
        folder = folder.folders[part]
        if folder.index is not None and folder.index.src == current.src:
            break
        crumbs.append({"title": folder.title, "url": folder.index.url if folder.index else None})
    return crumbs
