"""Everything doit needs, for a ``dodo.py`` to import: ``from pipeline.dodo import *``.

That one line gives a dodo file every pipeline task, the sqlite3 dependency database under
``build/`` (safe under concurrent and interrupted runs, unlike dbm/json), the structured reporter and
``release`` as the default task. Which app is built: see :mod:`pipeline.config.context`.
"""

from __future__ import annotations

from typing import Any

from pipeline.config.context import Paths, set_default_app
from pipeline.engine.loader import doit_creators
from pipeline.engine.reporter import VangoReporter


def doit_config() -> dict[str, Any]:
    paths = Paths.from_environment()
    paths.build_dir.mkdir(parents=True, exist_ok=True)
    return {
        "backend": "sqlite3",
        "dep_file": str(paths.db_path),
        "default_tasks": ["release"],
        "reporter": VangoReporter,
        "subtasks": True,  # `doit list` shows wasm:compile and wasm:runtime
    }


DOIT_CONFIG = doit_config()
_creators = doit_creators()
globals().update(_creators)

__all__ = ["DOIT_CONFIG", "set_default_app", *_creators]
