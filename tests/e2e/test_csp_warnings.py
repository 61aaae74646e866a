"""A build says, file:line, what its Content-Security-Policy will block in the browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_blocked_inline_code_and_data_fonts_are_build_warnings(app: Path, vango):
    page = app / "web" / "index.html"
    lines = page.read_text(encoding="utf-8").splitlines()
    body = next(i for i, line in enumerate(lines) if line.startswith("<body"))
    lines.insert(body + 1, '<a href="javascript:history.back()" onclick="track()">back</a>')
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    css = app / "web" / "css" / "theme.css"
    css.write_text(css.read_text(encoding="utf-8") + '\n@font-face { font-family: D; src: url("data:font/woff2;'
                   'base64,AAAA"); }\n', encoding="utf-8")
    font_line = css.read_text(encoding="utf-8").count("\n")
    run = vango(app, "build")
    assert run.returncode == 0, run.stderr  # warnings, not errors: the page still works without them
    warnings = sorted(e["msg"] for e in run.events if e.get("event") == "csp.blocked")
    assert warnings == sorted([
        f"web/index.html:{body + 2}: inline handler onclick= on <a> is blocked by the Content-Security-Policy "
        "(script-src allows no inline code): attach it with addEventListener in a script file",
        f"web/index.html:{body + 2}: javascript: URL in <a href=> is blocked by the Content-Security-Policy: use a "
        "button and a listener in a script file",
        f"web/css/theme.css:{font_line}: data: font in @font-face is blocked by the Content-Security-Policy "
        "(font-src 'self'): ship the font as a file, or add data: to csp.directives.font-src"])

    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    config["csp"] = {"directives": {"font-src": ["'self'", "data:"]}}
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    again = vango(app, "build")
    assert not [e for e in again.events if e.get("event") == "csp.blocked" and "theme.css" in e["msg"]]
