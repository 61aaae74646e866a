"""pipeline.assets.rewrite.splice: applying non-overlapping edits to the original text."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.assets.rewrite import Reference, splice


def test_splice_applies_edits_in_offset_order_regardless_of_input_order() -> None:
    assert splice("0123456789", [(7, 9, "X"), (1, 3, "ab")]) == "0ab3456X9"


def test_splice_without_edits_returns_the_text() -> None:
    assert splice("unchanged", []) == "unchanged"


def test_splice_insertion_and_deletion() -> None:
    assert splice("abc", [(1, 1, "++"), (2, 3, "")]) == "a++b"


def test_reference_defaults_and_is_frozen() -> None:
    ref = Reference("a.png", 1, 6, 3)
    assert ref.kind == "url"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.url = "b.png"  # type: ignore[misc]


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    text = draw(st.text(max_size=30))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits = []
    for i in range(0, len(cuts) - 1, 2):
        edits.append((cuts[i], cuts[i + 1], draw(st.text(max_size=5))))
    return text, edits


@given(text_and_edits(), st.randoms())
def test_splice_matches_a_naive_right_to_left_replacement(case, rnd) -> None:
    text, edits = case
    expected = text
    for start, end, replacement in sorted(edits, reverse=True):
        expected = expected[:start] + replacement + expected[end:]
    shuffled = list(edits)
    rnd.shuffle(shuffled)
    assert splice(text, shuffled) == expected
