"""pipeline.assets.linker: SCC ordering and content-derived names for files that reference each other."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assets import linker

HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{16})\.(?P<ext>[a-z]+)$")


def sha384_short(data: bytes) -> str:
    return hashlib.sha384(data).hexdigest()[:16]


def make_render(sources: Mapping[str, str], deps: Mapping[str, set[str]], calls: list[str] | None = None):
    """A CSS-like renderer: each file is its source followed by one @import line per dependency."""

    def render(name: str, names: Mapping[str, str]) -> str:
        if calls is not None:
            calls.append(name)
        lines = [f"@import '{names[d]}';" for d in sorted(deps.get(name, ()))]
        return "\n".join([*lines, sources[name]])

    return render


# --- components ---------------------------------------------------------------------------------------


def test_components_of_a_chain_come_dependencies_first() -> None:
    assert list(linker.components(["a", "b", "c"], {"a": {"b"}, "b": {"c"}})) == [["c"], ["b"], ["a"]]


def test_components_group_cycles_and_self_loops() -> None:
    deps = {"a": {"b"}, "b": {"a"}, "c": {"c"}, "d": {"a", "e"}}
    comps = list(linker.components(["a", "b", "c", "d", "e"], deps))
    assert sorted(map(tuple, comps)) == [("a", "b"), ("c",), ("d",), ("e",)]
    order = {n: i for i, comp in enumerate(comps) for n in comp}
    assert order["a"] < order["d"] and order["e"] < order["d"]


def test_components_ignore_dependencies_outside_nodes() -> None:
    assert list(linker.components(["a"], {"a": {"external", "missing"}})) == [["a"]]


def test_components_members_are_sorted() -> None:
    deps = {"z": {"m"}, "m": {"a"}, "a": {"z"}}
    assert list(linker.components(["z", "m", "a"], deps)) == [["a", "m", "z"]]


def test_components_handles_deep_chains_without_recursion_limits() -> None:
    n = 3000
    nodes = [f"n{i:05d}" for i in range(n)]
    deps = {nodes[i]: {nodes[i + 1]} for i in range(n - 1)}
    comps = list(linker.components(nodes, deps))
    assert [c[0] for c in comps] == list(reversed(nodes))


def reachable(start: str, deps: Mapping[str, set[str]], nodes: set[str]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for d in deps.get(node, ()):
            if d in nodes and d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


GRAPH = st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.tuples(
        st.just([f"f{i}" for i in range(n)]),
        st.lists(st.tuples(st.integers(0, n + 1), st.integers(0, n + 1)), max_size=3 * n),
    )
)


@settings(max_examples=200, deadline=None)
@given(GRAPH)
def test_components_are_exactly_the_strongly_connected_components_in_dependency_order(graph) -> None:
    nodes, edges = graph
    deps: dict[str, set[str]] = {}
    for a, b in edges:  # indexes past the end name files that are not nodes
        deps.setdefault(f"f{a}", set()).add(f"f{b}")
    node_set = set(nodes)
    comps = list(linker.components(nodes, deps))
    flat = [n for c in comps for n in c]
    assert sorted(flat) == sorted(nodes)  # every node exactly once
    position = {n: i for i, c in enumerate(comps) for n in c}
    reach = {n: reachable(n, deps, node_set) for n in nodes}
    for u in nodes:
        for v in nodes:
            same = (u == v) or (v in reach[u] and u in reach[v])
            assert (position[u] == position[v]) == same
        for v in deps.get(u, ()):
            if v in node_set:
                assert position[v] <= position[u]  # dependencies first
    assert all(c == sorted(c) for c in comps)


# --- link: acyclic ------------------------------------------------------------------------------------


def test_acyclic_chain_names_come_from_final_bytes_and_embed_dependency_names() -> None:
    sources = {"css/a.css": "a{}", "css/b.css": "b{}", "css/c.css": "c{}"}
    deps = {"css/a.css": {"css/b.css"}, "css/b.css": {"css/c.css"}}
    out = linker.link(sources, deps, make_render(sources, deps))
    assert set(out) == set(sources)
    for logical, item in out.items():
        assert item.logical == logical
        assert item.path == f"{logical[:-4]}.{sha384_short(item.data)}.css"
        assert item.fingerprint.digest == hashlib.sha384(item.data).digest()
        assert item.fingerprint.size == len(item.data)
    assert out["css/c.css"].data == b"c{}"
    assert out["css/b.css"].data == f"@import '{out['css/c.css'].path}';\nb{{}}".encode()
    assert out["css/a.css"].data == f"@import '{out['css/b.css'].path}';\na{{}}".encode()


def test_acyclic_change_propagates_to_dependents_only() -> None:
    sources = {"a.js": "A", "b.js": "B", "c.js": "C", "other.js": "O"}
    deps = {"a.js": {"b.js"}, "b.js": {"c.js"}}
    first = linker.link(sources, deps, make_render(sources, deps))
    changed = linker.link({**sources, "c.js": "C2"}, deps, make_render({**sources, "c.js": "C2"}, deps))
    for name in ("a.js", "b.js", "c.js"):
        assert first[name].path != changed[name].path
    assert first["other.js"].path == changed["other.js"].path


def test_diamond_each_node_rendered_once_after_its_dependencies() -> None:
    sources = {"top": "t", "left": "l", "right": "r", "bottom": "b"}
    deps = {"top": {"left", "right"}, "left": {"bottom"}, "right": {"bottom"}}
    calls: list[str] = []
    out = linker.link(sources, deps, make_render(sources, deps, calls))
    assert sorted(calls) == sorted(sources)
    assert calls[0] == "bottom" and calls[-1] == "top"
    assert out["top"].data.decode().count(out["bottom"].path) == 0  # only direct deps are embedded
    assert out["left"].path in out["top"].data.decode() and out["right"].path in out["top"].data.decode()


def test_extensionless_and_dotfile_names() -> None:
    sources = {"LICENSE": "x", "dir/.hidden": "y"}
    out = linker.link(sources, {}, make_render(sources, {}))
    assert out["LICENSE"].path == f"LICENSE.{sha384_short(b'x')}"
    assert out["dir/.hidden"].path == f"dir/.hidden.{sha384_short(b'y')}"


# --- link: cycles -------------------------------------------------------------------------------------

CYCLE_SOURCES = {"a.css": "a{}", "b.css": "b{}", "c.css": "c{}", "lib.css": "lib{}"}
CYCLE_DEPS = {"a.css": {"b.css", "lib.css"}, "b.css": {"c.css"}, "c.css": {"a.css"}}


def link_cycle(sources: Mapping[str, str] = CYCLE_SOURCES, deps=CYCLE_DEPS):
    return linker.link(sources, deps, make_render(sources, deps))


def test_cycle_terminates_and_every_member_gets_a_hashed_name() -> None:
    calls: list[str] = []
    out = linker.link(CYCLE_SOURCES, CYCLE_DEPS, make_render(CYCLE_SOURCES, CYCLE_DEPS, calls))
    assert set(out) == set(CYCLE_SOURCES)
    assert len(calls) <= 2 * len(CYCLE_SOURCES)  # at most one provisional and one final render each
    for logical, item in out.items():
        match = HASHED.match(item.path)
        assert match and match["stem"] + "." + match["ext"] == logical
        # SRI/fingerprint always use the final bytes, even for cycle members
        assert item.fingerprint.digest == hashlib.sha384(item.data).digest()
    assert len({item.path for item in out.values()}) == len(out)


def test_cycle_members_reference_each_others_final_names() -> None:
    out = link_cycle()
    for name, targets in CYCLE_DEPS.items():
        text = out[name].data.decode()
        for target in targets:
            assert f"@import '{out[target].path}';" in text


def test_cycle_names_are_stable() -> None:
    first, second = link_cycle(), link_cycle()
    assert {k: (v.path, v.data) for k, v in first.items()} == {k: (v.path, v.data) for k, v in second.items()}


@pytest.mark.parametrize("member", ["a.css", "b.css", "c.css"])
def test_cycle_names_change_when_any_member_changes(member: str) -> None:
    before = link_cycle()
    sources = {**CYCLE_SOURCES, member: CYCLE_SOURCES[member] + "/* edited */"}
    after = link_cycle(sources)
    for name in ("a.css", "b.css", "c.css"):
        assert after[name].path != before[name].path, name
    assert after["lib.css"].path == before["lib.css"].path


def test_cycle_names_change_when_a_dependency_outside_the_cycle_changes() -> None:
    before = link_cycle()
    after = link_cycle({**CYCLE_SOURCES, "lib.css": "lib{color:red}"})
    for name in ("a.css", "b.css", "c.css"):
        assert after[name].path != before[name].path


def test_self_import_is_a_cycle() -> None:
    sources = {"a.js": "A"}
    deps = {"a.js": {"a.js"}}
    out = linker.link(sources, deps, make_render(sources, deps))
    item = out["a.js"]
    assert HASHED.match(item.path)
    assert item.data == f"@import '{item.path}';\nA".encode()
    edited = linker.link({"a.js": "B"}, deps, make_render({"a.js": "B"}, deps))
    assert edited["a.js"].path != item.path


def test_what_a_cycle_member_s_name_hash_covers_is_exactly_what_the_docs_say() -> None:
    """docs/tasks.md: sha384 of "<group hash>:<logical>", the group hash over every member's logical path and
    provisional text (in-cycle imports still logical); not the hash of the member's own final bytes."""
    out = link_cycle()
    render = make_render(CYCLE_SOURCES, CYCLE_DEPS)
    group = sorted(n for n in CYCLE_SOURCES if n != "lib.css")
    names = {"lib.css": out["lib.css"].path, **{n: n for n in group}}
    group_hash = hashlib.sha384(b"\0".join(n.encode() + b"\0" + render(n, names).encode() for n in group)).hexdigest()
    for member in group:
        expected = sha384_short(f"{group_hash}:{member}".encode())
        assert HASHED.match(out[member].path)["hash"] == expected != sha384_short(out[member].data)


def test_first_cycle_names_a_path_back_to_its_start() -> None:
    assert linker.first_cycle(CYCLE_SOURCES, CYCLE_DEPS)[0] == linker.first_cycle(CYCLE_SOURCES, CYCLE_DEPS)[-1]
    assert linker.first_cycle(["x"], {"x": {"x"}}) == ["x", "x"]
    assert linker.first_cycle(["x", "y"], {"x": {"y"}}) is None
