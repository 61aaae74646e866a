"""Lazy package exports (PEP 562): a package keeps its public names, but a submodule is imported only when
one of its names is first used, so loading the pipeline for a no-op build skips what only a gate needs."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps each public name to its submodule."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value  # later lookups find it directly
        return value

    return __getattr__


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, executed on first attribute use (the standard library's ``LazyLoader``), so a
    step that needs lxml or Pillow only while it builds costs nothing to load for a no-op run. For Python
    source modules only (the pipeline's own), and never for one whose names are needed at import time."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
