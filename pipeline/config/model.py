"""Load and validate ``vango.json`` into typed settings.

Validation uses the JSON Schema shipped in ``pipeline/config/schemas`` (the same file editors use through
``"$schema"``), so the rules live in one place; this module only adds defaults and path checks.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config.defaults import field_defaults
from pipeline.config.sections import ConfigSection
from pipeline.config.settings import CONFIG_NAME  # noqa: F401  (one name for the file)
from pipeline.core.errors import ConfigError
from pipeline.core.inputs import read_json
from pipeline.core.schemas import package_schema
from pipeline.core.validity import validated
from pipeline.pwa.settings import PwaSettings

ICON_DEFAULT = "icon.png"  # the PWA icon source when pwa.icon is not set: web/icon.png, then icon.png


@dataclass(frozen=True)
class GoSettings:
    main: str = "."
    toolchain: str | None = None
    tags: tuple[str, ...] = ()
    ldflags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompressSettings:
    brotli: bool = True
    gzip: bool = True
    brotli_quality: int = 11
    gzip_level: int = 9
    min_size: int = 1024


@dataclass(frozen=True)
class MinifySettings:
    """Release builds minify what they generate and what the app's web folder holds (the dev profile never)."""

    html: bool = True
    css: bool = True
    js: bool = True


@dataclass(frozen=True)
class SriSettings:
    algorithms: tuple[str, ...] = ("sha384",)
    allow: tuple[str, ...] = ()


@dataclass(frozen=True)
class CspSettings:
    enabled: bool = True
    meta: bool = False
    directives: tuple[tuple[str, tuple[str, ...]], ...] = ()  # extra sources per directive, sorted


@dataclass(frozen=True)
class DeploySettings:
    keep_releases: int = 2


@dataclass(frozen=True)
class PublishSettings:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppConfig:
    """Validated ``vango.json``; paths are still relative to the app folder."""

    name: str
    web: str = "web"
    public: str = "public"
    entry: str = "index.html"
    base: str = "/"
    go: GoSettings = field(default_factory=GoSettings)
    compress: CompressSettings = field(default_factory=CompressSettings)
    minify: MinifySettings = field(default_factory=MinifySettings)
    sri: SriSettings = field(default_factory=SriSettings)
    csp: CspSettings = field(default_factory=CspSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    pwa: PwaSettings | None = None
    addons: tuple[tuple[str, Any], ...] = ()  # (name, typed settings) of every installed addon's section

    @property
    def addon_settings(self) -> Mapping[str, Any]:
        return dict(self.addons)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for doit's ``config_changed`` and for logs."""
        from dataclasses import asdict

        return asdict(self)


def schema(name: str = "vango.schema.json") -> dict[str, Any]:
    """A JSON Schema shipped in ``pipeline/config/schemas``."""
    return package_schema("pipeline.config", name)


def load_config(path: Path, *, force_pwa: bool = False, sections: Iterable[ConfigSection] = (),
                memo: Path | None = None) -> AppConfig:
    """Read, validate and type ``vango.json``; any problem is a one-line :class:`ConfigError`.

    ``force_pwa`` (``vango build --pwa``) turns the PWA on even when the file does not; ``memo``: a folder
    remembering which documents passed the schema (see :func:`parse_config`)."""
    data = read_json(path, error=ConfigError, missing="not found: every Vango app needs a vango.json with a name",
                     unique_keys=True)
    return parse_config(data, path, force_pwa=force_pwa, sections=sections, memo=memo)


def _pwa(data: dict[str, Any], base: str, path: Path, force: bool) -> PwaSettings | None:
    value = data.get("pwa", False)
    if value is False and not force:
        return None
    value = {} if value in (True, False) else dict(value)
    if "icon" not in value:
        defaults = [f"{data.get('web', AppConfig.web)}/{ICON_DEFAULT}", ICON_DEFAULT]
        found = next((c for c in defaults if (path.parent / c).is_file()), None)
        if found is None:
            raise ConfigError(f"$.pwa.icon: the PWA needs a source image for its icons (at least 512 px); set it or "
                              f"add {defaults[0]}", path=path)
        value["icon"] = found
    sw = value.setdefault("service_worker", {})
    sw.setdefault("denylist", [f"^{re.escape(base)}api/"])  # API calls are never answered with HTML
    settings = PwaSettings.from_dict(value, base, path=path)
    if not settings.scope.startswith(base):
        raise ConfigError(f"$.pwa.scope: {settings.scope!r} is outside base {base!r} (the worker lives at base)",
                          path=path)
    return settings


def parse_config(data: Any, path: Path, *, force_pwa: bool = False, sections: Iterable[ConfigSection] = (),
                 memo: Path | None = None) -> AppConfig:
    """Validate already-decoded JSON against the schema (with the addons' sections merged in) and type it.

    The defaults live in the dataclasses above: a key the file leaves out takes its field's default."""
    sections = tuple(sections)
    document = merged_schema(sections)
    problems = validated(memo, data, document, lambda: schema_problems(data, document))
    if problems:
        raise ConfigError(problems[0], path=path, more=tuple(problems[1:]))
    go, sri, csp = data.get("go", {}), data.get("sri", {}), data.get("csp", {})
    plain = {k: data[k] for k in ("name", "web", "public", "entry", "base") if k in data}
    return AppConfig(
        **plain,
        go=GoSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in go.items()}),
        compress=CompressSettings(**data.get("compress", {})),
        minify=MinifySettings(**data.get("minify", {})),
        sri=SriSettings(**{k: tuple(v) for k, v in sri.items()}),
        csp=CspSettings(**{k: v for k, v in csp.items() if k != "directives"},
                        directives=tuple(sorted((k, tuple(v)) for k, v in csp.get("directives", {}).items()))),
        deploy=DeploySettings(**data.get("deploy", {})),
        publish=PublishSettings(**{k: tuple(v) for k, v in data.get("publish", {}).items()}),
        pwa=_pwa(data, data.get("base", AppConfig.base), path, force_pwa),
        addons=tuple((s.name, s.build(data.get("addons", {}).get(s.name, {}))) for s in sorted(sections,
                                                                                                 key=_by_name)),
    )


def schema_problems(data: Any, document: Mapping[str, Any]) -> list[str]:
    """Every schema violation, as ``<json path>: <what is wrong, in words>``, in document order."""
    found = []
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    for error in Draft202012Validator(document).iter_errors(data):
        found.append(best_match([error]))  # the most specific reason inside oneOf/anyOf
    found.sort(key=lambda e: [str(p) for p in e.absolute_path])
    messages = []
    for error in found:
        message = describe(error)
        if message not in messages:
            messages.append(message)
    return messages


def describe(error: Any) -> str:
    """One violation in words: unknown keys with a suggestion, patterns explained instead of shown."""
    where = error.json_path
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known]
        parts = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            parts.append(f"unknown key {key!r}{hint}")
        if where == "$.addons":
            installed = ", ".join(known) or "none"
            return f"{where}: {'; '.join(parts)}: no installed addon has that name (installed: {installed})"
        return f"{where}: {'; '.join(parts)}"
    if error.validator == "pattern" and error.schema.get("x-pattern-help"):
        return f"{where}: {error.instance!r} {error.schema['x-pattern-help']}"
    return f"{where}: {error.message}"


def _by_name(section: ConfigSection) -> str:
    return section.name


def merged_schema(sections: Iterable[ConfigSection] = ()) -> dict[str, Any]:
    """The published schema of vango.json: the built-in keys plus one ``addons.<name>`` object per section,
    with the defaults filled in from the settings classes (the one place they are defined)."""
    merged = copy.deepcopy(schema())
    with_defaults(merged, AppConfig)
    with_defaults(next(s for s in merged["properties"]["pwa"]["oneOf"] if s.get("type") == "object"), PwaSettings)
    addons = merged["properties"]["addons"]["properties"]
    for section in sections:
        fragment = {"description": section.description or f"Settings of the {section.name} addon.",
                    **copy.deepcopy(dict(section.schema))}
        if section.model is not None and dataclasses.is_dataclass(section.model):
            with_defaults(fragment, section.model)
        addons[section.name] = fragment
    return merged


def with_defaults(node: dict[str, Any], cls: type) -> None:
    """Annotate ``node``'s properties with the defaults of the dataclass ``cls`` (nested ones recursively)."""
    properties = node.get("properties", {})
    for name, value in field_defaults(cls).items():
        target = properties.get(name)
        if target is None:
            continue
        if dataclasses.is_dataclass(value):
            with_defaults(target, type(value))
        elif value is not None:
            target.setdefault("default", _json_value(name, value))


def _json_value(name: str, value: Any) -> Any:
    if name == "directives":
        return {k: list(v) for k, v in value}
    return list(value) if isinstance(value, tuple) else value


def inside(root: Path, relative: str, *, config: Path, key: str) -> Path:
    """Resolve a configured path and refuse one that escapes the app folder."""
    resolved = (root / relative).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ConfigError(f"$.{key}: {relative!r} points outside the app folder", path=config)
    return resolved
