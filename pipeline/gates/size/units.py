"""Byte sizes with explicit units: ``"800 kB"``, ``"1.5 MiB"``, ``"512 B"``, ``"2MB"``.

Units are case-sensitive and exactly these (SI prefixes for powers of 1000, IEC for powers of 1024, as in
IEC 80000-13): ``B``, ``kB`` = 1000 B, ``KiB`` = 1024 B, ``MB`` = 1000² B, ``MiB`` = 1024² B. Spellings such
as ``kb``, ``KB`` or ``mb`` are rejected: tools disagree on whether they mean 1000 or 1024 (or bits).
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction

UNITS: dict[str, int] = {"B": 1, "kB": 1000, "KiB": 1024, "MB": 1000**2, "MiB": 1024**2}
UNIT_HINT = "(use B, kB, KiB, MB, MiB)"

_SIZE = re.compile(r"\s*(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>[^\s0-9.]\S*)?\s*")
_PERCENT = re.compile(r"\s*(?P<number>[0-9]+(?:\.[0-9]+)?)\s*%\s*")


class UnitError(ValueError):
    """A size or percentage that cannot be read. ``problem`` and ``hint`` let callers add context::

        budget "wasm": unknown unit "kb" in brotli = "800 kb" (use B, kB, KiB, MB, MiB)
    """

    def __init__(self, problem: str, hint: str, text: str):
        super().__init__(f"{problem} in {_quote(text)} {hint}")
        self.problem = problem
        self.hint = hint
        self.text = text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_size(text: str) -> int:
    """Bytes in ``text``; fractional results round down (a limit of 0.3 KiB allows 307 bytes)."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise UnitError("invalid size", '(expected a number and a unit, e.g. "800 kB")', text)
    unit = match["unit"]
    if unit is None:
        raise UnitError("missing unit", UNIT_HINT, text)
    if unit not in UNITS:
        raise UnitError(f"unknown unit {_quote(unit)}", UNIT_HINT, text)
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the regular expression only lets decimals through
        raise UnitError("invalid number", UNIT_HINT, text) from None
    if unit == "B" and number != number.to_integral_value():
        raise UnitError("fractional bytes", "(sizes in B are whole numbers)", text)
    return int((number * UNITS[unit]).to_integral_value(rounding=ROUND_FLOOR))


def parse_percent(text: str) -> Fraction:
    """``"5%"`` -> ``Fraction(1, 20)``; exact, so ``baseline * (1 + p)`` has no float rounding."""
    match = _PERCENT.fullmatch(text)
    if not match:
        raise UnitError("invalid percentage", '(expected e.g. "5%")', text)
    return Fraction(Decimal(match["number"])) / 100


def format_size(n: int | float, *, binary: bool = False) -> str:
    """Bytes for humans: ``512 B``, ``477.94 kB``, ``2.13 MB`` (``binary=True``: ``KiB``, ``MiB``).

    At most two decimals, trailing zeros dropped, so ``800000`` prints as ``800 kB``.
    """
    sign = "-" if n < 0 else ""
    n = abs(n)
    steps = (("MiB", 1024**2), ("KiB", 1024)) if binary else (("MB", 1000**2), ("kB", 1000))
    for unit, factor in steps:
        if n >= factor:
            return f"{sign}{_trim(n / factor)} {unit}"
    return f"{sign}{_trim(n)} B"


def format_delta(n: int | float, *, binary: bool = False) -> str:
    """A signed size change: ``+1.2 kB``, ``-512 B``, ``±0 B``."""
    if n == 0:
        return "±0 B"
    return ("+" if n > 0 else "") + format_size(n, binary=binary)


def format_percent(fraction: float | Fraction, *, signed: bool = False) -> str:
    """``0.0523`` -> ``5.23%`` (``+5.23%`` when signed)."""
    value = float(fraction) * 100
    text = f"{_trim(abs(value))}%"
    if signed:
        return ("+" if value > 0 else "-" if value < 0 else "±") + text
    return ("-" if value < 0 else "") + text


def _trim(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
