"""A stylesheet @import cycle is an error naming the cycle and the line; dist/ stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import contents

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("files", "cycle", "line"), [
    ({"css/loop.css": '@import "loop.css";\nbody { margin: 0; }\n'}, "css/loop.css -> css/loop.css", 1),
    ({"css/a.css": 'body { color: red; }\n@import url("b.css");\n', "css/b.css": '@import "c.css";\n',
      "css/c.css": '@import "a.css";\n'}, "css/a.css -> css/b.css -> css/c.css -> css/a.css", 2),
], ids=["itself", "three"])
def test_an_import_cycle_is_an_error_naming_it(app: Path, vango, files: dict[str, str], cycle: str, line: int):
    assert vango(app, "build").returncode == 0
    before = contents(app / "dist")
    for name, text in files.items():
        (app / "web" / name).write_text(text, encoding="utf-8")
    run = vango(app, "build")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    (failed,) = [e for e in run.events if e.get("event") == "task.failed"]
    first = next(iter(files))
    assert failed["task"] == "css"
    assert failed["error"].startswith(f"web/{first}:{line}: @import cycle: {cycle}; a stylesheet cannot import itself")
    assert contents(app / "dist") == before
