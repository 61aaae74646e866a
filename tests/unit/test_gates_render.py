"""pipeline.gates.render and .common: the one table model both gates render, annotations, schemas, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from pipeline.gates import common
from pipeline.gates.common import GateError, annotation, load_json, validate
from pipeline.gates.render import Column, GateTable, to_markdown, to_rich


def _table() -> GateTable:
    table = GateTable("Things", [Column("name"), Column("size", numeric=True)], summary="1 of 2 failed", failed=True,
                      warnings=["machine differs"], notes=["a note"], details=[("More", ["x", "y"])])
    table.add("pass", ["a", "1 kB"])
    table.add("fail", ["b|c", "2 kB"])
    return table


def test_markdown_layout() -> None:
    assert to_markdown(_table()) == (
        "### Things\n\n"
        "❌ 1 of 2 failed\n\n"
        "> ⚠️ machine differs\n\n"
        "| name | size | status |\n"
        "| :--- | ---: | :--- |\n"
        "| a | 1 kB | ✅ pass |\n"
        "| b\\|c | 2 kB | ❌ FAIL |\n\n"
        "a note\n\n"
        "<details>\n<summary>More</summary>\n\n- x\n- y\n\n</details>\n")


def test_rich_rendering_contains_rows_status_and_notes() -> None:
    console = Console(width=100, record=True, color_system=None)
    console.print(to_rich(_table()))
    text = console.export_text()
    assert "1 of 2 failed" in text
    assert "warning: machine differs" in text
    assert "FAIL" in text and "pass" in text
    assert "b|c" in text
    assert "a note" in text
    assert "  x" in text


def test_rows_must_fit_the_columns() -> None:
    with pytest.raises(ValueError, match="2 columns"):
        _table().add("pass", ["only one"])


def test_empty_table_renders_summary_only() -> None:
    md = to_markdown(GateTable("Empty", [Column("a")], summary="nothing to do"))
    assert md == "### Empty\n\n✅ nothing to do\n"


@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    (("error", "over by 5%"), {}, "::error::over by 5%25"),
    (("warning", "two\nlines"), {"title": "T"}, "::warning title=T::two%0Alines"),
    (("error", "m"), {"file": "ci/budgets.toml", "line": 12, "title": "a: b, c"},
     "::error file=ci/budgets.toml,line=12,title=a%3A b%2C c::m"),
    (("notice", "m"), {"line": 3}, "::notice::m"),  # a line without a file means nothing to GitHub
])
def test_annotations_follow_the_workflow_command_escaping(args, kwargs, expected) -> None:
    assert annotation(*args, **kwargs) == expected


def test_annotation_levels_are_checked() -> None:
    with pytest.raises(ValueError):
        annotation("fatal", "x")


def test_exit_codes_are_distinct() -> None:
    codes = [common.EXIT_OK, common.EXIT_FAILED, common.EXIT_ERROR, common.EXIT_UNMATCHED, common.EXIT_NO_BASELINE]
    assert codes == [0, 1, 2, 3, 4]
    assert GateError("x").exit_code == 2


@pytest.mark.parametrize("name", ["size-report.schema.json", "bench-report.schema.json",
                                  "bench-baseline.schema.json"])
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(common.schema(name))
    assert common.schema(name)["$id"].endswith(name)


def test_load_json_errors_name_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{\n  "version": 1,\n  oops\n}', encoding="utf-8")
    with pytest.raises(GateError) as caught:
        load_json(path, "size-report.schema.json", "size report")
    assert str(caught.value).endswith("r.json:3:3: invalid JSON in size report: Expecting property name enclosed in "
                                      "double quotes")
    path.write_text(json.dumps({"version": 1}), encoding="utf-8")
    with pytest.raises(GateError, match=r"r\.json: not a valid size report: \$: '\w+' is a required property"):
        load_json(path, "size-report.schema.json", "size report")


def test_validate_lists_problems_by_path() -> None:
    problems = validate({"version": 2}, "bench-report.schema.json")
    assert any(p.startswith("$.version:") for p in problems)
    assert any("required property" in p for p in problems)
