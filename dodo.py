"""doit entry point of this repository: builds the bundled example (``VANGO_APP`` builds another app)."""

from pathlib import Path

from pipeline.dodo import tasks

globals().update(tasks(default_app=Path(__file__).parent / "examples" / "todo"))
