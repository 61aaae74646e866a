"""Page transforms: what happens to every HTML page, in four ordered phases.

    rewrite -> inject -> protect -> policy

``rewrite`` points references at hashed names; ``inject`` adds elements (the wasm loader, PWA links, an
addon's script); ``protect`` adds Subresource Integrity to whatever scripts and stylesheets the page now
has; ``policy`` derives the Content-Security-Policy from the result. Whatever an addon injects therefore
gets integrity and CSP coverage with no code of its own. Within a phase, transforms run in the addons'
order, adjusted by ``after=`` (names of other transforms).

A transform marked ``tracked`` reads other files only through the page-named lookups of :class:`PageSet`
(``record``, ``served``, ``is_page``, ``source_text``, ``module``, ``all_modules``, ``url``), and leaves in
``notes`` what a transform needs of the pages it does not see. When every transform is tracked, a page whose
source and reads are unchanged is taken from the last run as it was (:mod:`pipeline.steps.pagememo`):
``trees`` then holds only the pages transformed in this run, ``settled`` the notes of the others, and
``cross`` what each transform derived from all pages together (a page taken from the last run that saw
other values makes the step transform every page again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.engine.maps import OutputFile
from pipeline.engine.step import Ordered, Role, StepRun

if TYPE_CHECKING:
    from lxml import etree


class Phase(Ordered):
    REWRITE = "rewrite"
    INJECT = "inject"
    PROTECT = "protect"
    POLICY = "policy"


@dataclass(frozen=True)
class PageTransform:
    """``apply(pages)`` edits the parsed pages of one page step in place; a module-level function."""

    name: str
    phase: Phase
    apply: Callable[[PageSet], None]
    after: tuple[str, ...] = ()
    doc: str = ""
    owner: str = ""
    tracked: bool = False  # reads only through PageSet's page-named lookups (see the module's docstring)


@dataclass
class PageSet:
    """All pages of a page step while their transforms run, and what they may link to."""

    run: StepRun
    trees: dict[str, etree._ElementTree]  # logical name -> parsed page (the pages transformed in this run)
    sources: dict[str, Path]  # logical name -> source file, of every page (for error messages)
    known: dict[str, OutputFile]  # every file built before the pages, by logical name
    facts: dict[str, Any] = field(default_factory=dict)  # recorded in the step's map (e.g. ``csp``)
    allowed: dict[str, list[str]] = field(default_factory=dict)  # CSP sources transforms ask for (``allow``)
    settled: dict[str, dict[str, Any]] = field(default_factory=dict)  # pages taken as they were -> their notes
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)  # transformed page -> what others need of it
    cross: dict[str, Any] = field(default_factory=dict)  # what transforms derived from every page (JSON-able)
    reads: dict[str, dict[str, Any]] = field(default_factory=dict)  # transformed page -> read key -> value
    shared: dict[str, Any] = field(default_factory=dict)  # reads of ``url``: every transformed page's
    _lookups: dict[str, Any] = field(default_factory=dict, repr=False)  # indexes built once per run

    def allow(self, directive: str, *sources: str) -> None:
        """Add sources to a Content-Security-Policy directive (``connect-src``, an origin an injected script
        talks to); the policy phase merges them into the page's policy."""
        listed = self.allowed.setdefault(directive, [])
        listed.extend(s for s in sources if s not in listed)

    def allow_all(self, sources: dict[str, list[str]]) -> None:
        for directive, listed in sources.items():
            self.allow(directive, *listed)

    @property
    def ctx(self) -> Any:
        return self.run.ctx

    def url(self, logical: str, *, page: str | None = None) -> str:
        """The served URL of a file built before the pages (``base`` + hashed path), for ``page`` (a read of
        that page), or, without one, for any page (a read of every page transformed)."""
        if page is None:
            self.shared[read_key("record", logical)] = self.current("record", logical)
        else:
            self._read(page, "record", logical)
        return self.ctx.config.base + self.known[logical].path

    def files_of(self, *roles: Role) -> dict[str, OutputFile]:
        return self.run.known(*roles)

    def note(self, page: str, key: str, value: Any) -> None:
        """What a transform needs of ``page`` when it runs on other pages only (JSON-able)."""
        self.notes.setdefault(page, {})[key] = value

    def notes_of(self, page: str) -> dict[str, Any]:
        return self.settled[page] if page in self.settled else self.notes.get(page, {})

    # The page-named lookups: each notes what it read for ``page``, as a value ``current`` gives again.

    def record(self, page: str, logical: str) -> OutputFile | None:
        """The file built before the pages under ``logical``, or None."""
        self._read(page, "record", logical)
        return self.known.get(logical)

    def served(self, page: str, path: str) -> OutputFile | None:
        """The file built before the pages that is served at ``path`` (a hashed name), or None."""
        self._read(page, "served", path)
        return self._index("served")[0].get(path)

    def is_page(self, page: str, logical: str) -> bool:
        self._read(page, "page", logical)
        return logical in self.sources

    def source_text(self, page: str, logical: str) -> str | None:
        """The text of the web folder's file ``logical`` (a script's source), or None when there is none."""
        self._read(page, "source", logical)  # the stamp first: a change after it is seen by the next run
        texts = self._lookups.setdefault("texts", {})
        if logical not in texts:
            path = self.ctx.web_dir / logical
            texts[logical] = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        return texts[logical]

    def module(self, page: str, path: str) -> tuple[OutputFile, list[str], bool] | None:
        """The JS module served at ``path``: its file, the served paths it imports and whether it may load
        others too (a bare specifier, a computed ``import()``, or a step that lists no imports); None if no
        module is served there."""
        self._read(page, "module", path)
        records, imports, unknown = self._index("modules")
        if path not in records:
            return None
        return records[path], imports.get(path, []), path in unknown

    def all_modules(self, page: str) -> dict[str, OutputFile]:
        """Every JS module by served path (a page that may load any of them)."""
        self._read(page, "modules", "")
        return self._index("modules")[0]

    def current(self, kind: str, argument: str) -> Any:
        """The value a lookup of ``kind`` reads for ``argument`` now (what a page's last reads are checked
        against). A file is told by the first 128 bits of its SHA-384 (:data:`SEEN_HEX`): the page memo
        keeps every read of every page, and the whole digests were two thirds of it."""
        if kind == "record":
            record = self.known.get(argument)
            return [record.path, record.hash[:SEEN_HEX]] if record else None
        if kind == "served":
            record = self._index("served")[0].get(argument)
            return [record.logical, record.hash[:SEEN_HEX]] if record else None
        if kind == "page":
            return argument in self.sources
        if kind == "source":
            return source_stamp(self.ctx.web_dir / argument)
        records, imports, unknown = self._index("modules")
        if kind == "module":
            record = records.get(argument)
            return [record.hash[:SEEN_HEX], imports.get(argument, []), argument in unknown] if record else None
        if kind == "modules":
            return self._index("digest")
        raise ValueError(f"no page lookup {kind!r}")

    def _read(self, page: str, kind: str, argument: str) -> None:
        self.reads.setdefault(page, {})[read_key(kind, argument)] = self.current(kind, argument)

    def _index(self, name: str) -> Any:
        if name not in self._lookups:
            if name == "served":
                self._lookups[name] = ({r.path: r for r in self.known.values()},)
            elif name == "modules":
                records = {r.path: r for r in self.files_of(Role.SCRIPT).values()}
                imports: dict[str, list[str]] = {}
                for listed in self.run.facts("imports", Role.SCRIPT):
                    imports.update(listed)
                unknown = {path for listed in self.run.facts("open", Role.SCRIPT) for path in listed}
                self._lookups[name] = (records, imports, unknown | (set(records) - set(imports)))
            else:  # "digest": every module's lookup at once
                import hashlib
                import json

                records = self._index("modules")[0]
                everything = [[p, self.current("module", p)] for p in sorted(records)]
                self._lookups[name] = hashlib.sha256(json.dumps(everything).encode()).hexdigest()
        return self._lookups[name]


SEEN_HEX = 32  # hex characters of a file's SHA-384 a page's read keeps: 128 bits, as unlikely to collide


def read_key(kind: str, argument: str) -> str:
    return f"{kind}\0{argument}"


def source_stamp(path: Path) -> list[int] | None:
    """The file's :func:`~pipeline.core.fs.stat_stamp`, or None for no file."""
    from pipeline.core.fs import stat_stamp

    try:
        return stat_stamp(path)
    except OSError:
        return None
