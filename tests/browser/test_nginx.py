"""The generated nginx snippet, proven by Debian's nginx: ``nginx -t`` accepts it, responses carry the
documented types, encodings, caching and CSP (file names with spaces and non-ASCII letters included), and
the app boots in Chromium through it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from browser_support import COLLECT_VIOLATIONS
from support import EXAMPLE, IGNORED, Service, free_port, require_binary, run_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ODD_IMAGE = "img/my logo é.svg"
ODD_PUBLIC = "docs/read me ü.txt"


@pytest.fixture(scope="module")
def odd_dist(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Path:
    """The example with a page-referenced image and a public file whose names have spaces and accents."""
    app = tmp_path_factory.mktemp("nginx-app") / "app"
    shutil.copytree(EXAMPLE, app, ignore=IGNORED)
    shutil.copy(app / "web" / "img" / "logo.svg", app / "web" / ODD_IMAGE)
    (app / "public" / ODD_PUBLIC).parent.mkdir(parents=True)
    (app / "public" / ODD_PUBLIC).write_text("odd but fine\n", encoding="utf-8")
    page = app / "web" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", f'<img id="odd" src="{urllib.parse.quote(ODD_IMAGE)}" alt=""></body>'), encoding="utf-8")
    run = run_pipeline(["pipeline.cli", "build"], app, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 0, run.stderr
    return app / "dist"


@pytest.fixture(scope="module")
def nginx(odd_dist: Path, tmp_path_factory: pytest.TempPathFactory):
    binary = require_binary("/usr/sbin/nginx", "nginx")
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    config = folder / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        "events {}\nhttp {\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  access_log off;\n  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n    root {odd_dist};\n    include {odd_dist / 'nginx.conf'};\n"
        "  }\n}\n", encoding="utf-8")
    checked = subprocess.run([binary, "-t", "-c", str(config), "-e", str(folder / "error.log")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    service = Service([binary, "-c", str(config), "-e", str(folder / "error.log")], port, "/", folder)
    yield service
    service.stop()


def fetch(service: Service, path: str, **headers: str):
    request = urllib.request.Request(service.url + urllib.parse.quote(path), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def assets(dist: Path) -> dict:
    return json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))["assets"]


def test_responses_carry_the_documented_headers(nginx: Service, odd_dist: Path):
    files = assets(odd_dist)
    status, headers, body = fetch(nginx, "/" + files["app.wasm"]["path"], **{"Accept-Encoding": "identity"})
    assert status == 200 and headers["content-type"] == "application/wasm"
    assert headers["cache-control"] == "public, max-age=31536000, immutable, no-transform"
    assert len(body) == files["app.wasm"]["size"]
    manifest = next(a for name, a in files.items() if name.endswith(".webmanifest"))
    assert fetch(nginx, "/" + manifest["path"])[1]["content-type"] == "application/manifest+json"

    _, zipped, body = fetch(nginx, "/" + files["app.wasm"]["path"], **{"Accept-Encoding": "gzip"})
    assert zipped["content-encoding"] == "gzip" and "Accept-Encoding" in zipped["vary"]
    assert len(body) == files["app.wasm"]["encodings"]["gzip"]["size"]

    for page in ("/", "/index.html", "/sw.js", "/some/app/route"):
        status, headers, _ = fetch(nginx, page)
        assert status == 200 and headers["cache-control"] == "no-cache, no-transform", page
    _, headers, _ = fetch(nginx, "/")
    assert "'wasm-unsafe-eval'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    with pytest.raises(urllib.error.HTTPError) as hidden:
        fetch(nginx, "/_headers")
    assert hidden.value.code == 404


def test_names_with_spaces_and_accents_are_served_and_listed_as_requested(nginx: Service, odd_dist: Path):
    image = assets(odd_dist)[ODD_IMAGE]
    assert " " in image["path"] and "é" in image["path"]
    status, headers, _ = fetch(nginx, "/" + image["path"])
    assert status == 200 and headers["cache-control"].endswith("immutable, no-transform")
    status, headers, body = fetch(nginx, "/" + ODD_PUBLIC)
    assert status == 200 and body == b"odd but fine\n" and headers["cache-control"] == "no-cache, no-transform"
    rules = (odd_dist / "_headers").read_text(encoding="utf-8").splitlines()
    assert "/" + urllib.parse.quote(image["path"]) in rules and "/" + urllib.parse.quote(ODD_PUBLIC) in rules
    assert not [line for line in rules if line.startswith("/") and " " in line]


def test_the_app_boots_through_nginx(page, nginx: Service):
    page.add_init_script(COLLECT_VIOLATIONS)
    response = page.goto(nginx.url + "/")
    assert "content-security-policy" in response.headers
    page.wait_for_selector("html[data-vango-ready=true]")
    page.fill("#new-todo", "served by nginx")
    page.press("#new-todo", "Enter")
    assert page.locator("li.todo-item").count() == 1
    assert page.evaluate("document.getElementById('odd').naturalWidth") > 0
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []
