"""pipeline.dev.watch: coalescing, affected-task selection, the watched set, reload decisions, the patch log."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.dev.watch import BuildQueue, affected_tasks, patch, relevant, styles_only, stylesheet_swaps, watched


def test_a_burst_during_a_build_gives_exactly_one_follow_up_build():
    builds: list[set[Path]] = []
    release = threading.Event()

    def build(batch: set[Path]) -> None:
        builds.append(batch)
        if len(builds) == 1:
            release.wait(5)

    queue = BuildQueue(build)
    assert queue.submit({Path("a.css")}) is True
    deadline = time.monotonic() + 5
    while not builds and time.monotonic() < deadline:
        time.sleep(0.01)
    started_more = [queue.submit({Path(f"f{i}.css")}) for i in range(200)]  # saved while the build runs
    assert not any(started_more)
    release.set()
    assert queue.wait_idle(5)
    assert len(builds) == 2
    assert builds[1] == {Path(f"f{i}.css") for i in range(200)}


def test_idle_queue_builds_again_on_the_next_change_and_survives_a_crash():
    calls = []

    def build(batch: set[Path]) -> None:
        calls.append(batch)
        if len(calls) == 1:
            raise RuntimeError("bug in a build step")

    queue = BuildQueue(build)
    queue.submit({Path("x.go")})
    assert queue.wait_idle(5)
    assert queue.submit({Path("y.go")}) is True
    assert queue.wait_idle(5)
    assert calls == [{Path("x.go")}, {Path("y.go")}]
    assert queue.submit([]) is False  # nothing to do


@dataclass
class FakeTask:
    name: str
    file_dep: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    task_dep: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def pipeline_like(root: Path) -> list[FakeTask]:
    m = root / "build" / "maps"
    # A step's claimed files are in meta["sources"] (a check of their stamps covers them), not in file_dep.
    return [
        FakeTask("static", [], [str(m / "static.json")], meta={"sources": [str(root / "web/img/a.png")]}),
        FakeTask("css", [str(m / "static.json")], [str(m / "css.json")],
                 meta={"sources": [str(root / "web/css/app.css")]}),
        FakeTask("wasm:compile", [str(root / "main.go"), str(root / "go.mod")], [str(root / "build/app.wasm")]),
        FakeTask("wasm:runtime", [str(root / "build/app.wasm")], [str(m / "wasm.json")]),
        FakeTask("pages", [str(m / "css.json"), str(m / "wasm.json")], [str(m / "pages.json")],
                 meta={"sources": [str(root / "web/index.html")]}),
        FakeTask("release", [str(m / "pages.json")], [str(root / "dist/asset-manifest.json")]),
        FakeTask("gate:size", [], [], ["release"]),
    ]


def test_a_css_edit_affects_the_css_chain_and_never_the_go_compile(tmp_path: Path):
    tasks = pipeline_like(tmp_path)
    assert affected_tasks(tasks, [tmp_path / "web/css/app.css"]) == {"css", "pages", "release", "gate:size"}
    go = affected_tasks(tasks, [tmp_path / "main.go"])
    assert go == {"wasm:compile", "wasm:runtime", "pages", "release", "gate:size"}
    assert affected_tasks(tasks, [tmp_path / "web/img/a.png"]) >= {"static", "css", "pages"}
    assert affected_tasks(tasks, [tmp_path / "README.md"]) == set()


def test_watched_set_comes_from_file_deps_and_sources_without_the_outputs(tmp_path: Path):
    tasks = pipeline_like(tmp_path)
    files, folders = watched(tasks, [tmp_path / "build", tmp_path / "dist"])
    assert tmp_path / "web/css/app.css" in files and tmp_path / "main.go" in files
    assert not any(f.is_relative_to(tmp_path / "build") for f in files)
    assert folders == {tmp_path / "web/img", tmp_path / "web/css", tmp_path, tmp_path / "web"}
    ignore = [tmp_path / "build", tmp_path / "dist"]
    assert relevant(tmp_path / "web/css/new.css", files, folders, ignore)  # a new file next to a dependency
    assert relevant(tmp_path / "extra.go", files, folders, ignore)
    assert not relevant(tmp_path / "build/maps/css.json", files, folders, ignore)
    assert not relevant(tmp_path / "dist/index.html", files, folders, ignore)
    assert relevant(tmp_path / "web/pics/new/a.svg", files, folders, ignore)  # a file in a new subfolder
    assert not relevant(tmp_path / "web/css/.app.css.swp", files, folders, ignore)
    assert not relevant(tmp_path / "web/css/app.css~", files, folders, ignore)
    assert not relevant(tmp_path / "web/.git/index", files, folders, ignore)
    assert not relevant(tmp_path.parent / "elsewhere" / "x.css", files, folders, ignore)


def test_only_stylesheets_allow_a_hot_swap():
    assert styles_only([Path("web/css/a.css"), Path("web/css/B.CSS")])
    assert not styles_only([Path("web/css/a.css"), Path("main.go")])
    assert not styles_only([])


def manifest(**assets: tuple[str, int, str]) -> dict:
    return {"base": "/", "assets": {name: {"path": p, "size": s, "hash": h, "integrity": f"sha384-{h}"}
                                    for name, (p, s, h) in assets.items()}}


def test_patch_lists_added_removed_and_modified_files_with_sizes_and_hashes():
    before = manifest(**{"css/app.css": ("css/app.1.css", 10, "h1"), "index.html": ("index.html", 5, "i1"),
                         "old.png": ("old.9.png", 3, "o")})
    after = manifest(**{"css/app.css": ("css/app.2.css", 12, "h2"), "index.html": ("index.html", 5, "i1"),
                        "new.png": ("new.7.png", 4, "n")})
    entries = {e["name"]: e for e in patch(before, after)}
    assert set(entries) == {"css/app.css", "old.png", "new.png"}  # index.html did not change
    assert entries["css/app.css"]["change"] == "modified"
    assert entries["css/app.css"]["before"] == {"size": 10, "hash": "h1", "path": "css/app.1.css"}
    assert entries["css/app.css"]["after"] == {"size": 12, "hash": "h2", "path": "css/app.2.css"}
    assert entries["old.png"]["change"] == "removed" and entries["old.png"]["after"] is None
    assert entries["new.png"]["change"] == "added" and entries["new.png"]["before"] is None
    assert stylesheet_swaps(entries.values(), after) == [
        {"from": "/css/app.1.css", "to": "/css/app.2.css", "integrity": "sha384-h2"}]
    assert len(patch(None, after)) == 3


def test_each_dev_build_is_a_run_of_its_own_and_never_pushes_metrics():
    from pipeline.config.context import Settings
    from pipeline.dev.watch import DevSession

    session = DevSession(Settings.from_environment({}, run_id="dev", push_gateway="http://ci-gateway:9091"))
    session._counter = 3
    built = session.build_settings()
    assert built.run_id == "dev.3" and built.push_gateway == ""
    session._counter = 4
    assert session.build_settings().trace().trace_id != built.trace().trace_id
