"""Turn references found by the rewriters into served URLs, or into clear errors naming file and line."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path

from pipeline.assets.rewrite import LINK, NewUrl, Reference
from pipeline.core import urls
from pipeline.core.errors import PipelineError, display_path

Lookup = Callable[[str], str | None]  # logical path -> served path, or None when there is no such file


def resolver(importer: str, source: Path, lookup: Lookup, *, base: str, web_dir: Path,
             base_href: str | None = None, skip: Callable[[Reference], bool] | None = None) -> NewUrl:
    """A ``NewUrl`` callback for the rewriters: the served URL of each local reference.

    Asset references that do not resolve are errors; navigation links (``LINK``) are kept as written.
    """

    def new_url(ref: Reference) -> str | None:
        if not urls.is_local(ref.url) or (skip is not None and skip(ref)):
            return None
        try:
            target = urls.to_logical(ref.url, importer, base, base_href)
        except urls.EscapesRoot:
            raise PipelineError(f"{ref.url!r} points outside the web folder", path=source, location=ref.line) from None
        if target is None:
            return None
        served = lookup(target)
        if served is None:
            if ref.kind == LINK:
                return None
            if (web_dir / target).is_file():
                raise PipelineError(f"{ref.url!r} names {display_path(web_dir / target)}, which a file of this kind "
                                    "cannot reference (it is built later)", path=source, location=ref.line)
            raise PipelineError(f"{ref.url!r} does not resolve to a file ({display_path(web_dir / target)} is missing)",
                                path=source, location=ref.line)
        return urls.with_basename(ref.url, posixpath.basename(served))

    return new_url


def local_target(ref: Reference, importer: str, base: str) -> str | None:
    """The logical path a reference points at, or None (external, outside the app, or escaping)."""
    if not urls.is_local(ref.url):
        return None
    try:
        return urls.to_logical(ref.url, importer, base)
    except urls.EscapesRoot:
        return None
