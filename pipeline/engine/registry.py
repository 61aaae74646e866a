"""The registry: every step, page transform and gate the addons (built-ins included) declare, and the doit
tasks wired from their roles. No step names another: ``file_dep``s come from the roles (see
:mod:`pipeline.engine.step`), the web folder is walked once and each file goes to the one step claiming it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.addons.manager import AddonConfigError, collect, guarded, order
from pipeline.config.context import Context
from pipeline.core.errors import ConfigError, display_path
from pipeline.engine.checks import sources_path, sources_unchanged, upstream_path, upstream_unchanged
from pipeline.engine.maps import map_path
from pipeline.engine.pages import PageTransform, Phase
from pipeline.engine.step import READS, Role, Step
from pipeline.engine.tasks import fingerprint, outputs_exist, run_gate, run_step, settings_changed
from pipeline.gates.protocol import Gate


class RegistryError(ConfigError):
    """Steps that cannot be wired (a name declared twice, two claims on one file, an impossible order)."""


@dataclass(frozen=True)
class Registry:
    steps: tuple[Step, ...]  # in wiring order: by role, then the addons' order (and after=)
    transforms: tuple[PageTransform, ...]  # in run order: by phase, then the addons' order (and after=)
    gates: tuple[Gate, ...]

    @classmethod
    def from_addons(cls, ctx: Context) -> Registry:
        steps = [replace(s, owner=owner) for owner, s in collect(ctx.addons, "vango_steps", ctx=ctx)]
        transforms = [replace(t, owner=owner) for owner, t in collect(ctx.addons, "vango_page_transforms", ctx=ctx)]
        gates = []
        for owner, gate in collect(ctx.addons, "vango_gates", ctx=ctx):
            gate.owner = owner
            gates.append(gate)
        return cls.of(steps, transforms, gates)

    @classmethod
    def of(cls, steps: list[Step], transforms: list[PageTransform] = (), gates: list[Gate] = ()) -> Registry:
        """Validate and order what was declared."""
        _unique([s.task_name for s in steps], [s.owner for s in steps], "step")
        _unique([t.name for t in transforms], [t.owner for t in transforms], "page transform")
        _unique([g.name for g in gates], [g.owner for g in gates], "gate")
        for role in (Role.INDEX, Role.PUBLISH):
            found = [s.name for s in steps if s.role is role]
            if len(found) != 1:
                raise RegistryError(f"exactly one {role.value} step is needed, found {len(found)}: {found}")
        by_name = {s.name: s for s in steps}
        for step in steps:
            for other in step.after:
                if other in by_name and by_name[other].role is not step.role:
                    raise RegistryError(f"step {step.name} ({step.role.value}) can only come after steps of its own "
                                        f"role; {other} is a {by_name[other].role.value} step (roles are wired by "
                                        "what they read)")
        ordered_steps: list[Step] = []
        for role in Role:
            same = [s for s in steps if s.role is role]
            ordered_steps += order(same, name=lambda s: s.task_name, after=lambda s: s.after, what="step")
        ordered_transforms: list[PageTransform] = []
        for phase in Phase:
            same = [t for t in transforms if t.phase is phase]
            ordered_transforms += order(same, after=lambda t: t.after, what=f"{phase.value} page transform")
        return cls(tuple(ordered_steps), tuple(ordered_transforms), tuple(gates))

    # ------------------------------------------------------------ wiring

    def content_steps(self) -> list[Step]:
        return [s for s in self.steps if s.role.is_content]

    def step(self, task_name: str) -> Step:
        return next(s for s in self.steps if s.task_name == task_name)

    def upstream(self, step: Step) -> list[Step]:
        """The steps whose outputs ``step`` reads (and depends on): those of the roles its role reads, and
        those of its own role it names in ``after``."""
        reads = READS[step.role]
        return [s for s in self.steps if s.task_name != step.task_name and
                (s.role in reads or (s.role is step.role and s.name in step.after))]

    def start_order(self, upstream: list[Step]) -> list[str]:
        """The tasks doit starts before a task, in order (it would otherwise follow a set's order, which
        changes from run to run; and it goes breadth first): the slow preparations of the upstream steps
        (``wasm:compile``) first, then the steps that have them, then the registry's order. So the compiler
        starts at once, and the encode step's head start on its large output overlaps everything else."""
        ordered = sorted(upstream, key=lambda s: (s.prepare is None, self.steps.index(s)))
        return [f"{s.name}:{p}" for s in ordered for p in s.prepares] + [s.task_name for s in ordered]

    def early_for(self, step: Step) -> tuple[Step, ...]:
        """The encode steps with a head start (``Step.early``) that see the files ``step`` writes."""
        if not step.role.is_content:
            return ()
        return tuple(s for s in self.steps if s.early is not None and step.role in READS[s.role])

    def claimed(self, ctx: Context) -> dict[str, list[str]]:
        """Web-folder files (paths as strings) by claiming step (one walk, or none while the folders are
        unchanged: :mod:`pipeline.engine.claimsmemo`); a file two steps claim is an error."""
        from pipeline.core.fs import WalkRecord
        from pipeline.engine import claimsmemo

        memo = ctx.build_dir / claimsmemo.NAME
        key = claimsmemo.memo_key(
            steps=[(s.task_name, s.owner, s.claims, s.claims_rest) for s in self.steps],
            publish=[ctx.config.publish.include, ctx.config.publish.exclude], web=ctx.web_dir,
            skip=[ctx.build_dir, ctx.dist_dir, ctx.cache_dir], pipeline=fingerprint(ctx))
        found = claimsmemo.recall(memo, key)
        if found is not None:
            claims, left_out = found
            ctx.logger.debug("the web folder's listing is unchanged: its claims are those of %s", memo,
                             extra={"event": "claims.remembered"})
            ctx.report_left_out(left_out)
            return claims
        record = WalkRecord()
        claims = self.claim_all(ctx.published_names(ctx.web_dir, record))
        claimsmemo.remember(memo, key, ctx.web_dir, claims, record)
        return claims

    def claim_all(self, files: list[tuple[str, str]]) -> dict[str, list[str]]:
        """Files (logical name, path) by claiming step; a file two steps claim is an error."""
        claims: dict[str, list[str]] = {s.task_name: [] for s in self.steps if s.claims or s.claims_rest}
        rest = [s for s in self.steps if s.claims_rest]
        if len(rest) > 1:
            raise RegistryError(f"only one step can take the unclaimed files: {', '.join(s.name for s in rest)}")
        claimers = [s for s in self.steps if s.claims]
        for name, path in files:
            owners = [s for s in claimers if s.claim(name)]
            if len(owners) > 1:
                raise RegistryError(f"{display_path(path)} is claimed by both the {owners[0].name} "
                                    f"({owners[0].owner}) and the {owners[1].name} ({owners[1].owner}) steps; "
                                    "narrow one of the claims")
            if owners:
                claims[owners[0].task_name].append(path)
            elif rest:
                claims[rest[0].task_name].append(path)
        return claims

    def target(self, ctx: Context, step: Step) -> Path:
        return step.target(ctx) if step.target is not None else map_path(ctx.maps_dir, step.name)

    def task(self, ctx: Context, step: Step, sources: list[str], prepared: list[str]) -> dict[str, Any]:
        upstream = self.upstream(step)
        target = self.target(ctx, step)
        debug = ctx.settings.debug
        inputs = list(guarded(step.owner, debug, step.inputs, ctx)) if step.inputs is not None else []
        # The claimed files are checked by one stamp of them all (sources_unchanged), not a file_dep each; a
        # cutoff step's upstream maps by the records it read of them (upstream_unchanged).
        maps = [self.target(ctx, s) for s in upstream]
        cutoff = step.cutoff and bool(upstream) and all(s.target is None for s in upstream)
        deps = [*inputs, *prepared, *([] if cutoff else maps)]
        settings = guarded(step.owner, debug, step.settings, ctx) if step.settings is not None else None
        task: dict[str, Any] = {
            "doc": step.doc,
            "actions": [(run_step, [ctx, step, tuple(sources), tuple((s.name, s.role.value) for s in upstream),
                                    self.early_for(step)])],
            "file_dep": sorted({os.fspath(p) for p in deps}),
            "task_dep": self.start_order(upstream),
            "targets": [str(target)],
            "uptodate": [settings_changed(ctx, settings)],
            "verbosity": 2,
        }
        if step.claims or step.claims_rest:  # one that claims nothing now is stale if it was built from some
            task["uptodate"].insert(0, sources_unchanged(sources_path(ctx.maps_dir, step.task_name), sources))
            task["meta"] = {"sources": list(sources)}  # what the dev server's watcher watches
        if cutoff:
            task["uptodate"].insert(0, upstream_unchanged(upstream_path(ctx.maps_dir, step.task_name),
                                                          [os.fspath(p) for p in maps]))
        if step.target is None:
            task["uptodate"].insert(0, outputs_exist(target, ctx.out_dir))
        if step.uptodate is not None:
            task["uptodate"].append(guarded(step.owner, debug, step.uptodate, ctx))
        if step.role is not Role.PUBLISH:
            task["clean"] = True
        return task

    def creators(self, ctx: Context) -> dict[str, Any]:
        """doit task generators by basename (all subtasks of one basename come from one generator)."""
        claims = self.claimed(ctx)
        groups: dict[str, list[Step]] = {}
        for step in self.steps:
            groups.setdefault(step.name, []).append(step)
        creators: dict[str, Any] = {}
        for basename, members in groups.items():
            creators[basename] = _group(self, ctx, members, claims)
        if self.gates:
            creators["gate"] = _gate_group(ctx, self.gates)
        return creators

    # ------------------------------------------------------------ docs

    def diagram(self) -> str:
        """The task graph by role, as the README and docs/tasks.md show it (a test keeps them in sync)."""
        rows = [("role", "tasks", "reads the outputs of")]
        for role in Role:
            names = []
            for s in self.steps:
                if s.role is role:
                    names += [f"{s.name}:{p}" for p in s.prepares] + [s.task_name]
            if names:
                reads = ", ".join(r.value for r in READS[role]) or "its sources only"
                rows.append((role.value, ", ".join(names), reads))
        width = [max(len(r[i]) for r in rows) for i in range(2)]
        return "\n".join(f"{a:<{width[0]}}  {b:<{width[1]}}  {c}".rstrip() for a, b, c in rows)


def _unique(names: list[str], owners: list[str], what: str) -> None:
    seen: dict[str, str] = {}
    for name, owner in zip(names, owners, strict=True):
        if name in seen:
            raise AddonConfigError(f"{what} '{name}' is declared by both {seen[name]} and {owner}")
        seen[name] = owner


def _group(registry: Registry, ctx: Context, members: list[Step], claims: dict[str, list[Path]]) -> Any:
    def creator() -> Iterator[dict[str, Any]] | dict[str, Any]:
        tasks: list[dict[str, Any]] = []
        for step in members:
            prepared: list[str] = []
            extras = guarded(step.owner, ctx.settings.debug, lambda s=step: list(s.prepare(ctx) if s.prepare else ()))
            for extra in extras:
                prepared.extend(extra.get("targets", []))
                tasks.append(extra)
            task = registry.task(ctx, step, claims.get(step.task_name, []), prepared)
            # Its preparations first, explicitly (doit would find them from the targets, but later).
            task["task_dep"][:0] = [f"{step.name}:{extra['name']}" for extra in extras if extra.get("name")]
            if step.subtask:
                task["name"] = step.subtask
            tasks.append(task)
        if len(tasks) == 1 and "name" not in tasks[0]:
            return tasks[0]
        return iter(tasks)

    creator.__doc__ = members[0].doc
    return creator


def _gate_group(ctx: Context, gates: tuple[Gate, ...]) -> Any:
    def creator() -> Iterator[dict[str, Any]]:
        for gate in gates:
            task: dict[str, Any] = {
                "name": gate.name,
                "doc": gate.doc,
                "actions": [(run_gate, [ctx, gate])],
                "params": guarded(gate.owner, ctx.settings.debug, gate.params),
                "uptodate": [False],
                "verbosity": 2,
            }
            if gate.after_release:
                task["task_dep"] = ["release"]
            yield task

    creator.__doc__ = "CI gates."
    return creator


def builtin_diagram() -> str:
    """The diagram of the built-in steps alone (what the docs show), without an app."""
    from pipeline.addons.manager import AddonSet, builtin_addons

    addons = AddonSet(Path("."), builtin_addons(), "")
    steps = [replace(s, owner=owner) for owner, s in collect(addons, "vango_steps", ctx=None)]
    return Registry.of(steps).diagram()
