"""What a build step declares: its name, its role, the files it claims, its inputs, settings and outputs.

Steps never name each other. The registry wires them from their roles, in this order:

    asset, stylesheet, script, page-asset -> page -> aggregate -> server -> encode -> index -> publish

What a content step reads (and so depends on) is fixed by its role (:data:`READS`): a stylesheet may
reference assets (images, fonts), a script assets and stylesheets; page assets (the wasm chain, the PWA
files, the public folder, an addon's injected script) reference nothing built and are linked only from
pages; a page references all four; an aggregate (the service worker) sees every app file; a server step
(``_headers``) sees the aggregates' files too and is never precached. An encode step (precompression)
covers every content file, the index step (the asset manifest) every file and encoding, and the publish
step (release) swaps the result into dist/. ``after=`` makes a step also read a step of its own role.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.engine.maps import OutputFile, read_files, read_map

if TYPE_CHECKING:
    from pipeline.config.context import Context


class Ordered(Enum):
    """An enum whose declaration order is meaningful (roles, page-transform phases)."""

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)


class Role(Ordered):
    ASSET = "asset"
    STYLESHEET = "stylesheet"
    SCRIPT = "script"
    PAGE_ASSET = "page-asset"
    PAGE = "page"
    AGGREGATE = "aggregate"
    SERVER = "server"
    ENCODE = "encode"
    INDEX = "index"
    PUBLISH = "publish"

    @property
    def is_content(self) -> bool:
        """Content steps write files of dist/ and record them in their map."""
        return self.rank <= Role.SERVER.rank


CONTENT_ROLES = tuple(r for r in Role if r.is_content)
APP_ROLES = tuple(r for r in CONTENT_ROLES if r not in (Role.AGGREGATE, Role.SERVER))  # what the app itself is
READS: dict[Role, tuple[Role, ...]] = {
    Role.ASSET: (),
    Role.STYLESHEET: (Role.ASSET,),
    Role.SCRIPT: (Role.ASSET, Role.STYLESHEET),
    Role.PAGE_ASSET: (),
    Role.PAGE: (Role.ASSET, Role.STYLESHEET, Role.SCRIPT, Role.PAGE_ASSET),
    Role.AGGREGATE: APP_ROLES,
    Role.SERVER: (*APP_ROLES, Role.AGGREGATE),
    Role.ENCODE: CONTENT_ROLES,
    Role.INDEX: (*CONTENT_ROLES, Role.ENCODE),
    Role.PUBLISH: (Role.INDEX,),
}


@dataclass(frozen=True)
class StepResult:
    """What a step's build function returns: the files it wrote, and facts later steps may read."""

    files: tuple[OutputFile, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    written: tuple[Path, ...] = ()  # other files written (the index and publish steps write their own target)


@dataclass(frozen=True)
class Step:
    """A build step. ``build(run)`` is a module-level function (so it pickles for ``doit -n N``) taking a
    :class:`StepRun` and returning a :class:`StepResult` or an iterable of :class:`OutputFile`.

    - ``claims``: patterns for the web folder's files this step builds (``*.css`` matches a file name,
      ``css/*.css`` the path); ``claims_rest`` takes every file no other step claims (static files).
    - ``inputs(ctx)``: other files it reads (templates, the public folder, Go sources).
    - ``settings(ctx)``: the config values its output depends on; a change re-runs it.
    - ``config``: the config section it reads (for the docs); ``outputs``: fixed names it writes.
    - ``prepare(ctx)``: doit tasks (dicts with a ``name``) that must run first, as subtasks of the same
      basename; their targets become this step's inputs. ``subtask`` names the step's own task within it
      (``wasm:runtime``). ``target(ctx)``: the index and publish steps' own target file (others: their map).
    - ``uptodate(ctx)``: a further doit up-to-date check, for outputs doit cannot see change (dist/).
    - ``early(ctx, file)``: an encode step's head start: called for every file a content step writes, as soon
      as the file is final, so work that needs only its bytes (brotli of the wasm) overlaps the steps between.
    - ``cutoff``: the step reads the files before it only by name (``run.known()[name]``, ``name in
      run.known()``, ``.get(name)``), never by listing them or through ``run.facts``: it is then not run again
      when the upstream steps change files it did not name (a stylesheet edit leaves the modules alone). A
      run that lists them anyway is re-run on any upstream change, as without ``cutoff``. Every name the
      output depends on must be asked for on every run, in the step's own process (a result cached by the
      step must still ask its names again; the mapping cannot be sent to another process).
    """

    name: str
    role: Role
    doc: str
    build: Callable[[StepRun], StepResult | Iterable[OutputFile]]
    claims: tuple[str, ...] = ()
    claims_rest: bool = False
    inputs: Callable[[Context], Iterable[Path]] | None = None
    settings: Callable[[Context], Any] | None = None
    config: str | None = None
    outputs: tuple[str, ...] = ()
    prepare: Callable[[Context], Iterable[dict[str, Any]]] | None = None
    prepares: tuple[str, ...] = ()  # the names of the subtasks ``prepare`` yields (for the docs)
    subtask: str | None = None
    target: Callable[[Context], Path] | None = None  # the task's target when it is not the step's map
    after: tuple[str, ...] = ()
    uptodate: Callable[[Context], Callable[[], bool]] | None = None  # an extra doit up-to-date check
    early: Callable[[Context, OutputFile], None] | None = None  # encode steps: begin on a file once it is final
    cutoff: bool = False  # reads upstream files by name only: re-run only when those change (see above)
    owner: str = ""  # the addon that registered it (set by the registry)

    @property
    def task_name(self) -> str:
        return f"{self.name}:{self.subtask}" if self.subtask else self.name

    def claim(self, logical: str) -> bool:
        """Whether the step claims the file (case-insensitively; a pattern without ``/`` matches the name)."""
        lowered = logical.lower()
        paths, names = _claim_matchers(tuple(self.claims))  # an addon may pass a list
        return bool((paths is not None and paths.match(lowered))
                    or (names is not None and names.match(lowered.rsplit("/", 1)[-1])))


@lru_cache(maxsize=256)
def _claim_matchers(claims: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One compiled alternation for the patterns on paths and one for those on names: claims are asked of
    every file of the web folder for every claiming step, 30,000 questions in a 10,000-file app."""

    def combined(patterns: list[str]) -> re.Pattern[str] | None:
        return re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns)) if patterns else None

    return combined([p for p in claims if "/" in p]), combined([p for p in claims if "/" not in p])


class UpstreamReads:
    """What a run of a ``cutoff`` step read of the files before it: each name it asked for, with the record
    it found (None: none), or ``everything`` once it listed them or read a fact."""

    __slots__ = ("everything", "found")

    def __init__(self) -> None:
        self.everything = False
        self.found: dict[str, OutputFile | None] = {}


class NamedFiles(Mapping[str, OutputFile]):
    """:meth:`StepRun.known` for a ``cutoff`` step: the upstream files by logical name, noting each name asked
    for (a miss too: a file that appears later changes the step's output); iterating or measuring it counts as
    reading every file."""

    __slots__ = ("_files", "_reads")

    def __init__(self, files: dict[str, OutputFile], reads: UpstreamReads) -> None:
        self._files, self._reads = files, reads

    def __getitem__(self, name: str) -> OutputFile:
        self._reads.found[name] = self._files.get(name)
        return self._files[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        self._reads.found[name] = self._files.get(name)
        return name in self._files

    def get(self, name: str, default: Any = None) -> Any:
        self._reads.found[name] = self._files.get(name)
        return self._files.get(name, default)

    def __iter__(self) -> Any:
        self._reads.everything = True
        return iter(self._files)

    def __len__(self) -> int:
        self._reads.everything = True
        return len(self._files)

    def __reduce__(self) -> Any:
        raise TypeError("the upstream files of a cutoff step are read in its own process: what another reads of "
                        "them is not recorded (pass the records themselves)")


@dataclass(frozen=True)
class StepRun:
    """A step's view of the build while it runs: the context, the files it claimed, the steps before it."""

    ctx: Context
    step: Step
    sources: tuple[Path, ...]
    upstream: tuple[tuple[str, str], ...]  # (step name, role value) of the content steps it may read
    reads: UpstreamReads = field(default_factory=UpstreamReads)  # what a cutoff step read of them

    def upstream_steps(self, *roles: Role) -> list[str]:
        wanted = {r.value for r in roles} if roles else None
        return [name for name, role in self.upstream if wanted is None or role in wanted]

    def known(self, *roles: Role) -> Mapping[str, OutputFile]:
        """Files written by the steps before this one (of ``roles``, or all), by logical name (for a ``cutoff``
        step, a mapping that notes the names asked for)."""
        files = read_files(self.ctx.maps_dir, self.upstream_steps(*roles))
        return NamedFiles(files, self.reads) if self.step.cutoff else files

    def facts(self, key: str, *roles: Role) -> list[Any]:
        """The ``key`` fact of every upstream map that has one (e.g. the pages' ``csp``)."""
        self.reads.everything = True
        values = []
        for name in self.upstream_steps(*roles):
            value = read_map(self.ctx.maps_dir, name).get(key)
            if value is not None:
                values.append(value)
        return values
