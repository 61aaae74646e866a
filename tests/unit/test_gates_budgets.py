"""pipeline.gates.size.budgets: budgets.toml, and one-line errors that point at the offending line."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.core.errors import ConfigError
from pipeline.gates.size.budgets import load_budgets, parse_budgets

GOOD = """\
# Size budgets for the todo app
[settings]
fail_on_unmatched = false

[[budget]]
name = "wasm"
path = "app.wasm"
brotli = "800 kB"
raw = "2.5 MB"
max_increase = "5%"

[[budget]]
path = "css/*.css"
gzip = "20 KiB"
per = "total"
"""


def test_parses_settings_and_budgets() -> None:
    config = parse_budgets(GOOD, "budgets.toml")
    assert config.fail_on_unmatched is False
    assert config.path == "budgets.toml"
    wasm, css = config.budgets
    assert wasm.name == "wasm"
    assert wasm.path == "app.wasm"
    assert wasm.limits == {"raw": 2_500_000, "brotli": 800_000}
    assert list(wasm.limits) == ["raw", "brotli"]  # always raw, gzip, brotli order
    assert wasm.limit_texts == {"raw": "2.5 MB", "brotli": "800 kB"}
    assert wasm.per == "file"
    assert wasm.max_increase == Fraction(1, 20)
    assert wasm.max_increase_text == "5%"
    assert wasm.line == 5
    assert css.name == "css/*.css"  # the path when there is no name
    assert css.per == "total"
    assert css.limits == {"gzip": 20 * 1024}
    assert css.max_increase is None
    assert css.line == 12


def test_settings_are_optional_and_default_to_failing_on_unmatched() -> None:
    config = parse_budgets('[[budget]]\npath = "app.wasm"\nbrotli = "1 MB"\n')
    assert config.fail_on_unmatched is True
    assert len(config.budgets) == 1


def test_load_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "budgets.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert [b.name for b in load_budgets(path).budgets] == ["wasm", "css/*.css"]


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found") as caught:
        load_budgets(tmp_path / "budgets.toml")
    assert caught.value.exit_code == 2


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_budgets(text, "budgets.toml")
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_documented_unit_error_format() -> None:
    text = "\n".join(["# padding"] * 7) + '\n\n[[budget]]\nname = "wasm"\npath = "app.wasm"\nbrotli = "800 kb"\n'
    assert _error(text) == ('budgets.toml:12: budget "wasm": unknown unit "kb" in brotli = "800 kb" '
                            "(use B, kB, KiB, MB, MiB)")


def test_errors_name_the_line_of_the_key_in_the_right_block() -> None:
    text = ('[[budget]]\npath = "a.js"\nraw = "1 kB"\n\n'
            '[[budget]]\npath = "b.js"\nraw = "1 kB"\ngzip = "2 KB"\n')
    assert _error(text) == 'budgets.toml:8: budget "b.js": unknown unit "KB" in gzip = "2 KB" (use B, kB, KiB, MB, MiB)'


@pytest.mark.parametrize(("body", "expected"), [
    ('path = "a"\nbrotli = "1 kB"\nsize = "2 kB"', 'budgets.toml:4: budget "a": unknown key \'size\''),
    ('name = "x"\npath = "a"', 'budgets.toml:1: budget "x": no limit: set at least one of raw, gzip, brotli'),
    ('name = "x"\nraw = "1 kB"', 'budgets.toml:1: budget "x": missing path'),
    ('path = "a"\nraw = 1000', 'budgets.toml:3: budget "a": raw must be a string with a unit, e.g. raw = "800 kB"'),
    ('path = "a"\nraw = "1 kB"\nper = "folder"', 'budgets.toml:4: budget "a": per must be "file" or "total"'),
    ('path = "a"\nraw = "1 kB"\nmax_increase = 5', 'budgets.toml:4: budget "a": max_increase must be a percentage'),
    ('path = "a"\nraw = "1 kB"\nmax_increase = "5"', 'budgets.toml:4: budget "a": invalid percentage in '
                                                     'max_increase = "5"'),
    ('path = "/a"\nraw = "1 kB"', 'budgets.toml:2: budget "/a": bad path "/a": patterns are relative to dist/'),
    ('path = 3\nraw = "1 kB"', "budgets.toml:2: budget #1: path must be a string"),
    ('name = ""\npath = "a"\nraw = "1 kB"', 'budgets.toml:2: budget "a": name must be a non-empty string'),
    ('path = "a"\n"raw" = "1 kb"', 'budgets.toml:3: budget "a": unknown unit "kb" in raw = "1 kb"'),
    ('path = "a"\nraw = "800"', 'budgets.toml:3: budget "a": missing unit in raw = "800" (use B, kB, KiB, MB, MiB)'),
])
def test_semantic_errors(body: str, expected: str) -> None:
    assert _error(f"[[budget]]\n{body}\n").startswith(expected)


def test_syntax_errors_carry_line_and_column() -> None:
    message = _error('[[budget]]\npath = "app.wasm"\nbrotli = 800 kB\n')
    assert message.startswith("budgets.toml:3:")
    assert "invalid TOML" in message
    assert "(at line" not in message


def test_duplicate_names_point_at_the_second_and_mention_the_first() -> None:
    text = '[[budget]]\npath = "a.js"\nraw = "1 kB"\n\n[[budget]]\npath = "a.js"\ngzip = "1 kB"\n'
    assert _error(text) == 'budgets.toml:5: budget "a.js": name already used on line 1 (names must be unique)'


def test_unknown_settings_and_top_level_keys() -> None:
    assert _error('[settings]\nfail_on_unmatched = "yes"\n[[budget]]\npath = "a"\nraw = "1 kB"\n') == (
        "budgets.toml:2: [settings]: fail_on_unmatched must be true or false")
    assert _error('[settings]\nstrict = true\n[[budget]]\npath = "a"\nraw = "1 kB"\n').startswith(
        "budgets.toml:2: [settings]: unknown key 'strict'")
    assert _error('[budgets]\npath = "a"\n').startswith("budgets.toml:1: unknown key 'budgets'")
    assert _error('limit = 3\n[[budget]]\npath = "a"\nraw = "1 kB"\n').startswith("budgets.toml:1: unknown key 'limit'")


def test_no_budgets_at_all() -> None:
    assert _error("[settings]\nfail_on_unmatched = true\n") == "budgets.toml: no [[budget]] entries: add at least one"
    assert _error("") == "budgets.toml: no [[budget]] entries: add at least one"


def test_budget_as_a_plain_table_is_rejected() -> None:
    assert _error('[budget]\npath = "a"\nraw = "1 kB"\n').startswith(
        "budgets.toml:1: budget must be an array of tables: [[budget]]")


def test_header_lookalikes_inside_multiline_strings_do_not_shift_lines() -> None:
    text = ('[[budget]]\nname = """\n[[budget]]\n"""\npath = "a"\nraw = "1 kB"\n\n'
            '[[budget]]\npath = "b"\nraw = "1 kb"\n')
    assert _error(text).startswith('budgets.toml:10: budget "b": unknown unit "kb"')


def test_messages_use_the_path_relative_to_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "ci").mkdir()
    path = tmp_path / "ci" / "budgets.toml"
    path.write_text('[[budget]]\npath = "a"\nraw = "1 kb"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_budgets(path)
    assert str(caught.value).startswith(f"ci{os.sep}budgets.toml:3: ")
