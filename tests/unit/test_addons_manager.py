"""The addon manager's ordering, hook validation and error reporting, and the installer's name resolution."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.addons import install, manager
from pipeline.addons.manager import AddonConfigError, AddonError, AddonInfo, AddonSet
from pipeline.core.errors import ConfigError


def info(name: str, after: tuple[str, ...] = ()) -> AddonInfo:
    return AddonInfo(name, manager.INSTALLED, name, after=after)


def names(items: list[AddonInfo]) -> list[str]:
    return [i.name for i in items]


def test_order_is_stable_and_honours_after():
    items = [info("a", ("c",)), info("b"), info("c"), info("d", ("missing-companion",))]
    assert names(manager.order(items)) == ["b", "c", "a", "d"]


def test_an_order_cycle_names_its_members():
    with pytest.raises(AddonConfigError, match=r"addon order has a cycle: x after z after y after x"):
        manager.order([info("x", ("z",)), info("y", ("x",)), info("z", ("y",))])


def test_a_failing_addon_hook_names_the_addon():
    def broken() -> None:
        raise KeyError("wheel")

    with pytest.raises(AddonError) as caught:
        manager.guarded("shiny", False, broken)
    assert str(caught.value) == "addon shiny: KeyError: 'wheel'"
    with pytest.raises(AddonError) as debug:
        manager.guarded("shiny", True, broken)
    assert "Traceback (most recent call last)" in str(debug.value) and "raise KeyError" in str(debug.value)


def test_bad_settings_from_an_addon_keep_exit_code_2():
    def strict() -> None:
        raise ConfigError("$.addons.shiny.level: must be even", path="vango.json")

    with pytest.raises(ConfigError) as caught:
        manager.guarded("shiny", False, strict)
    assert caught.value.exit_code == 2
    assert str(caught.value) == "vango.json: addon shiny: $.addons.shiny.level: must be even"


def test_built_in_code_fails_as_a_pipeline_bug_not_as_an_addon():
    with pytest.raises(ZeroDivisionError):
        manager.guarded("css", False, lambda: 1 / 0)


def plugin_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> AddonSet:
    (tmp_path / "probe_addon.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "probe_addon", raising=False)
    return AddonSet(tmp_path, (*manager.builtin_addons(), AddonInfo("probe", manager.INSTALLED, "probe_addon")),
                    f"digest-{tmp_path.name}")


def test_a_misspelt_hook_is_an_error_listing_the_known_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    addons = plugin_set(tmp_path, monkeypatch, "def vango_stepz(ctx):\n    return []\n")
    with pytest.raises(AddonConfigError, match=r"addon probe: .*vango_stepz.*known hooks: .*vango_steps"):
        manager.plugin_manager(addons)


def test_a_hook_with_an_unknown_argument_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    addons = plugin_set(tmp_path, monkeypatch, "def vango_steps(ctx, registry):\n    return []\n")
    with pytest.raises(AddonConfigError, match=r"addon probe: .*registry"):
        manager.plugin_manager(addons)


def test_hooks_are_called_in_addon_order_with_only_the_arguments_they_name(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    addons = plugin_set(tmp_path, monkeypatch, "def vango_watch_paths():\n    return ['probe.txt']\n")
    found = manager.collect(addons, "vango_watch_paths", ctx=object())
    assert found == [("probe", "probe.txt")]
    assert manager.hooks_of(addons, "probe") == ["vango_watch_paths"]


def test_bundled_names_resolve_to_the_repository_folder_or_the_requirement(tmp_path: Path):
    app = tmp_path / "app"
    app.mkdir()
    bundled = tmp_path / "addons"
    (bundled / "otel").mkdir(parents=True)
    (bundled / "otel" / "pyproject.toml").write_text("[project]\nname = 'vango-addon-otel'\n")
    assert install.resolve_spec("otel", app, bundled) == (str(bundled / "otel"), "../addons/otel")
    assert install.resolve_spec("tailwind", app, bundled) == ("vango-addon-tailwind", "vango-addon-tailwind")
    assert install.resolve_spec("requests>=2", app, bundled) == ("requests>=2", "requests>=2")
    url = "vango-addon-x @ https://example.invalid/x-1.0-py3-none-any.whl"
    assert install.resolve_spec(url, app, bundled) == (url, url)
    local = tmp_path / "mine"
    local.mkdir()
    assert install.resolve_spec(str(local), app, bundled) == (str(local), "../mine")
    with pytest.raises(install.InstallError, match="does not exist"):
        install.resolve_spec("./nowhere", app, bundled)


def wheel(tmp_path: Path, points: str) -> Path:
    path = tmp_path / "thing-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("thing-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: thing\nVersion: 1.0\n")
        archive.writestr("thing-1.0.dist-info/entry_points.txt", points)
    return path


def test_a_wheel_needs_exactly_one_vango_entry_point(tmp_path: Path):
    good = install.read_wheel(wheel(tmp_path, "[vango.addons]\nthing = thing.plugin:hooks\n"))
    assert (good.name, good.distribution, good.version, good.entry_point) == ("thing", "thing", "1.0",
                                                                              "thing.plugin:hooks")
    with pytest.raises(install.InstallError, match=r"exactly one entry point in the 'vango\.addons' group"):
        install.read_wheel(wheel(tmp_path, "[console_scripts]\nthing = thing:main\n"))
    with pytest.raises(install.InstallError, match="must be lower case"):
        install.read_wheel(wheel(tmp_path, "[vango.addons]\nThing = thing\n"))


def test_configuration_mistakes_between_addons_exit_2():
    with pytest.raises(AddonConfigError) as caught:
        manager.order([info("p", ("q",)), info("q", ("p",))])
    assert caught.value.exit_code == 2


def test_a_hook_returning_the_wrong_thing_names_the_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    addons = plugin_set(tmp_path, monkeypatch, "def vango_steps():\n    return 5\n")
    with pytest.raises(AddonConfigError, match=r"addon probe: vango_steps must return a list, not int"):
        manager.collect(addons, "vango_steps", ctx=None)


def test_a_hook_returning_foreign_items_names_the_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    addons = plugin_set(tmp_path, monkeypatch, "def vango_gates():\n    return ['gate:size']\n")
    with pytest.raises(AddonConfigError, match=r"addon probe: vango_gates returned a str, expected Gate"):
        manager.collect(addons, "vango_gates", ctx=None)
