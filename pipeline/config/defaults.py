"""The defaults of the settings dataclasses: the one place defaults are written down, read here for the
config loader and for the published schema."""

from __future__ import annotations

import dataclasses
from typing import Any


def field_defaults(cls: type) -> dict[str, Any]:
    """Each field's default (from ``default`` or ``default_factory``); fields without one are left out."""
    found: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            found[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            found[f.name] = f.default_factory()
    return found
