"""pipeline.config.model: vango.json loading, schema validation, defaults and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import model as config
from pipeline.config.model import AppConfig, CompressSettings, GoSettings
from pipeline.core.errors import ConfigError, PipelineError


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An app folder that is also the working directory, so error messages name 'vango.json'."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, body: str | dict) -> Path:
    path = folder / "vango.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def load_error(folder: Path, body: str | dict) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        config.load_config(write(folder, body))
    return info.value


def test_minimal_config_gets_defaults(app: Path) -> None:
    cfg = config.load_config(write(app, {"name": "demo"}))
    assert cfg == AppConfig(name="demo")
    assert (cfg.web, cfg.public, cfg.entry, cfg.base) == ("web", "public", "index.html", "/")
    assert cfg.go == GoSettings(main=".", toolchain=None, tags=(), ldflags=())
    assert cfg.compress == CompressSettings(brotli=True, gzip=True, brotli_quality=11, gzip_level=9, min_size=1024)


def test_defaults_live_in_one_place_and_reach_the_published_schema() -> None:
    assert '"default"' not in json.dumps(config.schema()), "the shipped schema states no defaults of its own"
    published = config.merged_schema()
    props = published["properties"]
    cfg = config.parse_config({"name": "x"}, Path("vango.json"))
    pwa = next(s for s in props["pwa"]["oneOf"] if s.get("type") == "object")["properties"]
    assert pwa["display"]["default"] == "standalone" and pwa["service_worker"]["properties"]["max_file_size"][
        "default"] == 16 * 1024 * 1024
    assert props["csp"]["properties"]["directives"]["default"] == {}
    assert props["sri"]["properties"]["algorithms"]["default"] == ["sha384"]
    for key in ("web", "public", "entry", "base"):
        assert getattr(cfg, key) == props[key]["default"]
    for key, spec in props["compress"]["properties"].items():
        assert getattr(cfg.compress, key) == spec["default"]
    assert cfg.go.main == props["go"]["properties"]["main"]["default"]


def test_full_config_is_typed(app: Path) -> None:
    body = {
        "$schema": "./node_modules/vango/vango.schema.json",
        "name": "shop",
        "web": "site",
        "public": "static",
        "entry": "app.html",
        "base": "/shop/",
        "go": {"main": "./cmd/app", "toolchain": "/opt/go/bin/go", "tags": ["prod", "x_y"], "ldflags": ["-X", "a=b"]},
        "compress": {"brotli": False, "gzip": True, "brotli_quality": 5, "gzip_level": 1, "min_size": 0},
    }
    cfg = config.load_config(write(app, body))
    assert cfg.name == "shop" and cfg.web == "site" and cfg.public == "static"
    assert cfg.entry == "app.html" and cfg.base == "/shop/"
    assert cfg.go == GoSettings("./cmd/app", "/opt/go/bin/go", ("prod", "x_y"), ("-X", "a=b"))
    assert cfg.compress == CompressSettings(False, True, 5, 1, 0)
    as_dict = cfg.as_dict()
    assert as_dict["go"]["tags"] == ("prod", "x_y")
    assert as_dict["compress"]["min_size"] == 0
    json.dumps(as_dict)  # plain data


def test_error_names_file_and_json_path(app: Path) -> None:
    err = load_error(app, {"name": "x", "compress": {"min_size": -1}})
    assert str(err).startswith("vango.json: $.compress.min_size: ")
    assert "-1" in str(err) and "minimum" in str(err)
    assert "\n" not in str(err)
    assert err.exit_code == 2
    assert isinstance(err, PipelineError)


def test_error_names_absolute_file_outside_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    err = load_error(tmp_path / "app", {"name": "x", "base": "/app"})
    assert str(err).startswith(f"{tmp_path / 'app' / 'vango.json'}: $.base: ")


@pytest.mark.parametrize(
    ("body", "json_path"),
    [
        ({}, "$"),
        ({"name": ""}, "$.name"),
        ({"name": 3}, "$.name"),
        ([1, 2], "$"),
        ({"name": "x", "base": "app/"}, "$.base"),
        ({"name": "x", "base": "/app"}, "$.base"),
        ({"name": "x", "base": "/a?b/"}, "$.base"),
        ({"name": "x", "go": {"tags": ["a b"]}}, "$.go.tags[0]"),
        ({"name": "x", "go": {"tags": ["a", "a"]}}, "$.go.tags"),
        ({"name": "x", "go": {"ldflags": [""]}}, "$.go.ldflags[0]"),
        ({"name": "x", "compress": {"brotli_quality": 12}}, "$.compress.brotli_quality"),
        ({"name": "x", "compress": {"gzip_level": 0}}, "$.compress.gzip_level"),
        ({"name": "x", "compress": {"min_size": 1.5}}, "$.compress.min_size"),
        ({"name": "x", "compress": {"gzip": "yes"}}, "$.compress.gzip"),
        ({"name": "x", "compress": "on"}, "$.compress"),
    ],
)
def test_schema_violations(app: Path, body: object, json_path: str) -> None:
    message = str(load_error(app, json.dumps(body)))
    assert message.startswith(f"vango.json: {json_path}: ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("body", "json_path", "key"),
    [
        ({"name": "x", "bogus": 1}, "$", "bogus"),
        ({"name": "x", "go": {"mian": "."}}, "$.go", "mian"),
        ({"name": "x", "compress": {"zstd": True}}, "$.compress", "zstd"),
    ],
)
def test_unknown_keys_are_rejected(app: Path, body: dict, json_path: str, key: str) -> None:
    message = str(load_error(app, body))
    assert message.startswith(f"vango.json: {json_path}: ")
    assert repr(key) in message


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ('{\n  "name": "x",\n  "web": ,\n}', "3:10"),
        ('{"name": "x",}', "1:14"),
        ("", "1:1"),
        ('{"name": "x"} trailing', "1:15"),
    ],
)
def test_json_syntax_errors_give_line_and_column(app: Path, text: str, location: str) -> None:
    err = load_error(app, text)
    assert str(err).startswith(f"vango.json:{location}: invalid JSON: ")
    assert "\n" not in str(err)
    assert err.exit_code == 2


def test_missing_file(app: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load_config(app / "vango.json")
    assert str(info.value).startswith("vango.json: not found")
    assert info.value.exit_code == 2


def test_non_utf8_file(app: Path) -> None:
    path = app / "vango.json"
    path.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(ConfigError) as info:
        config.load_config(path)
    assert str(info.value).startswith("vango.json: not UTF-8 (byte 13)")
    assert "\n" not in str(info.value)


def test_directory_instead_of_file(app: Path) -> None:
    (app / "vango.json").mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        config.load_config(app / "vango.json")


def test_inside_accepts_paths_in_the_app(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    cfg = tmp_path / "vango.json"
    assert config.inside(tmp_path, "web", config=cfg, key="web") == (tmp_path / "web").resolve()
    assert config.inside(tmp_path, "x/../web", config=cfg, key="web") == (tmp_path / "web").resolve()
    assert config.inside(tmp_path, ".", config=cfg, key="web") == tmp_path.resolve()
    assert config.inside(tmp_path, "not/yet/created", config=cfg, key="public") == (
        tmp_path.resolve() / "not/yet/created"
    )


@pytest.mark.parametrize("relative", ["..", "../sibling", "web/../../x", "/etc"])
def test_inside_rejects_escaping_paths(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "app"
    root.mkdir()
    with pytest.raises(ConfigError) as info:
        config.inside(root, relative, config=root / "vango.json", key="web")
    assert "$.web: " in str(info.value)
    assert repr(relative) in str(info.value)
    assert info.value.exit_code == 2


def test_inside_rejects_symlink_out_of_the_app(tmp_path: Path) -> None:
    root, outside = tmp_path / "app", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "web").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match=r"\$\.web: "):
        config.inside(root, "web", config=root / "vango.json", key="web")


def test_every_problem_is_reported_at_once_in_document_order(app: Path) -> None:
    error = load_error(app, {"name": "", "base": "app", "compress": {"gzip_level": 0, "zstd": True}})
    assert error.lines() == [
        "vango.json: $.base: 'app' must start and end with \"/\" (like \"/\" or \"/app/\") and contain no "
        "\"?\" or \"#\"",
        "vango.json: $.compress: unknown key 'zstd'",
        "vango.json: $.compress.gzip_level: 0 is less than the minimum of 1",
        "vango.json: $.name: '' should be non-empty",
    ]


@pytest.mark.parametrize(("body", "expected"), [
    ({"name": "x", "webb": "web"}, "$: unknown key 'webb' (did you mean 'web'?)"),
    ({"name": "x", "go": {"mian": "."}}, "$.go: unknown key 'mian' (did you mean 'main'?)"),
    ({"name": "x", "compres": {}}, "$: unknown key 'compres' (did you mean 'compress'?)"),
    ({"name": "x", "go": {"tags": ["a b"]}}, "$.go.tags[0]: 'a b' may contain only letters, digits"),
    ({"name": "x", "csp": {"directives": {"connect-src": ["a b"]}}}, "must be a single CSP source"),
    ({"name": "x", "sri": {"allow": ["cdn.example"]}}, "must be a cross-origin URL prefix"),
])
def test_mistakes_are_explained_in_words(app: Path, body: dict, expected: str) -> None:
    message = str(load_error(app, body))
    assert expected in message and "^" not in message, message


def test_a_duplicate_key_is_an_error_naming_its_line(app: Path) -> None:
    error = load_error(app, '{\n  "name": "x",\n  "web": "web",\n  "web": "site"\n}\n')
    assert str(error) == "vango.json:4:3: duplicate key 'web': each key may appear once per object"
    assert error.exit_code == 2


def test_a_deeply_nested_file_is_a_one_line_error(app: Path) -> None:
    error = load_error(app, '{"name": "x", "go": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert str(error) == "vango.json: invalid JSON: nested too deeply to read"


@pytest.mark.parametrize("key", ["theme_color", "background_color"])
def test_pwa_colours_must_be_css_colours(app: Path, key: str) -> None:
    (app / "icon.png").write_bytes(b"")
    message = str(load_error(app, {"name": "x", "pwa": {"icon": "icon.png", key: "notacolour"}}))
    assert message == f"vango.json: $.pwa.{key}: 'notacolour' is not a colour; use e.g. '#1e293b', " \
        "'rgb(30, 41, 59)' or 'white'"


def test_a_translucent_theme_colour_is_fine(app: Path) -> None:
    (app / "icon.png").write_bytes(b"")
    body = {"name": "x", "pwa": {"icon": "icon.png", "theme_color": "rgb(0 0 0 / 50%)"}}
    cfg = config.load_config(write(app, body))
    assert cfg.pwa.theme_color == "rgb(0 0 0 / 50%)"
