"""doit's caching, as seen from the task list it reports: nothing re-runs without a reason, and a
change re-runs exactly the tasks that depend on it."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from support import aged, snapshot

pytestmark = pytest.mark.e2e
ALL_TASKS = {"static", "css", "js", "public", "wasm:compile", "wasm:runtime", "pwa", "pages", "sw", "deploy",
             "compress", "manifest", "release"}


def test_second_run_executes_nothing_and_leaves_dist_untouched(app: Path, vango):
    first = vango(app)
    assert first.returncode == 0, first.stderr
    assert first.executed() == ALL_TASKS
    before = snapshot(app / "dist")
    dist_inode = (app / "dist").stat().st_ino

    second = vango(app)
    assert second.returncode == 0, second.stderr
    assert second.executed() == set()
    assert second.uptodate() == ALL_TASKS
    assert snapshot(app / "dist") == before  # same bytes, same mtimes, same inodes
    assert (app / "dist").stat().st_ino == dist_inode


def test_changing_a_stylesheet_reruns_only_what_depends_on_it(app: Path, vango):
    assert vango(app).returncode == 0
    css = app / "web" / "css" / "theme.css"
    css.write_text(css.read_text() + "\n:root { --vango-test: 1px; }\n")

    run = vango(app)
    assert run.returncode == 0, run.stderr
    # theme.css is @imported by app.css, whose name changes, so the page changes too.
    # The service worker's precache revisions change with them.
    # js names no stylesheet (its last run read none of the css step's files), so it is not run at all.
    assert run.executed() == {"css", "pages", "sw", "deploy", "compress", "manifest", "release"}
    assert "wasm:compile" in run.uptodate() and "js" in run.uptodate()
    started = next(e for e in run.events if e.get("event") == "task.started" and e["task"] == "css")
    assert any(path.endswith("theme.css") for path in started["changed"])


def test_a_module_is_rebuilt_when_a_file_it_names_changes_and_only_then(app: Path, vango):
    """The js step reads the files before it by name (Step.cutoff): a stylesheet edit re-runs it when one of
    its modules names that stylesheet, not when another changes; the output is a clean build's."""
    web = app / "web"
    (web / "js" / "style-url.js").write_text('export const sheet = new URL("../css/theme.css", import.meta.url);\n')
    assert vango(app).returncode == 0
    (web / "css" / "extra.css").write_text(".extra { margin: 1px; }\n")
    added = vango(app)
    assert added.returncode == 0 and "css" in added.executed() and "js" in added.uptodate()
    theme = web / "css" / "theme.css"
    theme.write_text(theme.read_text() + "\n:root { --vango-test: 2px; }\n")
    named = vango(app)
    assert named.returncode == 0, named.stderr
    assert "js" in named.executed()
    started = next(e for e in named.events if e.get("event") == "task.started" and e["task"] == "js")
    assert any(path.endswith("css.json") for path in started["changed"])
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text())["assets"]
    served = manifest["css/theme.css"]["path"].split("/")[-1]
    assert f'"../css/{served}"' in (app / "dist" / manifest["js/style-url.js"]["path"]).read_text()
    (web / "css" / "extra.css").write_text(".extra { margin: 2px; }\n")
    other = vango(app)
    assert other.returncode == 0 and "css" in other.executed() and "js" in other.uptodate()
    edited = release_files(app / "dist")
    shutil.rmtree(app / "build")
    shutil.rmtree(app / "dist")
    assert vango(app).returncode == 0
    assert release_files(app / "dist") == edited


def test_a_step_whose_files_all_go_and_come_back_is_built_each_time(app: Path, vango, tmp_path: Path):
    """The css step's sources are checked by one stamp of them all: emptying the step rebuilds it (its map
    lists nothing), and the same files back, with the same bytes, rebuild it again."""
    assert vango(app).returncode == 0
    saved = tmp_path / "css"
    shutil.copytree(app / "web" / "css", saved)
    page = app / "web" / "index.html"
    html = page.read_text(encoding="utf-8")
    shutil.rmtree(app / "web" / "css")
    page.write_text(html.replace('<link rel="stylesheet" href="css/app.css">', ""), encoding="utf-8")
    emptied = vango(app)
    assert emptied.returncode == 0, emptied.stderr
    assert "css" in emptied.executed()
    assert json.loads((app / "build" / "maps" / "css.json").read_text())["files"] == []
    shutil.copytree(saved, app / "web" / "css", copy_function=shutil.copy2)  # the old bytes and mtimes
    page.write_text(html, encoding="utf-8")
    back = vango(app)
    assert back.returncode == 0, back.stderr
    assert "css" in back.executed()
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text())
    assert "css/app.css" in manifest["assets"]


def test_an_edit_parses_and_rewrites_only_the_file_that_changed(app: Path, vango):
    """The css and js steps keep per-file results: the other stylesheets and every module reuse their final
    text from the last run, and the output is what a clean build gives."""
    web = app / "web"
    for i in range(6):
        (web / "css" / f"extra{i}.css").write_text(f".e{i} {{ background: url(../img/check.svg); margin: {i}px; }}\n")
    aged(app)
    time.sleep(2.1)  # the ctimes too out of the racy window: the stats the build takes are trusted next run
    assert vango(app).returncode == 0
    (web / "css" / "extra3.css").write_text(".e3 { background: url(../img/logo.svg); margin: 30px; }\n")

    run = vango(app, env={"VANGO_LOG_LEVEL": "DEBUG"})  # spans are logged at debug level
    assert run.returncode == 0, run.stderr
    rewrites = {e["attributes"]["vango.step"]: e["attributes"] for e in run.events
                if e.get("event") == "span.finished" and e.get("name") == "text.rewrite"}
    stylesheets = len(list(web.rglob("*.css")))
    assert rewrites["css"]["vango.files"] == stylesheets and rewrites["css"]["vango.parsed"] == 1
    # all but the edited one and app.css, which inlines theme.css (a file that bundles others is always rendered)
    assert rewrites["css"]["vango.reused"] == stylesheets - 2
    # read: the edited one, and app.css and theme.css to render them again; the others' stats are the last run's
    assert rewrites["css"]["vango.read"] == 3
    assert "js" not in rewrites  # its modules name no stylesheet: not run (Step.cutoff)
    (web / "js" / "extra.js").write_text("export const extra = 1;\n")
    assert vango(app).returncode == 0
    (web / "js" / "extra.js").write_text("export const extra = 2;\n")
    run = vango(app, env={"VANGO_LOG_LEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr
    rewrites = {e["attributes"]["vango.step"]: e["attributes"] for e in run.events
                if e.get("event") == "span.finished" and e.get("name") == "text.rewrite"}
    assert set(rewrites) == {"js"} and rewrites["js"]["vango.parsed"] == 1
    assert rewrites["js"]["vango.reused"] == rewrites["js"]["vango.files"] - 1
    edited = release_files(app / "dist")
    shutil.rmtree(app / "build")
    shutil.rmtree(app / "dist")
    assert vango(app).returncode == 0
    assert release_files(app / "dist") == edited  # the same files and bytes as a clean build


def test_files_with_the_same_text_keep_their_own_names_on_a_rebuild(app: Path, vango):
    """The per-file cache names the file in its key: two copies of one stylesheet are the same bytes but
    two served files, on the run that reuses them as on the first."""
    web = app / "web"
    for folder in ("a", "b"):
        (web / "css" / folder).mkdir()
        (web / "css" / folder / "reset.css").write_text("* { box-sizing: border-box; }\n")
    assert vango(app).returncode == 0
    (web / "css" / "extra.css").write_text(".x { margin: 1px; }\n")  # the css step runs again, reusing both

    run = vango(app)
    assert run.returncode == 0, run.stderr
    assets = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    paths = {name: assets[name]["path"] for name in ("css/a/reset.css", "css/b/reset.css")}
    assert paths["css/a/reset.css"].startswith("css/a/reset.") and paths["css/b/reset.css"].startswith("css/b/")
    assert all((app / "dist" / path).is_file() for path in paths.values())


def test_an_output_edited_in_build_out_is_not_reused(app: Path, vango):
    """A final file the cache would reuse, changed behind the pipeline's back, is rendered again."""
    assert vango(app).returncode == 0
    assets = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    module = assets["js/format.js"]
    (app / "build" / "out" / module["path"]).write_text("tampered")
    (app / "web" / "css" / "extra.css").write_text(".x { margin: 1px; }\n")  # css and js run again

    assert vango(app).returncode == 0
    served = (app / "dist" / module["path"]).read_bytes()
    assert served != b"tampered" and json.loads((app / "dist" / "asset-manifest.json").read_text(
        encoding="utf-8"))["assets"]["js/format.js"]["hash"] == module["hash"]


def test_an_unchanged_web_folder_is_not_walked_and_a_new_file_still_is_built(app: Path, vango):
    web = app / "web"
    (web / "stray.wasm").write_bytes(b"\0asm")  # left out, with a warning on every run
    aged(web)
    assert vango(app).returncode == 0
    debug = {"VANGO_LOG_LEVEL": "DEBUG"}
    again = vango(app, env=debug)
    assert again.returncode == 0 and again.executed() == set()
    events = [e.get("event") for e in again.events]
    assert "claims.remembered" in events and "publish.left_out" in events  # the warning, replayed

    (web / "css" / "later.css").write_text(".later { margin: 3px; }\n")  # its folder changes
    run = vango(app, env=debug)
    assert run.returncode == 0, run.stderr
    assert "claims.remembered" not in [e.get("event") for e in run.events]
    assets = json.loads((app / "dist" / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    assert "css/later.css" in assets


def release_files(dist: Path) -> dict[str, bytes]:
    assets = json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]
    return {a["path"]: (dist / a["path"]).read_bytes() for a in assets.values()}


def test_adding_a_go_file_recompiles_the_wasm(app: Path, vango):
    assert vango(app).returncode == 0
    (app / "version.go").write_text('//go:build js && wasm\n\npackage main\n\nvar buildLabel = "test"\n')

    run = vango(app)
    assert run.returncode == 0, run.stderr
    assert {"wasm:compile", "wasm:runtime"} <= run.executed()
    assert not {"static", "css", "js", "public"} & run.executed()


def test_a_go_change_that_keeps_the_bytes_stops_at_the_compile(app: Path, vango):
    """Early cut-off: a comment-only Go edit recompiles, but identical wasm bytes stop the cascade."""
    assert vango(app).returncode == 0
    main_go = app / "main.go"
    main_go.write_text(main_go.read_text() + "\n// a comment changes no code\n")

    run = vango(app)
    assert run.returncode == 0, run.stderr
    assert "wasm:compile" in run.executed()
    assert run.executed() & {"pages", "compress", "manifest", "release"} == set()


def test_a_deleted_dist_is_republished_without_rebuilding(app: Path, vango):
    assert vango(app).returncode == 0
    before = {k: v[0] for k, v in snapshot(app / "dist").items()}
    import shutil

    shutil.rmtree(app / "dist")
    run = vango(app)
    assert run.returncode == 0, run.stderr
    assert run.executed() == {"release"}
    assert {k: v[0] for k, v in snapshot(app / "dist").items()} == before


def test_parallel_build_gives_the_same_dist(app: Path, vango, tmp_path: Path):
    serial = vango(app)
    assert serial.returncode == 0, serial.stderr
    parallel_dist = tmp_path / "parallel-dist"
    run = vango(app, "build", "-n", "2", env={"VANGO_BUILD_DIR": str(tmp_path / "pbuild"),
                                               "VANGO_DIST_DIR": str(parallel_dist)})
    assert run.returncode == 0, run.stderr
    assert run.executed() == ALL_TASKS
    assert {k: v[0] for k, v in snapshot(parallel_dist).items()} == {k: v[0] for k, v in snapshot(app / "dist").items()}


def test_editing_a_locally_replaced_module_recompiles(app: Path, vango):
    greet = app.parent / "greet"
    greet.mkdir()
    (greet / "go.mod").write_text("module example.com/greet\n\ngo 1.24\n")
    (greet / "greet.go").write_text('package greet\n\nfunc Hello() string { return "hello v1" }\n')
    (app / "go.mod").write_text((app / "go.mod").read_text() +
                                "\nrequire example.com/greet v0.0.0\n\nreplace example.com/greet => ../greet\n")
    (app / "greeting.go").write_text('//go:build js && wasm\n\npackage main\n\nimport "example.com/greet"\n\n'
                                     'var Greeting = greet.Hello()\n')
    assert vango(app).returncode == 0
    (greet / "greet.go").write_text('package greet\n\nfunc Hello() string { return "hello v2" }\n')
    run = vango(app)
    assert run.returncode == 0, run.stderr
    assert "wasm:compile" in run.executed()


def test_only_changed_files_are_compressed_again(app: Path, vango, tmp_path: Path):
    cache = tmp_path / "private-cache"
    assert vango(app, env={"VANGO_CACHE_DIR": str(cache)}).returncode == 0
    entries = {p.name: p.stat().st_mtime_ns for p in (cache / "compress").iterdir()}
    css = app / "web" / "css" / "app.css"
    css.write_text(css.read_text() + "\n.recompressed { margin: 1px; }\n")
    run = vango(app, env={"VANGO_CACHE_DIR": str(cache)})
    assert run.returncode == 0 and "compress" in run.executed()
    after = {p.name: p.stat().st_mtime_ns for p in (cache / "compress").iterdir()}
    new = set(after) - set(entries)
    assert all(after[name] == stamp for name, stamp in entries.items())  # nothing compressed twice
    manifest = json.loads((app / "dist" / "asset-manifest.json").read_text())["assets"]
    changed = {manifest[name]["hash"] for name in ("css/app.css", "index.html", "sw.js")}
    assert new and {name.split(".")[0] for name in new} <= changed  # only the files whose bytes changed


def test_a_new_package_imported_by_an_existing_file_is_noticed_and_then_tracked(app: Path, vango):
    """The Go inputs are remembered between runs (no ``go list`` on a no-op): a new import in an existing file
    (of a new package), then an edit inside the new package each recompile; nothing changed, nothing does."""
    labels = app / "labels.go"
    labels.write_text('//go:build js && wasm\n\npackage main\n\nvar Label = "v0"\n')
    assert vango(app).returncode == 0
    assert (app / "build" / "go-inputs.json").is_file()
    (app / "internal" / "label").mkdir(parents=True)
    (app / "internal" / "label" / "label.go").write_text('package label\n\nfunc Text() string { return "v1" }\n')
    labels.write_text('//go:build js && wasm\n\npackage main\n\nimport "example.com/vango/todo/internal/label"\n\n'
                      'var Label = label.Text()\n')
    run = vango(app)
    assert run.returncode == 0, run.stderr
    assert "wasm:compile" in run.executed()
    assert "wasm:compile" not in vango(app).executed()
    (app / "internal" / "label" / "label.go").write_text('package label\n\nfunc Text() string { return "v2" }\n')
    run = vango(app)
    assert run.returncode == 0 and "wasm:compile" in run.executed(), run.stderr


def page_writes(run) -> dict[str, int]:
    return next(e["attributes"] for e in run.events if e.get("event") == "span.finished"
                and e.get("name") == "html.write")


def test_an_edit_of_one_page_minifies_that_page_alone(app: Path, vango):
    """The pages step takes a page whose serialized tree is the last run's from build/out as it is (not
    minified and checked again); the output is what a clean build gives, and a changed setting that minifying
    depends on is never answered from the last run."""
    web = app / "web"
    template = (web / "index.html").read_text(encoding="utf-8")
    for i in range(4):
        (web / f"page{i}.html").write_text(template.replace("<title>", f"<title>Page {i} "), encoding="utf-8")
    assert vango(app).returncode == 0
    out = app / "build" / "out"
    stamps = {i: (out / f"page{i}.html").stat().st_mtime_ns for i in range(4)}
    (web / "page2.html").write_text(template.replace("<title>", "<title>Page 2, edited "), encoding="utf-8")

    debug = {"VANGO_LOG_LEVEL": "DEBUG"}  # spans are logged at debug level
    run = vango(app, env=debug)
    assert run.returncode == 0, run.stderr
    assert page_writes(run) == {"vango.pages": 5, "vango.reused": 4}
    assert {i: (out / f"page{i}.html").stat().st_mtime_ns for i in (0, 1, 3)} == {i: stamps[i] for i in (0, 1, 3)}
    assert "Page 2, edited" in (app / "dist" / "page2.html").read_text(encoding="utf-8")
    edited = release_files(app / "dist")

    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    (app / "vango.json").write_text(json.dumps({**config, "minify": {"html": False}}), encoding="utf-8")
    plain = vango(app, env=debug)
    assert plain.returncode == 0, plain.stderr
    assert page_writes(plain)["vango.reused"] == 0
    assert len((app / "dist" / "page0.html").read_bytes()) > len(edited["page0.html"])  # not minified
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    assert vango(app).returncode == 0
    assert release_files(app / "dist") == edited
    shutil.rmtree(app / "build")
    shutil.rmtree(app / "dist")
    assert vango(app).returncode == 0
    assert release_files(app / "dist") == edited  # the same files and bytes as a clean build
