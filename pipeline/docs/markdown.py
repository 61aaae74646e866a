"""Markdown to HTML (markdown-it-py: CommonMark, tables, footnotes, admonitions, heading anchors, task
lists), with what the site needs from each page: its headings, and every link with its line for the checks.

Links are rewritten while rendering: ``other.md#part`` becomes the relative URL of that page, a file of the
docs folder keeps working from the page's folder URL, and a file of the repository outside the docs folder
becomes its repository URL (when ``docs.toml`` names the repository).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from pipeline.docs import highlight, urls

RENDERER_VERSION = "2"  # part of every cached page's key: bump when the HTML this module makes changes
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
_HTML_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""")


class Heading(NamedTuple):
    level: int
    id: str
    text: str


class Link(NamedTuple):
    """A reference to check: ``kind`` is page (a .md file), file (another docs file), repo (a repository file
    outside the docs folder), anchor (same page) or outside (escapes the repository)."""

    line: int
    href: str
    kind: str
    target: str  # docs-relative path (page, file), repository-relative path (repo), '' (anchor)
    anchor: str = ""


@dataclass
class Rendered:
    html: str
    title: str  # the first level-1 heading's text ('' if none)
    headings: list[Heading] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # every id a link may point at (headings, raw HTML)


def slugify(text: str) -> str:
    """GitHub's heading ids: lower case, spaces to hyphens, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower(), flags=re.UNICODE).replace(" ", "-")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = (MarkdownIt("commonmark", {"typographer": False})
          .enable(["table", "strikethrough"])
          .use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify, permalink=True,
               permalinkSymbol="#", permalinkBefore=False)
          .use(footnote_plugin).use(admon_plugin).use(tasklists_plugin))
    md.add_render_rule("fence", _fence)
    return md


def _fence(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    info = token.info.strip()
    language = info.split(maxsplit=1)[0] if info else ""
    title = re.search(r'title="([^"]*)"', info)
    return highlight.block(token.content, language, title.group(1) if title else "")


def _inline_line(token: Token, child_index: int, children: list[Token]) -> int:
    """The 1-based line of an inline child: the block's first line plus the line breaks before it."""
    start = (token.map[0] if token.map else 0) + 1
    return start + sum(1 for c in children[:child_index] if c.type in ("softbreak", "hardbreak"))


@dataclass(frozen=True)
class Place:
    """Where the page is: its docs-relative source, and the docs folder's path inside the repository."""

    src: str
    repo_prefix: str  # e.g. 'docs' ('' when the docs folder is the repository's root or unknown)
    blob_url: Any = None  # repository path -> URL, or None when no repository is configured


def _classify(href: str, place: Place, line: int) -> tuple[Link | None, str]:
    """The link to check (None for external ones) and the href to render."""
    if not href or _SCHEME.match(href):
        return None, href
    path, _, anchor = href.partition("#")
    path = path.split("?", 1)[0]
    url = urls.page_url(place.src)
    if not path:
        return Link(line, href, "anchor", "", anchor), href
    if path.startswith("/"):
        joined = posixpath.normpath(path.lstrip("/"))
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(place.src), path))
    suffix = f"#{anchor}" if anchor else ""
    if joined == ".." or joined.startswith("../"):
        repo_path = posixpath.normpath(posixpath.join(place.repo_prefix, joined)) if place.repo_prefix else joined
        if repo_path == ".." or repo_path.startswith("../"):
            return Link(line, href, "outside", repo_path), href
        rendered = place.blob_url(repo_path) + suffix if place.blob_url else href
        return Link(line, href, "repo", repo_path, anchor), rendered
    if joined == ".":
        joined = ""
    if joined.lower().endswith(".md"):
        return Link(line, href, "page", joined, anchor), urls.relative(url, urls.page_url(joined)) + suffix
    if path.endswith("/") or joined == "":
        return Link(line, href, "folder", joined, anchor), urls.relative(url, f"{joined}/" if joined else "") + suffix
    return Link(line, href, "file", joined, anchor), urls.relative(url, joined) + suffix


def render(body: str, place: Place, first_line: int = 0) -> Rendered:
    """Render a page's markdown body (front matter removed; ``first_line`` lines came before it)."""
    md = _parser()
    env: dict[str, Any] = {}
    tokens = md.parse(body, env)
    result = Rendered(html="", title="")
    pending_heading: int | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            pending_heading = index
        elif token.type == "inline":
            if pending_heading is not None:
                opening = tokens[pending_heading]
                text = "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))
                heading = Heading(int(opening.tag[1]), str(opening.attrs.get("id", "")), text.strip())
                result.headings.append(heading)
                if heading.level == 1 and not result.title:
                    result.title = heading.text
                pending_heading = None
            children = token.children or []
            for i, child in enumerate(children):
                attr = "href" if child.type == "link_open" else "src" if child.type == "image" else None
                if attr is None:
                    if child.type == "html_inline":
                        result.ids.extend(_HTML_ID.findall(child.content))
                    continue
                if "header-anchor" in str(child.attrs.get("class", "")):
                    continue
                line = _inline_line(token, i, children) + first_line
                link, rendered = _classify(str(child.attrs.get(attr, "")), place, line)
                if link is not None:
                    result.links.append(link)
                    child.attrs[attr] = rendered
        elif token.type == "html_block":
            result.ids.extend(_HTML_ID.findall(token.content))
    result.ids.extend(h.id for h in result.headings)
    # The permalink is chrome, not text: neither the search index nor a screen reader's heading should read "#".
    result.html = md.renderer.render(tokens, md.options, env).replace(
        '<a class="header-anchor" href=', '<a class="header-anchor" data-pagefind-ignore aria-label="Permalink" href=')
    return result
