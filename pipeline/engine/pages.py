"""Page transforms: what happens to every HTML page, in four ordered phases.

    rewrite -> inject -> protect -> policy

``rewrite`` points references at hashed names; ``inject`` adds elements (the wasm loader, PWA links, an
addon's script); ``protect`` adds Subresource Integrity to whatever scripts and stylesheets the page now
has; ``policy`` derives the Content-Security-Policy from the result. Whatever an addon injects therefore
gets integrity and CSP coverage with no code of its own. Within a phase, transforms run in the addons'
order, adjusted by ``after=`` (names of other transforms).
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


@dataclass
class PageSet:
    """All pages of a page step while their transforms run, and what they may link to."""

    run: StepRun
    trees: dict[str, etree._ElementTree]  # logical name -> parsed page
    sources: dict[str, Path]  # logical name -> source file (for error messages)
    known: dict[str, OutputFile]  # every file built before the pages, by logical name
    facts: dict[str, Any] = field(default_factory=dict)  # recorded in the step's map (e.g. ``csp``)
    allowed: dict[str, list[str]] = field(default_factory=dict)  # CSP sources transforms ask for (``allow``)

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

    def url(self, logical: str) -> str:
        """The served URL of a file built before the pages (``base`` + hashed path)."""
        return self.ctx.config.base + self.known[logical].path

    def files_of(self, *roles: Role) -> dict[str, OutputFile]:
        return self.run.known(*roles)
