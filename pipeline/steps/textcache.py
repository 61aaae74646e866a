"""Per-file results of a text step (stylesheets, JS modules), remembered between runs, so an edit parses,
rewrites and minifies the files that changed, not every file the step claims.

doit re-runs a step when any of its files changed; inside the step, this cache keeps three tables in
``build/steps/<step>.json``:

- ``refs``: a source's references, by the SHA-256 of its text (parsing is most of a step's time);
- ``texts``: the served path, SHA-384, size, mtime, ctime and inode of a file's final text, by a key that
  names the file and everything its text depends on (the source, what each of its references resolved to,
  the step's settings). While that file is still in ``build/out`` with that stamp (a page's name holds no
  hash: the same path holds other bytes over time, and a file system's mtime may be coarse), the step takes the record
  as it is: it neither renders, reads, hashes nor writes the file; a file in an import cycle reads its text
  back from there (and checks it against the SHA-384);
- ``memo``: other pure results by key (the CSP findings of a stylesheet, what a page read: see
  :mod:`pipeline.steps.pagememo`);
- ``sources``: the SHA-256 of each source's text under the stat of the file (:func:`fs.stat_stamp`), so a file
  whose stat is the last run's is not read: an edit reads the files that changed, and those it must render
  again. Like git's "racy" index entries, a stat taken within two seconds of the file's mtime or ctime is not
  kept (a second write in the same tick of a coarse clock would keep it);
- ``keys``: for each file, what its key was made of that can change without its text changing (the served
  path each reference resolved to, the settings), so an unchanged file's key is found by comparing those
  rather than by rewriting each reference again.

Each run keeps only the entries it used, so the file stays the size of the app. The file records the
pipeline's fingerprint: results of other pipeline code are never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.assets.rewrite import Reference
from pipeline.core import jsonio
from pipeline.core.errors import PipelineError
from pipeline.core.fs import RACY_NS, stamp_of, write_if_changed
from pipeline.core.hashing import Fingerprint
from pipeline.core.inputs import read_text

# 4: texts hold [path, sha384 hex, size, mtime_ns, ctime_ns, inode] by a key that names the file;
# 5: sources and keys; a key digests the SHA-256 of the source's text, not the text
VERSION = 5
TABLES = ("refs", "texts", "memo", "sources", "keys")
now_ns = time.time_ns  # the clock the racy rule reads (tests set another)


def text_digest(text: str) -> str:
    """The SHA-256 (hex) a text is known by in the cache."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def digest(*parts: Any) -> str:
    """A key from JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, separators=(",", ":"), default=str).encode()).hexdigest()


class TextCache:
    def __init__(self, path: Path, fingerprint: str, out_dir: Path) -> None:
        self.path, self.fingerprint, self.out_dir = path, fingerprint, out_dir
        # this run's misses of ``refs``, hits of ``texts`` and sources read, for its span
        self.parsed = self.reused = self.read = 0
        self.old: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
        self.new: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
        self.loaded: dict[str, str] = {}  # the sources read in this run, by name
        try:
            data = jsonio.cache_loads(path.read_bytes())
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == VERSION and data.get("fingerprint") == fingerprint:
            self.old = {table: dict(data.get(table) or {}) for table in self.old}

    def source(self, name: str, path: Path) -> str:
        """The SHA-256 of the text of source ``name`` (at ``path``): from the last run while the file has the stat
        it had then, else read (and kept for :meth:`source_text`)."""
        try:
            stamp: list[int] | None = stamp_of(os.stat(path))
        except OSError:
            stamp = None
        entry = self.old["sources"].get(name)
        if stamp is not None and isinstance(entry, list) and entry[:-1] == stamp and isinstance(entry[-1], str):
            self.new["sources"][name] = entry
            return entry[-1]
        text = read_text(path)  # a missing or unreadable file: its one-line error
        sha = text_digest(text)
        self.loaded[name] = text
        self.read += 1
        # The ctime too: a tool that puts the mtime back (rsync -a, tar x) leaves the ctime of the write, and a
        # second write in the same tick of a coarse ctime clock would have this very stamp.
        if stamp is not None and now_ns() - max(stamp[0], stamp[1]) > RACY_NS:
            self.new["sources"][name] = [*stamp, sha]
        return sha

    def source_text(self, name: str, path: Path) -> str:
        """The text of source ``name``, read once per run; a file whose text no longer has the SHA-256
        :meth:`source` gave it was changed during the build (the run's work would mix two versions)."""
        text = self.loaded.get(name)
        if text is None:
            text = self.loaded[name] = read_text(path)
            self.read += 1
            recorded = self.new["sources"].get(name)
            if recorded is not None and text_digest(text) != recorded[-1]:
                self.forget_source(name)  # so that building again reads it
                raise PipelineError("changed while the build was reading it; build again", path=path)
        return text

    def forget_source(self, name: str) -> None:
        """Drop the last run's digest of source ``name`` from the file now, the rest as the last run left it
        (a failing step does not save this run's tables)."""
        self.old["sources"].pop(name, None)
        self.new["sources"].pop(name, None)
        self._write(self.old)

    def fast_key(self, name: str, parts: list[Any]) -> str | None:
        """The key the last run made for ``name`` from the same ``parts`` (see ``keys``), or None."""
        entry = self.old["keys"].get(name)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == parts:
            self.new["keys"][name] = entry
            return entry[1]
        return None

    def remember_key(self, name: str, parts: list[Any], key: str) -> None:
        self.new["keys"][name] = [parts, key]

    def references_of(self, key: str, load: Callable[[], str],
                      parse: Callable[[str], list[Reference]]) -> list[Reference]:
        """The references of the text whose SHA-256 is ``key`` (``load`` gives the text, read only to parse it)."""
        found = self.old["refs"].get(key)
        if found is None:  # parsed already in this run (the JS step asks again whether a module opens others)
            found = self.new["refs"].get(key)
        if found is None:
            found = [[r.url, r.start, r.end, r.line, r.kind] for r in parse(load())]
            self.parsed += 1
        self.new["refs"][key] = found
        return [Reference(*fields) for fields in found]

    def text(self, key: str) -> str | None:
        """The final text remembered under ``key``, if the file the last run wrote is still there as written."""
        entry = self.old["texts"].get(key)
        if entry is None:
            return None
        try:
            data = (self.out_dir / entry[0]).read_bytes()
            if hashlib.sha384(data).hexdigest() != entry[1]:
                return None
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        self.reused += 1
        self.new["texts"][key] = entry
        return text

    def written(self, key: str) -> tuple[str, Fingerprint] | None:
        """The served path and fingerprint of the final text remembered under ``key``, if the file the last
        run wrote is still in build/out, untouched: the same size, mtime, ctime and inode (one ``stat``, no read)."""
        entry = self.old["texts"].get(key)
        if entry is None:
            return None
        path, hex_digest, *stamp = entry
        try:
            stat = os.stat(os.path.join(self.out_dir, path))
        except OSError:
            return None
        if [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino] != stamp:
            return None
        self.reused += 1
        self.new["texts"][key] = entry
        return path, Fingerprint(bytes.fromhex(hex_digest), stamp[0])

    def remember_text(self, key: str, path: str, fp: Fingerprint) -> None:
        """Remember the file this run wrote (or found already written) at ``path`` in build/out."""
        try:
            stat = os.stat(os.path.join(self.out_dir, path))
        except OSError:
            return
        self.new["texts"][key] = [path, fp.hex, fp.size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        value = self.old["memo"].get(key)
        if value is None:
            value = compute()
        self.new["memo"][key] = value
        return value

    def recall(self, key: str) -> Any:
        """The last run's ``memo`` value under ``key`` (None if there is none); kept only if :meth:`keep` is
        called, unlike :meth:`memo`'s."""
        return self.old["memo"].get(key)

    def keep(self, key: str, value: Any) -> None:
        self.new["memo"][key] = value

    def save(self) -> None:
        self._write(self.new)

    def _write(self, tables: dict[str, dict[str, Any]]) -> None:
        body = {"version": VERSION, "fingerprint": self.fingerprint, **tables}
        write_if_changed(self.path, jsonio.cache_dumps(body))
