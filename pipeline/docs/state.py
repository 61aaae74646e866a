"""The per-page state of ``docs:pages`` (``build/docs/pages.state``): what the last build saw of each source
and made of it. Plain tuples on disk, so the state of 1,000 pages loads and saves in milliseconds."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pipeline.core.fs import write_atomic
from pipeline.docs import frontmatter

STATE_VERSION = 2


class Entry(NamedTuple):
    """One source page as last seen (a tuple: the state of 1,000 pages pickles in milliseconds)."""

    stat: tuple[int, int, int]
    digest: str
    render_key: str
    meta: frontmatter.Meta
    title: str
    headings: tuple[tuple[int, str, str], ...]  # markdown.Heading fields: level, id, text
    links: tuple[tuple[int, str, str, str, str], ...]  # markdown.Link fields: line, href, kind, target, anchor
    ids: tuple[str, ...]
    fragment: str
    output_key: str = ""
    output_digest: str = ""
    index_digest: str = ""  # of the part of the page the search index reads


@dataclass
class State:
    version: int = STATE_VERSION
    entries: dict[str, Entry] = field(default_factory=dict)
    special: dict[str, str] = field(default_factory=dict)  # 404/sitemap -> their last key
    files: dict[str, tuple[tuple[int, int, int], str]] = field(default_factory=dict)  # static: stat, digest


def load_state(path: Path) -> State:
    """The last build's state (plain tuples on disk: they pickle and unpickle in C); empty when unreadable."""
    try:
        with path.open("rb") as handle:
            raw = pickle.load(handle)
        if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
            return State()
        entries = {src: Entry(v[0], v[1], v[2], frontmatter.Meta._make(v[3]), *v[4:])
                   for src, v in raw["entries"].items()}
        return State(STATE_VERSION, entries, raw["special"], raw["files"])
    except (OSError, pickle.PickleError, EOFError, AttributeError, TypeError, ValueError, ImportError, KeyError,
            IndexError):
        return State()


def save_state(path: Path, state: State) -> None:
    entries = {src: (*e[:3], tuple(e.meta), *e[4:]) for src, e in state.entries.items()}
    raw = {"version": state.version, "entries": entries, "special": state.special, "files": state.files}
    write_atomic(path, pickle.dumps(raw, protocol=pickle.HIGHEST_PROTOCOL))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stat_key(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino
