"""The registry wires steps from their roles: edges, claims, ordering and the errors for what cannot be wired."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.addons.manager import AddonConfigError
from pipeline.engine.pages import PageTransform, Phase
from pipeline.engine.registry import Registry, RegistryError
from pipeline.engine.step import READS, Role, Step


def noop(run):  # a module-level build function, as steps need
    return []


def step(name: str, role: Role, **extra) -> Step:
    return Step(name, role, f"the {name} step", noop, owner=extra.pop("owner", "test"), **extra)


def base_steps() -> list[Step]:
    return [step("static", Role.ASSET, claims_rest=True), step("css", Role.STYLESHEET, claims=("*.css",)),
            step("js", Role.SCRIPT, claims=("*.js", "*.mjs")), step("wasm", Role.PAGE_ASSET),
            step("pages", Role.PAGE, claims=("*.html",)), step("sw", Role.AGGREGATE),
            step("deploy", Role.SERVER), step("compress", Role.ENCODE), step("manifest", Role.INDEX),
            step("release", Role.PUBLISH)]


def upstream(registry: Registry, name: str) -> set[str]:
    return {s.name for s in registry.upstream(registry.step(name))}


def test_edges_come_from_the_roles():
    registry = Registry.of(base_steps())
    assert upstream(registry, "static") == set() and upstream(registry, "wasm") == set()
    assert upstream(registry, "css") == {"static"}
    assert upstream(registry, "js") == {"static", "css"}
    assert upstream(registry, "pages") == {"static", "css", "js", "wasm"}
    assert upstream(registry, "sw") == {"static", "css", "js", "wasm", "pages"}
    assert upstream(registry, "deploy") == {"static", "css", "js", "wasm", "pages", "sw"}
    assert upstream(registry, "compress") == upstream(registry, "deploy") | {"deploy"}
    assert upstream(registry, "manifest") == upstream(registry, "compress") | {"compress"}
    assert upstream(registry, "release") == {"manifest"}


def test_a_new_step_joins_by_role_without_touching_others():
    """An addon's page asset is read by pages and the aggregates, not by stylesheets; a second aggregate does
    not make a cycle (aggregates never read each other)."""
    registry = Registry.of([*base_steps(), step("banner", Role.PAGE_ASSET), step("report", Role.AGGREGATE)])
    assert "banner" in upstream(registry, "pages") and "banner" in upstream(registry, "sw")
    assert "banner" not in upstream(registry, "css")
    assert "report" not in upstream(registry, "sw") and "sw" not in upstream(registry, "report")
    assert {"report", "sw"} <= upstream(registry, "deploy")


def test_after_orders_steps_of_one_role_and_adds_the_edge():
    registry = Registry.of([*base_steps(), step("b", Role.ASSET, after=("a",)), step("a", Role.ASSET)])
    names = [s.name for s in registry.steps]
    assert names.index("a") < names.index("b")
    assert "a" in upstream(registry, "b") and "b" not in upstream(registry, "a")


def test_a_cycle_is_reported_with_its_members():
    steps = [*base_steps(), step("a", Role.ASSET, after=("b",)), step("b", Role.ASSET, after=("a",))]
    with pytest.raises(AddonConfigError, match=r"step order has a cycle: a after b after a"):
        Registry.of(steps)


def test_after_a_step_of_another_role_is_refused():
    with pytest.raises(RegistryError, match="can only come after steps of its own role; pages is a page step"):
        Registry.of([*base_steps(), step("early", Role.ASSET, after=("pages",))])


def test_a_transform_cycle_is_reported():
    transforms = [PageTransform("x", Phase.INJECT, noop, after=("y",)),
                  PageTransform("y", Phase.INJECT, noop, after=("x",))]
    with pytest.raises(AddonConfigError, match="inject page transform order has a cycle"):
        Registry.of(base_steps(), transforms)


def test_transforms_run_by_phase_then_after():
    transforms = [PageTransform("csp", Phase.POLICY, noop), PageTransform("late", Phase.INJECT, noop, after=("early",)),
                  PageTransform("sri", Phase.PROTECT, noop), PageTransform("early", Phase.INJECT, noop),
                  PageTransform("urls", Phase.REWRITE, noop)]
    order = [t.name for t in Registry.of(base_steps(), transforms).transforms]
    assert order == ["urls", "early", "late", "sri", "csp"]


def test_names_must_be_unique_and_index_and_publish_single():
    with pytest.raises(AddonConfigError, match="step 'css' is declared by both test and other"):
        Registry.of([*base_steps(), step("css", Role.STYLESHEET, owner="other")])
    without_index = [s for s in base_steps() if s.role is not Role.INDEX]
    with pytest.raises(RegistryError, match="exactly one index step"):
        Registry.of(without_index)


def write(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")


def listing(folder: Path) -> list[tuple[str, str]]:
    """The web folder's files as the registry claims them (logical name, path)."""
    from pipeline.core.fs import walk_names

    return walk_names(folder)


def test_claims_walk_the_web_folder_once_and_rest_goes_to_the_fallback(tmp_path: Path):
    write(tmp_path, "index.html", "css/app.css", "js/app.mjs", "img/logo.svg", "CSS/UPPER.CSS")
    claims = Registry.of(base_steps()).claim_all(listing(tmp_path))
    shown = {name: sorted(Path(p).relative_to(tmp_path).as_posix() for p in paths) for name, paths in claims.items()}
    assert shown == {"static": ["img/logo.svg"], "css": ["CSS/UPPER.CSS", "css/app.css"], "js": ["js/app.mjs"],
                     "pages": ["index.html"]}


def test_two_steps_claiming_one_file_is_reported(tmp_path: Path):
    write(tmp_path, "css/app.css", "index.html")
    registry = Registry.of([*base_steps(), step("tailwind", Role.STYLESHEET, claims=("css/*.css",), owner="tw")])
    with pytest.raises(RegistryError, match=r"css/app.css is claimed by both the css \(test\) and the tailwind "
                                            r"\(tw\) steps"):
        registry.claim_all(listing(tmp_path))


def test_every_role_reads_only_earlier_roles():
    for role, reads in READS.items():
        assert all(r.rank < role.rank for r in reads), role


def test_the_task_graph_in_the_docs_is_the_registry_s():
    """README.md and docs/tasks.md show the diagram the registry draws (a drift fails here)."""
    from pipeline.addons.manager import builtin_addons, collect, plugin_manager  # noqa: F401
    from pipeline.engine.registry import builtin_diagram

    diagram = builtin_diagram()
    root = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/tasks.md"):
        assert diagram in (root / doc).read_text(encoding="utf-8"), f"{doc} shows an outdated task graph:\n{diagram}"


def prepare_nothing(ctx):  # a module-level prepare, as steps need
    return []


def test_slow_preparations_start_first_then_the_registry_order():
    """doit goes breadth first through an explicit task_dep: the wasm's compiler (a preparation) comes
    first, so the encode step's head start on the wasm overlaps every other step; the rest keep the
    registry's order, the same in every run (a set's order would not be)."""
    steps = [s if s.name != "wasm" else step("wasm", Role.PAGE_ASSET, prepare=prepare_nothing,
                                              prepares=("compile",), subtask="runtime") for s in base_steps()]
    registry = Registry.of(steps)
    order = registry.start_order(registry.upstream(registry.step("compress")))
    assert order == ["wasm:compile", "wasm:runtime", "static", "css", "js", "pages", "sw", "deploy"]
    assert registry.start_order(registry.upstream(registry.step("css"))) == ["static"]


def test_only_content_steps_give_the_encode_steps_a_head_start():
    steps = [s if s.name != "compress" else step("compress", Role.ENCODE, early=noop) for s in base_steps()]
    registry = Registry.of(steps)
    assert [s.name for s in registry.early_for(registry.step("pages"))] == ["compress"]
    assert registry.early_for(registry.step("manifest")) == ()


def test_claims_match_like_shell_globs_case_insensitively_whatever_sequence_holds_them():
    listed = step("tw", Role.STYLESHEET, claims=["styles/*.CSS", "*.pcss", "x[!0-9].css"])  # an addon's list
    assert listed.claim("styles/deep/a.css") and listed.claim("STYLES/b.css")  # `*` crosses folders
    assert listed.claim("any/where/theme.PCSS")  # no `/`: the file's name, in any folder
    assert listed.claim("xa.css") and not listed.claim("x1.css") and not listed.claim("other/a.css")
