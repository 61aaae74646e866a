"""Everything doit needs, for a ``dodo.py``: ``from pipeline.dodo import *`` (the app is ``VANGO_APP`` or the
working directory), or ``globals().update(tasks(default_app=...))`` to name the app.

Either gives the dodo file every task the registry declares (built-in steps and installed addons), the
sqlite3 dependency database under ``build/`` (safe under concurrent and interrupted runs, unlike dbm/json),
the structured reporter and ``release`` as the default task. Importing this module does nothing by itself:
the settings are read, the addons verified and vango.json loaded when the dodo file asks for the tasks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def tasks(default_app: str | os.PathLike[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """The dodo namespace for the app (``VANGO_APP`` wins over ``default_app``), settings from the environment."""
    from pipeline.config.settings import Settings, set_default_app
    from pipeline.engine.loader import namespace

    if default_app is not None:
        set_default_app(Path(default_app))
    return namespace(Settings.from_environment(**overrides))


_namespace: dict[str, Any] | None = None


def __getattr__(name: str) -> Any:
    """``from pipeline.dodo import *`` asks for ``__all__`` and then each name: build the namespace then."""
    global _namespace
    if name.startswith("__") and name != "__all__":
        raise AttributeError(name)
    if _namespace is None:
        _namespace = tasks()
    if name == "__all__":
        return list(_namespace)
    try:
        return _namespace[name]
    except KeyError:
        raise AttributeError(name) from None
