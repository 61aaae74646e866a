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
  :mod:`pipeline.steps.pagememo`).

Each run keeps only the entries it used, so the file stays the size of the app. The file records the
pipeline's fingerprint: results of other pipeline code are never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.assets.rewrite import Reference
from pipeline.core.fs import write_if_changed
from pipeline.core.hashing import Fingerprint

VERSION = 4  # 4: texts hold [path, sha384 hex, size, mtime_ns, ctime_ns, inode] by a key that names the file


def digest(*parts: Any) -> str:
    """A key from JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, separators=(",", ":"), default=str).encode()).hexdigest()


class TextCache:
    def __init__(self, path: Path, fingerprint: str, out_dir: Path) -> None:
        self.path, self.fingerprint, self.out_dir = path, fingerprint, out_dir
        self.parsed = self.reused = 0  # this run's misses of ``refs`` and hits of ``texts``, for its span
        self.old: dict[str, dict[str, Any]] = {"refs": {}, "texts": {}, "memo": {}}
        self.new: dict[str, dict[str, Any]] = {"refs": {}, "texts": {}, "memo": {}}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == VERSION and data.get("fingerprint") == fingerprint:
            self.old = {table: dict(data.get(table) or {}) for table in self.old}

    def references(self, text: str, parse: Callable[[str], list[Reference]]) -> list[Reference]:
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        found = self.old["refs"].get(key)
        if found is None:  # parsed already in this run (the JS step asks again whether a module opens others)
            found = self.new["refs"].get(key)
        if found is None:
            found = [[r.url, r.start, r.end, r.line, r.kind] for r in parse(text)]
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
        body = {"version": VERSION, "fingerprint": self.fingerprint, **self.new}
        write_if_changed(self.path, json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
