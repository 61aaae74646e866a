"""Bad input: one clear line naming the file and place, a non-zero exit, no traceback, dist/ intact."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import run_pipeline, snapshot

pytestmark = pytest.mark.e2e


def errors(run) -> list[str]:
    return [e["msg"] for e in run.events if e["level"] == "error"]


@pytest.fixture
def released(app: Path, vango) -> dict:
    result = vango(app)
    assert result.returncode == 0, result.stderr
    return snapshot(app / "dist")


def test_go_syntax_error_fails_cleanly_and_keeps_dist(app: Path, vango, released: dict):
    main_go = app / "main.go"
    lines = main_go.read_text().splitlines()
    lines.append("func broken( {")
    main_go.write_text("\n".join(lines) + "\n")

    run = vango(app)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    failed = [e for e in run.events if e.get("event") == "task.failed"]
    assert [e["task"] for e in failed] == ["wasm:compile"]
    assert f"main.go:{len(lines)}:" in failed[0]["error"]
    assert "syntax error" in failed[0]["error"]
    assert "release" not in run.executed()
    assert snapshot(app / "dist") == released


@pytest.mark.parametrize(("content", "where"), [
    ('{"name": "x",\n  "web": "web"\n  "public": "public"}', "vango.json:3:3: invalid JSON"),
    ('{"name": "x", "compress": {"min_size": "big"}}', "vango.json: $.compress.min_size: 'big' is not of type"),
    ('{"web": "web"}', "vango.json: $: 'name' is a required property"),
    ('{"name": "x", "colour": "red"}', "vango.json: $: unknown key 'colour'"),
    ('{"name": "x", "web": "../../outside"}', "vango.json: $.web: '../../outside' points outside the app folder"),
    ('{"name": "x", "sri": {"algorithms": ["md5"]}}', "vango.json: $.sri.algorithms[0]: 'md5' is not one of"),
    ('{"name": "x", "csp": {"directives": {"Script Src": ["x"]}}}', "vango.json: $.csp.directives"),
])
def test_bad_config_is_one_line_exit_2_and_keeps_dist(app: Path, vango, released: dict, content: str, where: str):
    (app / "vango.json").write_text(content)
    run = vango(app)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert len(errors(run)) == 1
    assert "\n" not in errors(run)[0]
    assert errors(run)[0].startswith(where), errors(run)[0]
    assert snapshot(app / "dist") == released


def test_missing_asset_reference_names_the_page_and_line(app: Path, vango, released: dict):
    page = app / "web" / "index.html"
    text = page.read_text().replace("</body>", '<img src="img/missing.png" alt="">\n</body>')
    page.write_text(text)
    line = text.splitlines().index('<img src="img/missing.png" alt="">') + 1

    run = vango(app)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    failed = next(e for e in run.events if e.get("event") == "task.failed")
    assert failed["task"] == "pages"
    assert failed["error"].startswith(f"web/index.html:{line}: 'img/missing.png' does not resolve")
    assert snapshot(app / "dist") == released


def test_reference_escaping_the_web_folder_is_refused(app: Path, vango, released: dict):
    css = app / "web" / "css" / "app.css"
    css.write_text(css.read_text() + '\n.x { background: url("../../../vango.json"); }\n')
    run = vango(app)
    assert run.returncode == 1
    failed = next(e for e in run.events if e.get("event") == "task.failed")
    assert "points outside the web folder" in failed["error"] and "app.css:" in failed["error"]
    assert snapshot(app / "dist") == released


def test_html_that_is_not_utf8_is_reported(app: Path, vango, released: dict):
    (app / "web" / "about.html").write_bytes(b"<html><body>caf\xe9</body></html>")
    run = vango(app)
    assert run.returncode == 1
    failed = next(e for e in run.events if e.get("event") == "task.failed")
    assert failed["error"].startswith("web/about.html: not UTF-8")
    assert snapshot(app / "dist") == released


def test_dist_pointing_at_the_app_is_refused(app: Path, vango):
    run = vango(app, env={"VANGO_DIST_DIR": str(app)})
    assert run.returncode == 2
    assert "would contain the app" in errors(run)[0]
    assert (app / "vango.json").is_file()


def test_config_json_log_line_is_machine_readable(app: Path, vango):
    (app / "vango.json").write_text("{")
    run = vango(app)
    assert run.returncode == 2
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert lines and all(json.loads(ln)["run_id"] for ln in lines)


def test_a_malformed_go_mod_shows_go_s_reason_and_line(app: Path, vango, released: dict):
    (app / "go.mod").write_text("module example.com/todo\n\ngo 1.22\n\nrequire (\n  bogus line here\n)\n")
    run = vango(app)
    errors = [e["msg"] for e in run.events if e["level"] == "error"]
    assert run.returncode == 2, run.stderr
    assert errors == ["go.mod:6:3: usage: require module/path v1.2.3"], errors
    assert snapshot(app / "dist") == released


def test_a_missing_go_mod_is_a_configuration_error(app: Path, vango, released: dict):
    (app / "go.mod").unlink()
    run = vango(app)
    errors = [e["msg"] for e in run.events if e["level"] == "error"]
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert len(errors) == 1 and errors[0].startswith(f"no go.mod in {app.resolve()} or above it"), errors
    assert snapshot(app / "dist") == released


@pytest.mark.parametrize("name", ["evil\nX-Injected: 1.png", "tab\there.css", "bell\x07.js"])
def test_a_file_name_with_a_control_character_is_refused(app: Path, vango, released: dict, name: str):
    (app / "web" / "img" / name).write_bytes(b"x")
    run = vango(app)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (error,) = errors(run)
    assert "contains a control character" in error and repr(name) in error
    assert snapshot(app / "dist") == released


def test_a_file_name_that_is_not_utf8_is_refused(app: Path, vango, released: dict):
    os.mkdir(os.path.join(os.fsencode(app / "web"), b"caf\xe9"))
    run = vango(app)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (error,) = errors(run)
    assert "is not valid UTF-8" in error
    assert snapshot(app / "dist") == released


def test_a_stale_copy_of_a_generated_file_is_named_with_the_fix(app: Path, vango, released: dict):
    (app / "public" / "bootstrap.js").write_text("// an old loader someone copied in\n")
    run = vango(app)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    failed = [e["error"] for e in run.events if e.get("event") == "task.failed"]
    assert len(failed) == 1 and "'bootstrap.js' is produced by both the" in failed[0]
    assert "delete the stale copy" in failed[0] and "rename" not in failed[0]
    assert snapshot(app / "dist") == released


def test_vango_init_on_a_file_or_an_app_is_one_line_exit_2(tmp_path: Path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    run = run_pipeline(["pipeline.cli", "init", str(a_file)], tmp_path)
    assert run.returncode == 2 and "is a file, not a folder" in run.stderr and "Traceback" not in run.stderr
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "vango.json").write_text('{"name": "x"}')
    run = run_pipeline(["pipeline.cli", "init", str(tmp_path / "app")], tmp_path)
    assert run.returncode == 2 and "exists already" in run.stderr and "Traceback" not in run.stderr
    assert (tmp_path / "app" / "vango.json").read_text() == '{"name": "x"}'
