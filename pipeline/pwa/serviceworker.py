"""Render ``sw.js`` (precache, offline navigations, updates) and the script that registers it.

Both are deterministic: the same inputs give the same bytes. That matters for the worker: browsers
re-fetch ``sw.js`` and install a new version exactly when its bytes differ (W3C Service Workers, "Update").
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from pipeline.core.errors import PipelineError
from pipeline.core.hashing import NAME_HASH_LENGTH
from pipeline.core.templating import render, template_file
from pipeline.pwa.settings import UPDATE_MODES, denylist_problem

SW_TEMPLATE = "sw.js.j2"
REGISTER_TEMPLATE = "register.js.j2"
SW_NAME = "sw.js"
# Above this many entries the precache list goes into parts (see precache_parts), about this many each.
PART_ENTRIES = 1024
PART_NAME = "sw-precache-{}.js"  # a part's logical name, by its bucket; the build hashes it
PART_NAMES = re.compile(r"sw-precache-\d+\.js", re.IGNORECASE)  # reserved whenever the PWA is on
_SLUG = re.compile(r"[^a-z0-9]+")
# Where hashed_name puts the hash: before the last suffix, or at the end of a name without one. The worker
# runs the same pattern (JavaScript reads it alike).
NAME_HASH = re.compile(rf"\.([0-9a-f]{{{NAME_HASH_LENGTH}}})(?:\.[^./]*)?$")


TEMPLATES = "pipeline.pwa.templates"


def template_paths() -> list[str]:
    """The template files, so doit can list them as dependencies."""
    return [template_file(TEMPLATES, name) for name in (SW_TEMPLATE, REGISTER_TEMPLATE)]


def render_service_worker(*, precache: Iterable[Mapping[str, str]], shell_url: str | None, scope: str,
                          cache_prefix: str, update: str, denylist: Iterable[str], version: str,
                          parts: Sequence[str] = ()) -> bytes:
    """``sw.js`` for a release.

    ``precache``: ``{url, revision, integrity}`` entries (see :func:`precache_entry`), in any order;
    ``parts``: the URLs of the files that list them (:func:`precache_parts`, :func:`render_precache_part`),
    which the worker imports; empty, ``sw.js`` lists the entries itself;
    ``shell_url``: the precached page answered to offline navigations (None: only pages that are
    themselves precached are); ``scope``: the registration scope (path); ``cache_prefix``: from
    :func:`cache_prefix_for`; ``update``: ``"prompt"`` or ``"auto"``; ``denylist``: JavaScript-compatible
    regexes tested against URL paths; ``version``: names the cache (e.g. :func:`precache_version`).
    Raises ``ValueError`` for inconsistent arguments (programming errors, not user input).
    """
    entries = _checked_entries(precache)
    if update not in UPDATE_MODES:
        raise ValueError(f"update must be one of {UPDATE_MODES}, not {update!r}")
    if not scope.startswith("/"):
        raise ValueError(f"scope must be a path such as '/', not {scope!r}")
    if shell_url is not None and shell_url not in {e["url"] for e in entries}:
        raise ValueError(f"the shell {shell_url!r} is not precached, so it cannot answer offline navigations")
    if not cache_prefix or not version or not re.fullmatch(r"[A-Za-z0-9._-]+", cache_prefix + version):
        raise ValueError(f"cache_prefix and version must be non-empty [A-Za-z0-9._-]: {cache_prefix!r}, {version!r}")
    patterns = list(denylist)
    for pattern in patterns:
        problem = denylist_problem(pattern)
        if problem:
            raise ValueError(problem)
    text = render(TEMPLATES, SW_TEMPLATE,
        precache=entries, name_hash=NAME_HASH.pattern, name_hash_length=NAME_HASH_LENGTH,
        shell_url=shell_url, scope=scope, cache_prefix=cache_prefix, update=update,
        denylist=patterns, version=version, parts=list(parts),
    )
    return text.encode("utf-8")


def precache_parts(entries: Sequence[Mapping[str, str | None]],
                   per_part: int = PART_ENTRIES) -> dict[int, list[Mapping[str, str | None]]]:
    """The entries of a large app split into parts, by bucket number; none (an empty dict) for up to
    ``per_part`` entries, which ``sw.js`` lists itself.

    ``sw.js`` changes with every release, and the compress step encodes it again each time: brotli 11 of the
    list of 10,000 files takes about 0.7 s, most of a one-file edit. In parts, named by their own hash, an
    edit changes the part that lists the edited file. An entry's bucket comes from its URL without the hash
    in its name, so a file whose bytes change stays in its part. Entries that carry their SRI value (pages,
    ``favicon.ico``) have buckets of their own, after the others': an edit that changes every page (a
    stylesheet or the loader they all use) changes those parts, not every part. Each kind's number of
    buckets is a power of two, about its entries / ``per_part``: it changes, and so every part of that kind,
    only when the app doubles or halves."""
    if len(entries) <= per_part:
        return {}
    named = [e for e in entries if e["integrity"] is None]
    checked = [e for e in entries if e["integrity"] is not None]
    parts: dict[int, list[Mapping[str, str | None]]] = {}
    first = 0
    for kind in (named, checked):
        count = 1 << (-(-len(kind) // per_part) - 1).bit_length() if kind else 0
        for entry in kind:
            parts.setdefault(first + _bucket(str(entry["url"]), count), []).append(entry)
        first += count
    return dict(sorted(parts.items()))


def _bucket(url: str, count: int) -> int:
    found = NAME_HASH.search(url)
    stable = url[:found.start(1) - 1] + url[found.end(1):] if found else url  # "a.<hash>.css" -> "a.css"
    return zlib.crc32(stable.encode("utf-8")) % count


def render_precache_part(entries: Iterable[Mapping[str, str | None]]) -> bytes:
    """One part of the precache list (see :func:`precache_parts`): a script ``sw.js`` imports, which adds the
    part's URLs named by their own hash, then its ``[URL, SRI value]`` pairs, to ``self.VANGO_PRECACHE``.
    Compact JSON, minified as it is written: a part is rendered whenever the app changes, and a part of
    1,000 entries costs a template engine and a minifier several times what the JSON encoder takes."""
    checked = _checked_entries(entries)
    named = [entry["url"] for entry in checked if entry["integrity"] is None]
    verified = [[entry["url"], entry["integrity"]] for entry in checked if entry["integrity"] is not None]
    compact = {"separators": (",", ":")}
    return f"self.VANGO_PRECACHE.push([{json.dumps(named, **compact)},{json.dumps(verified, **compact)}]);\n".encode()


def render_register_script(*, sw_url: str, scope: str, update: str) -> bytes:
    """The external script that registers ``sw_url`` for ``scope`` and runs the update flow."""
    if update not in UPDATE_MODES:
        raise ValueError(f"update must be one of {UPDATE_MODES}, not {update!r}")
    text = render(TEMPLATES, REGISTER_TEMPLATE, sw_url=sw_url, scope=scope, update=update)
    return text.encode("utf-8")


def _checked_entries(precache: Iterable[Mapping[str, str | None]]) -> list[dict[str, str | None]]:
    """Entries sorted by URL; an exact duplicate is dropped, a URL with two revisions is an error, and so
    is an entry without integrity whose revision is not the hash in its name."""
    by_url: dict[str, dict[str, str | None]] = {}
    for item in precache:
        entry = {"url": item["url"], "revision": item["revision"], "integrity": item["integrity"]}
        if entry["integrity"] is None and name_hash(str(entry["url"])) != entry["revision"]:
            raise ValueError(f"{entry['url']!r} has no integrity, and its revision is not the hash in its name")
        if by_url.setdefault(str(entry["url"]), entry) != entry:
            raise ValueError(f"{entry['url']!r} is listed twice with different revisions")
    return [by_url[url] for url in sorted(by_url)]


def name_hash(url: str) -> str | None:
    """The content hash :func:`pipeline.core.hashing.hashed_name` put in the URL's file name, if it has one."""
    found = NAME_HASH.search(url)
    return found.group(1) if found else None


def precache_entry(url: str, sha384_hex: str, integrity: str) -> dict[str, str | None]:
    """One file's entry. A file named by its own hash needs nothing more: the worker checks its download
    against that hash (its 64 bits of SHA-384; Workbox checks nothing), and the page's SRI checks
    scripts, stylesheets and the wasm again when they are used. Others (pages, ``favicon.ico``, modules of an
    import cycle, named by the cycle's hash) carry their SRI value, which also serves as their revision."""
    own = name_hash(url)
    if own is not None and sha384_hex.startswith(own):
        return {"url": url, "revision": own, "integrity": None}
    return {"url": url, "revision": integrity, "integrity": integrity}


def precache_entries(manifest_assets: Mapping[str, Mapping[str, Any]], base: str, max_file_size: int,
                     exclude: Collection[str] = frozenset()) -> list[dict[str, str]]:
    """Precache entries for every asset of the asset manifest, sorted by URL.

    ``manifest_assets`` is the ``"assets"`` object of ``asset-manifest.json``; ``base`` the app's URL path
    (``"/"``). Only ``sw.js`` and the logical paths in ``exclude`` are left out: anything larger than
    ``max_file_size`` bytes is an error, never silently skipped (the app does not start without its wasm).
    """
    entries = []
    for logical, asset in sorted(manifest_assets.items()):
        if logical == SW_NAME or logical in exclude:
            continue
        size = int(asset["size"])
        if size > max_file_size:
            raise PipelineError(
                f"{size:,} bytes ({_mib(size)}) is over the service worker's precache limit of {max_file_size:,} "
                f"bytes ({_mib(max_file_size)}); raise pwa.service_worker.max_file_size or make the file smaller",
                path=logical)
        entries.append(precache_entry(asset_url(base, asset["path"]), asset["hash"], asset["integrity"]))
    return sorted(entries, key=lambda e: e["url"])


def asset_url(base: str, path: str) -> str:
    """The URL path of a served file: ``base`` + ``path`` with only ``%``, ``#`` and ``?`` escaped (they would
    change the URL's meaning); browsers normalise the rest (spaces, non-ASCII) the same way for every
    reference, so the worker's ``new URL(...)`` keys match the page's requests."""
    return base + path.replace("%", "%25").replace("#", "%23").replace("?", "%3F")


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def precache_version(entries: Iterable[Mapping[str, str]]) -> str:
    """A short hash of the entries' URLs and revisions: changes exactly when a precached file changes."""
    body = json.dumps(sorted((e["url"], e["revision"]) for e in entries), separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def cache_prefix_for(app_id: str) -> str:
    """``vango-<hash>[-<slug>]``: a cache-name prefix unique to the app (its manifest ``id``, or its scope).

    The fixed-length hash comes first, so no app's prefix can be the start of another's, and the
    service worker's clean-up of outdated caches never touches another app on the same origin.
    """
    digest = hashlib.sha256(app_id.encode("utf-8")).hexdigest()[:10]
    slug = _SLUG.sub("-", app_id.lower()).strip("-")[:32].strip("-")
    return f"vango-{digest}-{slug}" if slug else f"vango-{digest}"
