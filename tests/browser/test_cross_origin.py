"""Cross-origin files the app chose: the generated CSP allows what the build accepted (sri.allow, or a file
carrying its own integrity), and one that fails to load is a console warning naming its full URL, not an
error box over a working app."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser_support import COLLECT_VIOLATIONS, wait_for
from support import EXAMPLE, IGNORED, run_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

STYLE = b"body { outline: 3px solid rgb(1, 2, 3); }\n"
SCRIPT = b"document.documentElement.dataset.cdn = 'loaded';\n"


class Cdn(BaseHTTPRequestHandler):
    """Another origin serving a stylesheet and a script with CORS, and 404 for anything else."""

    files = {"/lib/style.css": ("text/css", STYLE), "/lib/widget.js": ("text/javascript", SCRIPT)}

    def do_GET(self) -> None:
        found = self.files.get(self.path)
        self.send_response(200 if found else 404)
        self.send_header("access-control-allow-origin", "*")
        self.send_header("content-type", found[0] if found else "text/plain")
        self.end_headers()
        self.wfile.write(found[1] if found else b"not here")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def cdn():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Cdn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def cdn_dist(cdn: str, tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    app = tmp_path_factory.mktemp("cdn-app") / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(SCRIPT).digest()).decode()
    page = app / "web" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</head>", (
        f'<link rel="stylesheet" href="{cdn}/lib/style.css">\n'
        f'<script src="{cdn}/lib/widget.js" integrity="{integrity}" defer></script>\n'
        f'<link rel="stylesheet" href="{cdn}/lib/missing.css">\n</head>')), encoding="utf-8")
    config = json.loads((app / "vango.json").read_text(encoding="utf-8"))
    config["sri"] = {"allow": [f"{cdn}/lib/"]}
    (app / "vango.json").write_text(json.dumps(config), encoding="utf-8")
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0, run.stderr
    return app / "dist"


def test_the_policy_allows_what_the_build_accepted(cdn_dist: Path, cdn: str):
    headers = (cdn_dist / "_headers").read_text(encoding="utf-8")
    policy = next(line for line in headers.splitlines() if "Content-Security-Policy" in line)
    for directive in ("script-src", "style-src", "connect-src"):
        sources = policy.split(f"{directive} ")[1].split(";")[0].split()
        assert cdn in sources, directive


def test_a_failing_cross_origin_file_is_a_warning_and_the_app_runs(page, serve, cdn_dist: Path, cdn: str):
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(serve(cdn_dist))
    page.wait_for_selector("html[data-vango-ready=true]")
    wait_for(page, "() => document.documentElement.dataset.cdn === 'loaded'")
    assert page.evaluate("getComputedStyle(document.body).outlineColor") == "rgb(1, 2, 3)"
    page.wait_for_timeout(500)  # the guard's explanation is asynchronous
    assert page.locator("#vango-error").count() == 0
    assert any(f"{cdn}/lib/missing.css" in w and "HTTP 404" in w for w in warnings), warnings
    assert page.evaluate("window.__cspViolations") == []
