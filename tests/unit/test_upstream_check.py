"""A ``cutoff`` step's dependency on the steps before it: the names it read (``NamedFiles``), and the check
that finds it stale only when one of those files changed, appeared or went away (``upstream_unchanged``)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.engine import checks
from pipeline.engine.checks import rebuild, upstream_listing, upstream_unchanged
from pipeline.engine.maps import OutputFile, write_map
from pipeline.engine.step import NamedFiles, Role, Step, StepRun, UpstreamReads

CSS = OutputFile("css/a.css", "css/a.1111111111111111.css", "1" * 96, "sha384-a", 10, True)
IMG = OutputFile("img/b.png", "img/b.2222222222222222.png", "2" * 96, "sha384-b", 20, True)


def test_named_files_note_each_name_asked_for_and_a_listing_reads_all():
    reads = UpstreamReads()
    files = NamedFiles({CSS.logical: CSS}, reads)
    assert files["css/a.css"] == CSS and "img/gone.png" not in files and files.get("x.js") is None
    assert 3 not in files  # not a name
    assert reads.found == {"css/a.css": CSS, "img/gone.png": None, "x.js": None} and not reads.everything
    with pytest.raises(KeyError):
        files["missing.css"]
    assert reads.found["missing.css"] is None
    assert list(files) == ["css/a.css"] and reads.everything
    assert len(NamedFiles({}, listed := UpstreamReads())) == 0 and listed.everything
    items = UpstreamReads()
    assert dict(NamedFiles({CSS.logical: CSS}, items).items()) == {CSS.logical: CSS} and items.everything


def test_a_cutoff_steps_run_records_what_it_read(tmp_path: Path):
    maps = tmp_path / "maps"
    write_map(maps, "css", [CSS])
    ctx = SimpleNamespace(maps_dir=maps)
    step = Step("js", Role.SCRIPT, "modules", lambda run: [], cutoff=True)
    run = StepRun(ctx, step, (), (("css", Role.STYLESHEET.value),))  # type: ignore[arg-type]
    assert isinstance(run.known(), NamedFiles) and run.known()["css/a.css"] == CSS
    assert run.reads.found == {"css/a.css": CSS} and not run.reads.everything
    run.facts("csp")
    assert run.reads.everything
    plain = StepRun(ctx, replace(step, cutoff=False), (), (("css", Role.STYLESHEET.value),))  # type: ignore[arg-type]
    assert type(plain.known()) is dict


def setup(tmp_path: Path, found: dict[str, OutputFile | None], everything: bool = False):
    maps = tmp_path / "maps"
    paths = [str(write_map(maps, "static", [IMG])), str(write_map(maps, "css", [CSS]))]
    listing = maps / "js.upstream"
    listing.write_bytes(upstream_listing(checks.map_stamps(paths), {
        name: asdict(record) if record else None for name, record in found.items()}, everything))
    return maps, paths, listing


def test_unchanged_maps_are_not_read(tmp_path: Path, monkeypatch):
    _, paths, listing = setup(tmp_path, {"img/b.png": IMG})
    monkeypatch.setattr(checks, "_records_of", lambda maps: pytest.fail("read a map whose stamp held"))
    assert upstream_unchanged(listing, paths)()


def test_a_change_to_a_file_the_step_did_not_name_keeps_it_up_to_date(tmp_path: Path):
    maps, paths, listing = setup(tmp_path, {"img/b.png": IMG, "css/gone.css": None})
    write_map(maps, "css", [replace(CSS, path="css/a.3333333333333333.css", hash="3" * 96)])
    check = upstream_unchanged(listing, paths)
    assert check()
    assert json.loads(listing.read_bytes())["maps"] == checks.map_stamps(paths)  # the next run compares stamps


@pytest.mark.parametrize("change", ["edited", "appeared", "went away"])
def test_a_change_to_a_file_the_step_named_makes_it_stale(tmp_path: Path, change: str):
    found = {"css/a.css": CSS} if change != "appeared" else {"css/new.css": None}
    maps, paths, listing = setup(tmp_path, found)
    if change == "edited":
        write_map(maps, "css", [replace(CSS, path="css/a.3333333333333333.css", hash="3" * 96)])
    elif change == "appeared":
        write_map(maps, "css", [CSS, replace(CSS, logical="css/new.css")])
    else:
        write_map(maps, "css", [])
    task = SimpleNamespace(dep_changed=["web/js/app.js"])
    assert not upstream_unchanged(listing, paths)(task)
    assert task.dep_changed == sorted(["web/js/app.js", paths[1]])  # the map that changed, for the event


def test_what_cannot_be_compared_is_stale(tmp_path: Path):
    maps, paths, listing = setup(tmp_path, {"img/b.png": IMG}, everything=True)
    write_map(maps, "css", [replace(CSS, size=11)])
    assert not upstream_unchanged(listing, paths)()  # the last run listed every file
    maps, paths, listing = setup(tmp_path / "two", {"img/b.png": IMG})
    write_map(maps, "css", [CSS, replace(CSS, logical="img/b.png")])  # one name from two steps
    assert not upstream_unchanged(listing, paths)()
    os.unlink(paths[1])
    assert not upstream_unchanged(listing, paths)()
    assert not upstream_unchanged(listing, paths[:1])()  # another set of steps before it
    for text in ("", "{}", '{"version": 2, "maps": {}, "found": {}}', "not json"):
        listing.write_text(text)
        assert not upstream_unchanged(listing, paths[:1])()
    assert not upstream_unchanged(tmp_path / "none.upstream", paths)()


def test_the_check_is_made_again_from_its_plan(tmp_path: Path):
    _, paths, listing = setup(tmp_path, {"img/b.png": IMG})
    check = upstream_unchanged(listing, paths)
    again = rebuild(json.loads(json.dumps(check.plan)), logger=None)
    assert again.plan == check.plan and again()


def test_a_record_as_a_map_holds_it_is_its_dataclass_dict():
    assert CSS.as_dict() == asdict(CSS) and list(CSS.as_dict()) == list(asdict(CSS))


def test_what_a_stale_check_knows_of_the_maps_goes_into_the_event(tmp_path: Path):
    """However the check finds the step stale, the task.started event names the maps that changed (all of
    them when it cannot tell), as doit's file_dep did; and the mapping a step reads cannot leave its process."""
    maps, paths, listing = setup(tmp_path, {"img/b.png": IMG}, everything=True)
    write_map(maps, "css", [replace(CSS, size=11)])
    task = SimpleNamespace(dep_changed=None)
    assert not upstream_unchanged(listing, paths)(task) and task.dep_changed == [paths[1]]
    listing.unlink()
    task = SimpleNamespace()
    assert not upstream_unchanged(listing, paths)(task) and task.dep_changed == sorted(paths)
    import pickle

    with pytest.raises(TypeError, match="own process"):
        pickle.dumps(NamedFiles({}, UpstreamReads()))
