"""The asset manifest's text, one entry a line, read back a block of lines at a time.

:func:`pipeline.assets.asset_manifest.dumps` writes each entry of ``assets`` and ``retained`` on a line of its
own. A manifest of 50,000 assets is 21 MB of that text and about 65 MB of dicts once decoded, and every build
compares the last one with the next (which entries changed, so which lines can be taken as they are) and
every publish reads the last release's (which hashed files it retains). Both read the text here, a thousand
lines at a time, so no run holds a second manifest decoded: only a chunk of it, and spans of its bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

PER_LINE = frozenset({"assets", "retained"})
CHUNK = 1000  # lines decoded at once: one C call each, a thousand small dicts alive at a time
_ESCAPED = re.compile(r'[\x00-\x1f"\\]')  # what json.dumps escapes in a string with ensure_ascii=False


def compact(value: Any) -> str:
    """One value as a manifest line holds it."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def head(name: str) -> str:
    """How the line of entry ``name`` starts."""
    return f'    "{name}": ' if not _ESCAPED.search(name) else f"    {compact(name)}: "


def line_offsets(data: bytes, key: str) -> list[int] | None:
    """Where each line of per-line block ``key`` starts in ``data``, then one past the block's last byte (so
    line ``i`` is ``data[o[i]:o[i + 1] - 1]``, its comma included); None when ``data`` has no such block."""
    opening = f"\n  {compact(key)}: {{\n".encode()  # a top-level key: a block's own lines are indented further
    start = data.find(opening)
    if start < 0:
        return None
    start += len(opening)
    end = data.find(b"\n  }", start)
    if end < 0:
        return None
    offsets = [start]
    newline = data.find(b"\n", start, end)
    while newline >= 0:
        offsets.append(newline + 1)
        newline = data.find(b"\n", newline + 1, end)
    offsets.append(end + 1)
    return offsets


def chunks(data: bytes, offsets: list[int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The entries of a block (:func:`line_offsets`), a chunk of lines decoded at a time: each chunk's first
    line and its entries in line order. Raises ``ValueError`` unless each chunk holds as many entries as lines,
    its first and last lines start with their entries' names, every line before the block's last ends with a
    comma, and the names are sorted and distinct: the shape ``dumps`` writes, whose lines, joined, are the
    block the whole document holds. (Every line's name is not checked: the callers' bytes are ones ``dumps``
    wrote, by their SHA-256 or by the publish record.)"""
    lines = len(offsets) - 1
    last = None
    for first in range(0, lines, CHUNK):
        stop = min(first + CHUNK, lines)
        text = data[offsets[first]:offsets[stop] - 1]
        if stop < lines:
            if not text.endswith(b","):
                raise ValueError("a line of the block does not end with a comma")
            text = text[:-1]
        entries = json.loads(b"{" + text + b"}")
        if not isinstance(entries, dict) or len(entries) != stop - first:
            raise ValueError("a line of the block is not one entry")
        names = list(entries)
        if (last is not None and names[0] <= last) or names != sorted(names):  # distinct: as many as lines
            raise ValueError("the block's entries are not in order")
        if not (data.startswith(head(names[0]).encode(), offsets[first])
                and data.startswith(head(names[-1]).encode(), offsets[stop - 1])):
            raise ValueError("the block's lines are not its entries")
        last = names[-1]
        yield first, entries


def entries(data: bytes, key: str) -> Iterator[tuple[str, Any]]:
    """Every entry of per-line block ``key`` of ``data``, decoded as they come: none when the document has no
    such key or it is empty; ``ValueError`` as :func:`chunks`, and when ``data`` is not laid out as ``dumps``
    lays a document out (indented, or on one line), which may well hold the key."""
    if not data.startswith(b"{\n  "):
        raise ValueError("not a manifest of one entry a line")
    offsets = line_offsets(data, key)
    if offsets is None:
        named = f"\n  {compact(key)}: ".encode()
        if named in data and named + b"{}" not in data:
            raise ValueError(f"the {key} block is not one entry a line")
        return
    for _, found in chunks(data, offsets):
        yield from found.items()


class Lent(NamedTuple):
    """What an earlier manifest's bytes lend the encoding of the next one: for each per-line block, its entries
    in order as runs, each either a span of ``data`` (lines taken as they are, the commas between them
    included) or the name of an entry to encode."""

    data: bytes
    blocks: dict[str, list[tuple[int, int] | str]]

    def changed(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """``manifest`` with only the entries of its per-line blocks that no line was lent for."""
        trimmed = dict(manifest)
        for key, runs in self.blocks.items():
            trimmed[key] = {name: manifest[key][name] for name in runs if isinstance(name, str)}
        return trimmed


def lend(manifest: Mapping[str, Any], data: bytes, *, written_from: Mapping[str, Any] | None = None) -> Lent:
    """The lines of ``data`` (bytes ``dumps`` wrote: the caller makes sure, since a line is lent by its name)
    that ``manifest``'s per-line blocks can take: a block that is ``written_from``'s own object (the document
    ``data`` was written from) as one span, when ``data`` holds as many lines for it between its first and
    last names; any other block, the lines whose entries decode equal to the new ones. A block of another shape
    lends nothing."""
    blocks: dict[str, list[tuple[int, int] | str]] = {}
    for key in sorted(PER_LINE & manifest.keys()):
        value = manifest[key]
        if not isinstance(value, Mapping) or not value:
            continue
        offsets = line_offsets(data, key)
        runs: list[tuple[int, int] | str] | None = None
        if offsets is not None and written_from is not None and written_from.get(key) is value:
            runs = _whole(data, offsets, value)
        if runs is None and offsets is not None:
            try:
                runs = _equal_lines(data, offsets, value)
            except (ValueError, UnicodeDecodeError):
                runs = None
        blocks[key] = runs if runs is not None else sorted(value)
    return Lent(data, blocks)


def _whole(data: bytes, offsets: list[int], value: Mapping[str, Any]) -> list[tuple[int, int] | str] | None:
    """The block as one span, when it has a line for each entry and begins and ends with the first and last."""
    if len(offsets) - 1 != len(value):
        return None
    first, last = min(value), max(value)
    if not (data.startswith(head(first).encode(), offsets[0]) and data.startswith(head(last).encode(), offsets[-2])):
        return None
    return [(offsets[0], offsets[-1] - 1)]


def _equal_lines(data: bytes, offsets: list[int], value: Mapping[str, Any]) -> list[tuple[int, int] | str]:
    """Merge the old block's lines with the new entries (both sorted): a line whose entry is equal is lent, and
    lines lent one after another become one span."""
    equal: dict[str, int] = {}  # name -> its line in the old block
    for first, found in chunks(data, offsets):
        for index, (name, entry) in enumerate(found.items(), first):
            if name in value and value[name] == entry:
                equal[name] = index
    runs: list[tuple[int, int] | str] = []
    span: list[int] | None = None  # [first line, last line] of the run being gathered
    for name in sorted(value):
        line = equal.get(name)
        if line is not None and span is not None and line == span[1] + 1:
            span[1] = line
            continue
        if span is not None:
            runs.append((offsets[span[0]], _line_end(data, offsets, span[1])))
            span = None
        if line is None:
            runs.append(name)
        else:
            span = [line, line]
    if span is not None:
        runs.append((offsets[span[0]], _line_end(data, offsets, span[1])))
    return runs


def _line_end(data: bytes, offsets: list[int], line: int) -> int:
    """Where line ``line``'s entry ends: before its comma, or at the block's end for the last line."""
    end = offsets[line + 1] - 1
    return end - 1 if data[end - 1:end] == b"," else end
