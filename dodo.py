"""doit entry point of this repository: builds the bundled example (set VANGO_APP to build another app)."""

from pathlib import Path

from pipeline.dodo import *  # noqa: F403  (every pipeline task and DOIT_CONFIG)

set_default_app(Path(__file__).parent / "examples" / "todo")  # noqa: F405
