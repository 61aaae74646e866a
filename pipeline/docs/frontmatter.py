"""YAML front matter: split it from the markdown and check its keys, so a typo names the file, line and key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import yaml

from pipeline.core.errors import ConfigError

try:
    _Loader: type = yaml.CSafeLoader  # libyaml when PyYAML was built with it: 1,000 front matters in ~10 ms
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

STATUSES = ("proposed", "accepted", "ratified", "superseded", "deprecated", "rejected")
KEYS = ("title", "description", "order", "weight", "section", "draft", "status")
_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)


class Meta(NamedTuple):
    title: str = ""
    description: str = ""
    order: float | None = None
    section: str = ""
    draft: bool = False
    status: str = ""


def split(text: str) -> tuple[str, str, int]:
    """(front matter YAML, body, the body's first line number - 1); no front matter gives ("", text, 0)."""
    match = _FENCE.match(text)
    if not match:
        return "", text, 0
    return match.group(1), text[match.end():], match.group(0).count("\n")


def _line(yaml_text: str, key: str) -> int:
    for number, line in enumerate(yaml_text.splitlines(), 2):  # line 1 is the opening ---
        if re.match(rf"\s*['\"]?{re.escape(key)}['\"]?\s*:", line):
            return number
    return 1


def parse(yaml_text: str, path: Path | str) -> Meta:
    """The checked front matter of ``path``; raises :class:`ConfigError` naming the key (exit 2)."""
    if not yaml_text.strip():
        return Meta()
    try:
        raw = yaml.load(yaml_text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"front matter: {problem}", path=path,
                          location=mark.line + 2 if mark is not None else 1) from None
    if raw is None:
        return Meta()
    if not isinstance(raw, dict):
        raise ConfigError("front matter must be a mapping of keys to values", path=path, location=2)

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"front matter: {key!s}: {message}", path=path, location=_line(yaml_text, str(key)))

    values: dict[str, object] = {}
    for key, value in raw.items():
        if key not in KEYS:
            raise fail(key, f"unknown key (known: {', '.join(KEYS)})")
        if key in ("title", "description", "section"):
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise fail(key, f"must be text, not {type(value).__name__}")
            values[key] = str(value).strip()
        elif key in ("order", "weight"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise fail(key, f"must be a number, not {value!r}")
            if "order" in values:
                raise fail(key, "give one of order and weight, not both")
            values["order"] = float(value)
        elif key == "draft":
            if not isinstance(value, bool):
                raise fail(key, f"must be true or false, not {value!r}")
            values[key] = value
        else:  # status
            if value not in STATUSES:
                raise fail(key, f"must be one of {', '.join(STATUSES)}, not {value!r}")
            values[key] = value
    return Meta(**values)  # type: ignore[arg-type]
