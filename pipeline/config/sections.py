"""Config sections that addons own: ``addons.<name>`` in vango.json, with a JSON Schema fragment and a typed
model, validated with the built-in keys (same one-line errors, ``vango.json: $.addons.<name>.<key>: …``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConfigSection:
    """``name`` is the key under ``addons``; ``schema`` the JSON Schema of its object; ``model`` a class
    built from the validated object as keyword arguments (a dataclass: its field defaults are the defaults),
    or None to keep the plain dict."""

    name: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    model: type | None = None
    description: str = ""

    def build(self, data: Mapping[str, Any]) -> Any:
        if self.model is None:
            return dict(data)
        if dataclasses.is_dataclass(self.model):
            names = {f.name for f in dataclasses.fields(self.model)}
            data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
        return self.model(**data)
