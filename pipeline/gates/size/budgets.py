"""``budgets.toml``: which files may weigh how much.

.. code-block:: toml

    [settings]                  # optional
    fail_on_unmatched = true    # a budget matching no file fails the gate (exit 3); default true

    [[budget]]
    name = "wasm"               # optional, defaults to path; names must be unique
    path = "app.wasm"           # glob over logical names (see patterns.py)
    brotli = "800 kB"           # any of raw / gzip / brotli, at least one
    max_increase = "5%"         # optional: fail when a size grows more than this over the baseline report

    [[budget]]
    path = "css/*.css"
    gzip = "20 kB"
    per = "total"               # "file" (default): every matched file on its own; "total": their sum

Every problem is a :class:`~pipeline.core.errors.ConfigError` (exit 2) pointing at the line, e.g.
``budgets.toml:12: budget "wasm": unknown unit "kb" in brotli = "800 kb" (use B, kB, KiB, MB, MiB)``.
tomllib reports no positions for values, so semantic errors locate their key by scanning the source.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError
from pipeline.core.inputs import read_text
from pipeline.gates.size.patterns import PatternError, compile_glob
from pipeline.gates.size.units import UnitError, parse_percent, parse_size

METRICS = ("raw", "gzip", "brotli")
BUDGET_KEYS = frozenset({"name", "path", "per", "max_increase", *METRICS})
SETTINGS_KEYS = frozenset({"fail_on_unmatched"})
TOP_KEYS = frozenset({"settings", "budget"})


@dataclass(frozen=True)
class Budget:
    name: str
    path: str
    limits: dict[str, int]  # metric -> bytes, in METRICS order
    limit_texts: dict[str, str]  # metric -> the string as written, for display
    per: str = "file"
    max_increase: Fraction | None = None
    max_increase_text: str | None = None
    line: int | None = None  # of the [[budget]] header


@dataclass(frozen=True)
class BudgetConfig:
    budgets: tuple[Budget, ...]
    fail_on_unmatched: bool = True
    path: str = "budgets.toml"  # as given to the loader; annotations use it as the file to point at


def load_budgets(path: Path | str) -> BudgetConfig:
    """Read and check ``budgets.toml``."""
    path = Path(path)
    text = read_text(path, error=ConfigError, missing="not found: the size gate needs a budgets.toml")
    return parse_budgets(text, path)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def parse_budgets(text: str, path: Path | str = "budgets.toml") -> BudgetConfig:
    """Check the TOML source ``text``; ``path`` only names the file in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _TOML_POSITION.search(message)
        location = f"{found[1]}:{found[2]}" if found else None
        message = _TOML_POSITION.sub("", message)
        raise ConfigError(f"invalid TOML: {message}", path=path, location=location) from None
    lines = _Lines(text)

    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(f"unknown key {key!r} (expected [settings] and [[budget]] tables)", path=path,
                              location=lines.top_key(key))
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ConfigError("settings must be a table: [settings]", path=path, location=lines.top_key("settings"))
    for key, value in settings.items():
        where = lines.in_table("settings", None, key)
        if key not in SETTINGS_KEYS:
            raise ConfigError(f"[settings]: unknown key {key!r} (known: {', '.join(sorted(SETTINGS_KEYS))})",
                              path=path, location=where)
        if not isinstance(value, bool):
            raise ConfigError(f"[settings]: {key} must be true or false", path=path, location=where)

    entries = data.get("budget")
    if entries is None:
        raise ConfigError("no [[budget]] entries: add at least one", path=path)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError("budget must be an array of tables: [[budget]]", path=path,
                          location=lines.top_key("budget"))

    budgets: list[Budget] = []
    seen: dict[str, int | None] = {}
    for index, entry in enumerate(entries):
        budget = _budget(entry, index, lines, path)
        if budget.name in seen:
            first = seen[budget.name]
            raise ConfigError(f"budget {_q(budget.name)}: name already used"
                              f"{f' on line {first}' if first else ''} (names must be unique)",
                              path=path, location=budget.line)
        seen[budget.name] = budget.line
        budgets.append(budget)
    return BudgetConfig(tuple(budgets), settings.get("fail_on_unmatched", True), str(path))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _budget(entry: dict[str, Any], index: int, lines: _Lines, path: Path | str) -> Budget:
    header = lines.block_start("budget", index)
    raw_name, raw_path = entry.get("name"), entry.get("path")
    label = raw_name if isinstance(raw_name, str) and raw_name else raw_path
    prefix = f"budget {_q(label)}" if isinstance(label, str) and label else f"budget #{index + 1}"

    def fail(message: str, key: str | None = None) -> ConfigError:
        where = lines.in_table("budget", index, key) if key else header
        return ConfigError(f"{prefix}: {message}", path=path, location=where)

    for key in entry:
        if key not in BUDGET_KEYS:
            known = ", ".join(k for k in ("name", "path", *METRICS, "per", "max_increase"))
            raise fail(f"unknown key {key!r} (known: {known})", key)

    if "name" in entry and (not isinstance(raw_name, str) or not raw_name.strip()):
        raise fail("name must be a non-empty string", "name")
    if raw_path is None:
        raise fail('missing path (a glob over logical names, e.g. path = "app.wasm")')
    if not isinstance(raw_path, str):
        raise fail("path must be a string", "path")
    try:
        compile_glob(raw_path)
    except PatternError as exc:
        raise fail(f"bad path {_q(raw_path)}: {exc}", "path") from None

    per = entry.get("per", "file")
    if per not in ("file", "total"):
        raise fail(f'per must be "file" or "total", not {_q(str(per))}', "per")

    limits: dict[str, int] = {}
    texts: dict[str, str] = {}
    for metric in METRICS:
        if metric not in entry:
            continue
        value = entry[metric]
        if not isinstance(value, str):
            raise fail(f'{metric} must be a string with a unit, e.g. {metric} = "800 kB"', metric)
        try:
            limits[metric] = parse_size(value)
        except UnitError as exc:
            raise fail(f"{exc.problem} in {metric} = {_q(value)} {exc.hint}", metric) from None
        texts[metric] = value.strip()
    if not limits:
        raise fail('no limit: set at least one of raw, gzip, brotli (e.g. brotli = "800 kB")')

    increase, increase_text = None, None
    if "max_increase" in entry:
        value = entry["max_increase"]
        if not isinstance(value, str):
            raise fail('max_increase must be a percentage string, e.g. max_increase = "5%"', "max_increase")
        try:
            increase = parse_percent(value)
        except UnitError as exc:
            raise fail(f"{exc.problem} in max_increase = {_q(value)} {exc.hint}", "max_increase") from None
        increase_text = value.strip()

    name = raw_name.strip() if isinstance(raw_name, str) else raw_path
    return Budget(name=name, path=raw_path, limits=limits, limit_texts=texts, per=per, max_increase=increase,
                  max_increase_text=increase_text, line=header)


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_\-\"'. ]+?)\s*\]\]?\s*(?:#.*)?$")


class _Lines:
    """Where things are in the TOML source: table headers and ``key =`` lines inside them.

    Lines inside multi-line strings are skipped, so text that looks like a header inside one is ignored.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.code = self._code_lines()
        # (line number, table name, is array-of-tables)
        self.headers: list[tuple[int, str, bool]] = []
        for number in self.code:
            found = _HEADER.match(self.lines[number - 1])
            if found:
                name = found[1].strip().strip("\"'")
                self.headers.append((number, name, self.lines[number - 1].lstrip().startswith("[[")))

    def _code_lines(self) -> list[int]:
        """1-based numbers of lines that start outside a multi-line string."""
        result, inside = [], None
        for number, line in enumerate(self.lines, 1):
            if inside is None:
                result.append(number)
            for quote in ('"""', "'''"):
                count = line.count(quote)
                if inside in (None, quote) and count % 2 == 1:
                    inside = quote if inside is None else None
        return result

    def block_start(self, table: str, index: int | None) -> int | None:
        """Line of ``[table]`` (``index`` None) or of the index-th ``[[table]]``."""
        found = [n for n, name, array in self.headers if name == table and array == (index is not None)]
        if index is None:
            return found[0] if found else None
        return found[index] if index < len(found) else None

    def in_table(self, table: str, index: int | None, key: str | None) -> int | None:
        start = self.block_start(table, index)
        if start is None:
            return None
        if key is None:
            return start
        following = [n for n, _, _ in self.headers if n > start]
        end = following[0] if following else len(self.lines) + 1
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=")
        for number in self.code:
            if start < number < end and pattern.match(self.lines[number - 1]):
                return number
        return start

    def top_key(self, key: str) -> int | None:
        """First line where a top-level ``key`` appears, as a table header or as ``key = ...``."""
        for number, name, _ in self.headers:
            if name == key or name.startswith(f"{key}."):
                return number
        first_header = self.headers[0][0] if self.headers else len(self.lines) + 1
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*[=.]")
        for number in self.code:
            if number < first_header and pattern.match(self.lines[number - 1]):
                return number
        return None
