"""The ``docs:search`` step: a Pagefind index of the finished pages, in shards.

Pagefind rebuilds an index from scratch, so one index of the whole site would cost a full re-index per edit.
Pages are spread over shards by a hash of their URL (a power of two of them, ``search.shard_pages`` pages
each on average); a shard is indexed again only when one of its pages changed, and the browser merges all
shards into one search (Pagefind's ``mergeIndex``), so readers see one index.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.core.errors import PipelineError
from pipeline.core.fs import write_if_changed
from pipeline.docs.paths import DocsPaths

SHARDS_FILE = "shards.json"  # site-relative under pagefind/: the shard folders, the first one loaded first
# Pagefind's own search UIs: the theme has its own (and their inline styles would need a laxer CSP).
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")
# What only the first shard needs: merged shards are searched by the first one's code and WebAssembly.
RUNTIME = ("pagefind.js", "pagefind-worker.js")


def pagefind() -> Path:
    try:
        import pagefind_bin
    except ImportError:  # pragma: no cover - a dependency of the package
        raise PipelineError("Pagefind is missing: install the pagefind-bin package") from None
    return pagefind_bin.get_executable()


def shard_count(pages: int, per_shard: int) -> int:
    wanted = max(1, math.ceil(pages / max(1, per_shard)))
    return 1 << (wanted - 1).bit_length()


def shard_of(url: str, count: int) -> int:
    return zlib.crc32(url.encode("utf-8")) % count


def plan(pages: dict[str, list[str]], per_shard: int) -> dict[str, list[str]]:
    """Shard name -> its page URLs (empty shards left out). The count is in the name: a new count, new shards."""
    count = shard_count(len(pages), per_shard)
    shards: dict[str, list[str]] = {}
    for url in sorted(pages):
        shards.setdefault(f"s{count}-{shard_of(url, count):03d}", []).append(url)
    return dict(sorted(shards.items()))


def indexed_part(page: bytes) -> bytes:
    """What Pagefind reads of a page: its ``<html>`` tag (the language), title and the ``data-pagefind-body``
    element. The navigation, a third of every page and ignored by the index anyway, is not parsed 1,000 times."""
    start = page.find(b"data-pagefind-body")
    if start < 0:
        return page
    open_tag = page.rfind(b"<", 0, start)
    end = page.find(b"</article>", start)
    head_end = page.find(b"</head>")
    if open_tag < 0 or end < 0 or head_end < 0:
        return page
    html_tag = page[page.find(b"<html"):page.find(b">", page.find(b"<html")) + 1]
    title_start, title_end = page.find(b"<title>"), page.find(b"</title>")
    title = page[title_start:title_end + 8] if 0 <= title_start < title_end < head_end else b""
    return b"<!DOCTYPE html>" + html_tag + b"<head>" + title + b"</head><body>" + page[open_tag:end + 10] + \
        b"</body></html>"


def runtime_file(relative: str) -> bool:
    """A file of a shard that only the first shard publishes (its code and WebAssembly)."""
    return relative in RUNTIME or relative.endswith(".pagefind")


def _key(pages: dict[str, list[str]], members: list[str], version: str) -> str:
    # The digest of what Pagefind reads of each page: a theme change that leaves the text alone re-indexes nothing.
    return hashlib.sha256(json.dumps([version, [(u, pages[u][-1]) for u in members]]).encode()).hexdigest()


def _index_shard(paths: DocsPaths, executable: Path, name: str, files: list[str]) -> None:
    """Pagefind over a folder of hard links to this shard's pages, written to ``search/<name>`` in one rename."""
    target = paths.search / name
    with tempfile.TemporaryDirectory(dir=paths.build, prefix=f".search-{name}-") as work:
        site = Path(work) / "site"
        for relative in files:
            copy = site / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(indexed_part((paths.html / relative).read_bytes()))
        output = Path(work) / "out"
        proc = subprocess.run([str(executable), "--site", str(site), "--output-path", str(output), "--silent"],
                              capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise PipelineError(f"pagefind failed on search shard {name}: {detail[-1] if detail else proc.returncode}")
        for name_ in UNUSED:
            (output / name_).unlink(missing_ok=True)
        if target.exists():
            shutil.rmtree(target)
        os.rename(output, target)


def index(paths: DocsPaths, per_shard: int) -> tuple[list[str], list[str]]:
    """(every shard, the shards indexed now). Shards whose pages did not change keep their index."""
    executable = pagefind()
    pages = json.loads(paths.pages_map.read_text(encoding="utf-8"))["pages"]
    paths.search.mkdir(parents=True, exist_ok=True)
    try:
        previous = json.loads(paths.search_map.read_text(encoding="utf-8"))["keys"]
    except (OSError, ValueError, KeyError, TypeError):
        previous = {}
    version = str(executable.stat().st_size)  # a different Pagefind build gives a different binary
    shards = plan(pages, per_shard)
    keys = {name: _key(pages, members, version) for name, members in shards.items()}
    todo = [name for name in shards if previous.get(name) != keys[name] or not (paths.search / name).is_dir()]
    workers = max(1, min(len(todo), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(_index_shard, paths, executable, name, [pages[u][0] for u in shards[name]])
                       for name in todo]:
            future.result()
    for stale in paths.search.iterdir():
        if stale.is_dir() and not stale.name.startswith(".") and stale.name not in shards:
            shutil.rmtree(stale)
    write_if_changed(paths.search / SHARDS_FILE, json.dumps(list(shards)).encode("utf-8"))
    write_if_changed(paths.search_map, json.dumps({"keys": keys, "shards": list(shards)}, indent=1).encode("utf-8"))
    return list(shards), todo
