"""Pages taken from the last run as they were, so an edit of one stylesheet of a 500-page site transforms
the page that links it, not 500.

A page's output is a function of its source, the step's settings and code, and what its transforms read.
When every transform is ``tracked`` (:mod:`pipeline.engine.pages`), each read goes through a page-named
lookup that notes the value it saw; this memo keeps, per page, the source's SHA-256, those reads, the notes
other pages' transforms need (whether it has a loader marker, its inline code's hashes) and the values
derived from all pages (``cross``), under a key of everything else: the pipeline's fingerprint (the
cache's), the transforms, the whole app config, the minifiers' and lxml's versions and whether addons are
installed. A page is taken as it was when that key, its source and every read's value now are the same, and
its file is still in build/out as written (the step's :class:`~pipeline.steps.textcache.TextCache` entry). If the pages
transformed in this run change a ``cross`` value (whether any page has a loader marker; the policy, when a
meta element holds it), every page is transformed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from pipeline.engine.pages import PageSet, PageTransform
from pipeline.steps.textcache import TextCache, digest

VERSION = 2  # 2: reads tell files by a 128-bit prefix of their SHA-384


def memo_key(pages: PageSet, transforms: Sequence[PageTransform], installed: bool, minifying: Any) -> str | None:
    """The key every page's entry is kept under, or None when a transform is not tracked (nothing is kept).
    ``minifying``: what minifying a page depends on besides the config (the minifiers' versions)."""
    from lxml import etree  # the parser and serializer: an upgrade may read or write a page otherwise

    if not all(t.tracked for t in transforms):
        return None
    return digest(VERSION, [(t.name, t.owner, str(t.phase.value)) for t in transforms], repr(pages.ctx.config),
                  installed, minifying, etree.LXML_VERSION, etree.LIBXML_VERSION)


def source_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def settled_pages(cache: TextCache, key: str, pages: PageSet, sources: dict[str, bytes]) -> dict[str, Any]:
    """The last run's entries of the pages that can be taken as they were, by name."""
    found = {}
    now: dict[str, Any] = {}  # each read's value now, looked up once: pages share most of their reads

    def current(read: str) -> Any:
        if read not in now:
            now[read] = pages.current(*read.split("\0", 1))
        return now[read]

    for name, data in sources.items():
        entry = cache.recall(f"page:{name}")
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("source") != source_digest(data):
            continue
        try:
            if any(current(read) != value for read, value in entry["reads"].items()):
                continue
        except (KeyError, ValueError, TypeError, AttributeError):  # an entry this code did not write
            continue
        found[name] = entry
    return found


def remember(cache: TextCache, key: str, pages: PageSet, sources: dict[str, bytes], settled: dict[str, Any],
             written: dict[str, str]) -> None:
    """Keep each page's entry: a settled one as it was, a transformed one from this run's reads and notes.
    ``written``: the text-cache key each transformed page's file is under."""
    for name, data in sources.items():
        if name in settled:
            cache.keep(f"page:{name}", settled[name])
        elif name in written:
            cache.keep(f"page:{name}", {"key": key, "source": source_digest(data), "written": written[name],
                                        "reads": {**pages.shared, **pages.reads.get(name, {})},
                                        "notes": pages.notes.get(name, {}), "cross": cross_digest(pages)})


def cross_digest(pages: PageSet) -> str:
    """The values derived from all pages, as one key (the policy lists every page's inline hashes: kept once
    per page it would make the memo grow with the square of the pages)."""
    return digest(pages.cross)


def cross_changed(pages: PageSet, settled: dict[str, Any]) -> bool:
    """Whether a settled page was made with other values derived from all pages than this run's."""
    now = cross_digest(pages)
    return any(entry.get("cross") != now for entry in settled.values())
