"""The JSON Schemas shipped inside the package (``<package>/schemas/<name>``), read once per process."""

from __future__ import annotations

import json
from functools import cache
from typing import Any


@cache
def package_schema(package: str, name: str) -> dict[str, Any]:
    """The schema ``name`` of ``package`` (``importlib.resources`` is imported when one is first read, not by
    every module that may read one)."""
    from importlib import resources

    return json.loads(resources.files(package).joinpath("schemas", name).read_text(encoding="utf-8"))
