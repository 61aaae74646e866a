"""Content-hashed names for text assets that reference each other (CSS ``@import``, JS imports).

A file's name depends on its final bytes, which contain the names of what it references, so files
are emitted dependencies first. Files in an import cycle cannot contain hashes of each other's final
bytes; their names come from a hash over the whole cycle's sources instead (still content-derived,
still changing whenever any byte of the cycle changes). SRI values always use the final bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from pipeline.core.hashing import Fingerprint, fingerprint, hashed_name

# render(logical, names) -> final text, where names maps already-named sibling assets to served paths
Render = Callable[[str, Mapping[str, str]], str]


@dataclass(frozen=True)
class Linked:
    logical: str
    path: str
    data: bytes | None  # None: a file the last run wrote, reused as it is (see ``link``'s ``reuse``)
    fingerprint: Fingerprint


# reuse(logical, names) -> the file the last run made from the same inputs, or None to render it
Reuse = Callable[[str, Mapping[str, str]], Linked | None]


def components(nodes: Collection[str], deps: Mapping[str, Collection[str]]) -> Iterator[list[str]]:
    """Strongly connected components (Tarjan), each yielded after every component it depends on."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(d for d in deps.get(root, ()) if d in nodes)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(d for d in deps.get(child, ()) if d in nodes))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield sorted(component)


def first_cycle(nodes: Collection[str], deps: Mapping[str, Collection[str]]) -> list[str] | None:
    """One import cycle, as the path ``[a, b, …, a]``, or None when there is none (for stylesheets, where a
    cycle is an error; JS module cycles are legal and get a cycle-wide hash)."""
    for group in components(nodes, deps):
        start = group[0]
        if len(group) == 1 and start not in deps.get(start, ()):
            continue
        members = set(group)
        # Every member of a strongly connected component reaches every other: a search from the first
        # member finds the way back to it.
        came_from: dict[str, str] = {}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for child in sorted(d for d in deps.get(node, ()) if d in members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if child not in came_from:
                    came_from[child] = node
                    queue.append(child)
    return None


def link(nodes: Collection[str], deps: Mapping[str, Collection[str]], render: Render,
         reuse: Reuse | None = None) -> dict[str, Linked]:
    """Render and name every node, dependencies first; a node outside a cycle that ``reuse`` knows (its
    source and the names it references are those of a file already written) is neither rendered nor hashed."""
    names: dict[str, str] = {}
    linked: dict[str, Linked] = {}
    for group in components(nodes, deps):
        cyclic = len(group) > 1 or group[0] in deps.get(group[0], ())
        if cyclic:
            # Placeholders: in-cycle references keep their logical names while the group hash is taken.
            provisional = {**names, **{n: n for n in group}}
            group_hash = fingerprint(b"\0".join(n.encode() + b"\0" + render(n, provisional).encode() for n in group))
            for n in group:
                names[n] = hashed_name(n, fingerprint(f"{group_hash.hex}:{n}".encode()).short)
        for n in group:
            found = reuse(n, names) if reuse is not None and not cyclic else None
            if found is not None:
                names[n] = found.path
                linked[n] = found
                continue
            data = render(n, names).encode("utf-8")
            fp = fingerprint(data)
            if not cyclic:
                names[n] = hashed_name(n, fp.short)
            linked[n] = Linked(n, names[n], data, fp)
    return linked
