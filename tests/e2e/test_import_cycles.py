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


def test_a_js_module_cycle_builds_and_its_names_follow_the_documented_rule(app: Path, vango):
    """ES module cycles are legal: each member names the other's final name; its own name's hash is the
    cycle-wide one (docs/tasks.md), while the manifest's hash and integrity are of its final bytes."""
    import hashlib
    import json

    js = app / "web" / "js"
    (js / "ping.js").write_text('import { pong } from "./pong.js";\nexport const ping = () => pong;\n')
    (js / "pong.js").write_text('import { ping } from "./ping.js";\nexport const pong = () => ping;\n')
    (js / "app.js").write_text((js / "app.js").read_text() + '\nimport { ping } from "./ping.js";\nvoid ping;\n')
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr
    assets = json.loads((app / "dist" / "asset-manifest.json").read_text())["assets"]
    ping, pong = assets["js/ping.js"], assets["js/pong.js"]
    ping_bytes = (app / "dist" / ping["path"]).read_bytes()
    assert pong["path"].split("/")[-1].encode() in ping_bytes
    assert ping["hash"] == hashlib.sha384(ping_bytes).hexdigest()
    assert ping["path"].split(".")[-2] != ping["hash"][:16]  # the name's hash is the cycle's, not the bytes'
