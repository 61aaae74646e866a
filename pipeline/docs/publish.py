"""The ``docs:publish`` step: the finished pages, the theme's hashed assets, the docs' own files and the
search shards go into a staging folder (hard links: a file that did not change keeps its inode and mtime),
each compressible file with ``.br``/``.gz`` siblings (cached by content hash, so only new bytes are
compressed), plus ``_headers`` with the CSP; then the staging folder is swapped into place in one step."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.assets.compression import brotli_bytes, gzip_bytes, is_compressible
from pipeline.assets.sri.csp import build_policy, serialize
from pipeline.core import dirswap
from pipeline.core.fs import write_atomic, write_if_changed
from pipeline.docs.config import DocsConfig
from pipeline.docs.paths import DocsPaths
from pipeline.docs.search import SHARDS_FILE, runtime_file
from pipeline.docs.theme import ASSETS_URL

MIN_COMPRESS = 256  # bytes: below this a sibling saves nothing worth a request's headers


class _Stager:
    """Hard links into the staging folder (strings and a set of made folders: a site has thousands of files)."""

    def __init__(self, staging: Path) -> None:
        self.root = str(staging)
        self.made: set[str] = set()

    def place(self, source: Path, relative: str) -> None:
        target = os.path.join(self.root, relative)
        parent = os.path.dirname(target)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        try:
            os.link(source, target)
        except OSError:  # another file system: copy
            shutil.copy2(source, target)


def _compressed(paths: DocsPaths, source: Path, digest: str | None,
                quality: int) -> tuple[str, list[tuple[str, Path]]]:
    """(the content hash, (suffix, cached file) for the siblings worth serving); each is made once per hash."""
    data = None
    if digest is None:
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
    siblings = []
    for suffix in (".br", ".gz"):
        cached = paths.compressed / digest[:2] / f"{digest}.q{quality}{suffix}"
        missing = paths.compressed / digest[:2] / f"{digest}.q{quality}{suffix}.none"
        if missing.exists():
            continue
        if not cached.exists():
            data = source.read_bytes() if data is None else data
            packed = brotli_bytes(data, quality=quality) if suffix == ".br" else gzip_bytes(data)
            if len(packed) >= len(data):
                write_atomic(missing, b"")
                continue
            write_atomic(cached, packed)
        siblings.append((suffix, cached))
    return digest, siblings


def _forget_unused(paths: DocsPaths, used: set[str]) -> None:
    """Drop cached siblings no published file has any more, so the cache does not grow with every edit."""
    if not paths.compressed.is_dir():
        return
    for folder in paths.compressed.iterdir():
        for cached in folder.iterdir() if folder.is_dir() else ():
            if cached.name.split(".", 1)[0] not in used:
                cached.unlink(missing_ok=True)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def headers() -> str:
    """Netlify/Cloudflare Pages ``_headers``: the CSP (frame-ancestors too, which a meta tag cannot carry),
    and the theme's hashed files cached for a year."""
    policy = serialize(build_policy())
    return (f"/*\n  Content-Security-Policy: {policy}\n  X-Content-Type-Options: nosniff\n"
            f"  Referrer-Policy: strict-origin-when-cross-origin\n"
            f"/{ASSETS_URL}/*\n  Cache-Control: public, max-age=31536000, immutable\n")


def publish(paths: DocsPaths, config: DocsConfig) -> list[str]:
    """Stage and swap; returns the site-relative files published (siblings included)."""
    pages_map = json.loads(paths.pages_map.read_text(encoding="utf-8"))
    assets = json.loads(paths.assets_map.read_text(encoding="utf-8"))
    plan: list[tuple[str, Path, str | None]] = []  # site path, source file, known sha256 (or None)
    for relative, digest, _ in pages_map["pages"].values():
        plan.append((relative, paths.html / relative, digest))
    for special in pages_map["special"]:
        plan.append((special, paths.html / special, None))
    for relative, digest in pages_map["files"].items():
        plan.append((relative, paths.out / relative, digest))
    for asset in assets.values():
        plan.append((asset["path"], paths.out / asset["path"], None))
    if config.search.enabled and (paths.search / SHARDS_FILE).is_file():
        shards = json.loads((paths.search / SHARDS_FILE).read_text(encoding="utf-8"))
        plan.append((f"pagefind/{SHARDS_FILE}", paths.search / SHARDS_FILE, None))
        for number, name in enumerate(shards):
            for path in sorted((paths.search / name).rglob("*")):
                inner = path.relative_to(paths.search / name).as_posix()
                if path.is_file() and (number == 0 or not runtime_file(inner)):
                    plan.append((f"pagefind/{name}/{inner}", path, None))
    write_if_changed(paths.build / "_headers", headers().encode("utf-8"))
    plan.append(("_headers", paths.build / "_headers", None))

    site = paths.site
    site.parent.mkdir(parents=True, exist_ok=True)
    dirswap.clear_stale_staging(site)
    staging = dirswap.staging_dir(site)
    published: list[str] = []
    try:
        staging.mkdir()
        stager = _Stager(staging)
        for relative, source, _ in plan:
            stager.place(source, relative)
            published.append(relative)
        wanted = [(relative, source, digest) for relative, source, digest in plan
                  if is_compressible(relative) and source.stat().st_size >= MIN_COMPRESS]
        # brotli and zlib release the GIL: threads use every core
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = pool.map(lambda item: _compressed(paths, item[1], item[2], config.brotli_quality
                                                        if item[0].endswith(".html") else 11), wanted)
            used: set[str] = set()
            for (relative, _, _), (digest, siblings) in zip(wanted, results, strict=True):
                used.add(digest)
                for suffix, cached in siblings:
                    stager.place(cached, relative + suffix)
                    published.append(relative + suffix)
        known = dirswap.published_state(paths.build, site) if site.exists() else None
        dirswap.swap_into_place(staging, site)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # After the swap (the previous site's links are gone, so the ctimes recorded are the final ones).
    dirswap.record_published(paths.build, site, published, known=known)
    _forget_unused(paths, used)
    return published


def site_intact(paths: DocsPaths) -> bool:
    """doit ``uptodate``: the site still holds what the last publish put there."""
    return not dirswap.drifted(paths.build, paths.site)
