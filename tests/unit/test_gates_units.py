"""pipeline.gates.size.units and .patterns: explicit byte units and globs over logical names."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.gates.size.patterns import PatternError, compile_glob, matches
from pipeline.gates.size.units import (
    UnitError,
    format_delta,
    format_percent,
    format_size,
    parse_percent,
    parse_size,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("800 kB", 800_000),
    ("1.5 MiB", 1_572_864),
    ("512 B", 512),
    ("2MB", 2_000_000),
    ("1 KiB", 1024),
    ("0.5 kB", 500),
    ("  3 MiB  ", 3 * 1024 * 1024),
    ("0 B", 0),
    ("0.3 KiB", 307),  # 307.2 rounds down: a limit allows no more than it says
    (".5 MB", 500_000),
])
def test_parse_size_accepts_exact_spellings(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("unit", ["kb", "KB", "Kb", "kiB", "kib", "mb", "Mb", "mB", "MIB", "b", "GB", "bytes"])
def test_parse_size_rejects_ambiguous_or_unknown_units(unit: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_size(f"800 {unit}")
    assert caught.value.problem == f'unknown unit "{unit}"'
    assert caught.value.hint == "(use B, kB, KiB, MB, MiB)"
    assert str(caught.value) == f'unknown unit "{unit}" in "800 {unit}" (use B, kB, KiB, MB, MiB)'


@pytest.mark.parametrize(("text", "problem"), [
    ("800", "missing unit"),
    ("", "invalid size"),
    ("kB", "invalid size"),
    ("-5 kB", "invalid size"),
    ("1e3 B", "invalid size"),
    ("1.5.2 MB", "invalid size"),
    ("8 00 kB", "invalid size"),
    ("1.5 B", "fractional bytes"),
])
def test_parse_size_rejects_malformed_text(text: str, problem: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_size(text)
    assert caught.value.problem == problem


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["B", "kB", "KiB", "MB", "MiB"]))
def test_whole_numbers_scale_by_their_unit(n: int, unit: str) -> None:
    factor = {"B": 1, "kB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20}[unit]
    assert parse_size(f"{n} {unit}") == n * factor
    assert parse_size(f"{n}{unit}") == n * factor


@given(st.integers(min_value=0, max_value=10**10))
def test_format_size_reads_back_within_rounding(n: int) -> None:
    for binary in (False, True):
        text = format_size(n, binary=binary)
        back = parse_size(text)
        unit = text.split()[1]
        step = {"B": 1, "kB": 1000, "KiB": 1024, "MB": 10**6, "MiB": 2**20}[unit]
        assert abs(back - n) <= step * 0.005 + 1


@pytest.mark.parametrize(("n", "binary", "text"), [
    (0, False, "0 B"), (512, False, "512 B"), (999, False, "999 B"), (1000, False, "1 kB"),
    (800_000, False, "800 kB"), (477_944, False, "477.94 kB"), (2_134_871, False, "2.13 MB"),
    (1536, True, "1.5 KiB"), (1_572_864, True, "1.5 MiB"), (-1500, False, "-1.5 kB"),
])
def test_format_size(n: int, binary: bool, text: str) -> None:
    assert format_size(n, binary=binary) == text


def test_format_delta_and_percent_are_signed() -> None:
    assert format_delta(1200) == "+1.2 kB"
    assert format_delta(-512) == "-512 B"
    assert format_delta(0) == "±0 B"
    assert format_percent(0.0523) == "5.23%"
    assert format_percent(0.0523, signed=True) == "+5.23%"
    assert format_percent(-0.1, signed=True) == "-10%"
    assert format_percent(0, signed=True) == "±0%"


@pytest.mark.parametrize(("text", "expected"), [
    ("5%", Fraction(1, 20)), ("0.5 %", Fraction(1, 200)), (" 100% ", Fraction(1)), ("0%", Fraction(0)),
])
def test_parse_percent(text: str, expected: Fraction) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize("text", ["5", "-5%", "five%", "5%%", ""])
def test_parse_percent_rejects(text: str) -> None:
    with pytest.raises(UnitError):
        parse_percent(text)


@pytest.mark.parametrize(("pattern", "name", "expected"), [
    ("app.wasm", "app.wasm", True),
    ("app.wasm", "js/app.wasm", False),
    ("app.wasm", "appxwasm", False),  # the dot is literal
    ("css/*.css", "css/app.css", True),
    ("css/*.css", "css/vendor/x.css", False),  # * stays within a folder
    ("css/*.css", "app.css", False),
    ("**/*.js", "app.js", True),  # **/ matches zero folders too
    ("**/*.js", "js/app.js", True),
    ("**/*.js", "js/vendor/lib.js", True),
    ("**/*.js", "app.json", False),
    ("**", "any/thing/at/all", True),
    ("js/**", "js/a/b.js", True),
    ("js/**", "css/a.css", False),
    ("img/?.png", "img/a.png", True),
    ("img/?.png", "img/ab.png", False),
    ("img/[ab].png", "img/b.png", True),
    ("img/[!ab].png", "img/b.png", False),
    ("img/[!ab].png", "img/c.png", True),
    ("img/[a-c].png", "img/c.png", True),
    ("a[/]b", "a/b", False),  # a set never matches the folder separator
    ("./app.wasm", "app.wasm", True),
    ("App.wasm", "app.wasm", False),  # case-sensitive, like URLs
])
def test_glob_matching(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected


@pytest.mark.parametrize("pattern", ["", "/app.wasm", "css\\app.css", "img/[ab.png"])
def test_bad_globs_are_rejected(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_glob(pattern)


segment = st.text(alphabet="abcxyz-_.", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))


@given(st.lists(segment, min_size=1, max_size=4))
def test_double_star_matches_every_depth_and_star_only_one(parts: list[str]) -> None:
    name = "/".join(parts)
    assert matches("**", name)
    assert matches("**/" + parts[-1], name)
    assert matches("*", name) is (len(parts) == 1)
