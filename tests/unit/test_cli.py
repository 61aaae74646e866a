"""pipeline.cli.parse: vango's command line, and the task options ``vango build`` passes on to doit."""

from __future__ import annotations

import pytest

from pipeline.cli import parse


def test_a_tasks_options_follow_it_to_doit_in_order():
    assert parse(["build", "gate:size", "--why"]).tasks == ["gate:size", "--why"]
    args = parse(["build", "--always", "gate:size", "--baseline", "base.json", "--why", "gate:bench", "--base=HEAD",
                  "-n", "2"])
    assert args.tasks == ["gate:size", "--baseline", "base.json", "--why", "gate:bench", "--base=HEAD"]
    assert args.always and args.process == 2  # vango's own options stay vango's, wherever they are


def test_a_double_dash_still_passes_everything_after_it():
    assert parse(["build", "--", "gate:size", "--why"]).tasks == ["gate:size", "--why"]
    assert parse(["build", "release"]).tasks == ["release"]


@pytest.mark.parametrize("argv", [["build", "--typo"], ["build", "--typo", "release"], ["list", "--why"],
                                  ["build", "--push", "x", "release"]])
def test_an_unknown_option_before_any_task_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as stopped:
        parse(argv)
    assert stopped.value.code == 3
    assert "unrecognized arguments" in capsys.readouterr().err
