"""``vango init [DIR]``: make a folder a Vango app with the least change.

- An empty (or new) folder gets a minimal app that builds and runs at once: vango.json, go.mod, main.go
  (standard library only: ``syscall/js``) and web/index.html with the loader marker.
- A folder holding a Go wasm project is migrated: vango.json is written (``go.main`` is the ``package main``
  that imports ``syscall/js``; ``web`` the folder of its page); go.mod is created when there is none (offline,
  as ``go mod init`` would); hand-written loaders (a ``wasm_exec.js`` script, code calling ``new Go()`` and
  instantiating) are replaced by the marker, and the project's own copies of ``wasm_exec.js`` and its
  loader-only script files are deleted; cross-origin scripts and stylesheets without an integrity go into
  ``sri.allow`` (the build then adds their origins to the CSP).

Every change is listed; what the user must still decide is listed too. ``--dry-run`` writes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.adopt.loaders import MARKER, RUNTIME_NAME, find_loaders, is_loader_code, remove_loaders
from pipeline.config.model import CONFIG_NAME
from pipeline.core.errors import ConfigError

SKIPPED = {".git", "node_modules", "vendor", "build", "dist", ".vango", "testdata"}
_PACKAGE_MAIN = re.compile(r"^\s*package\s+main\b", re.M)
_JS_IMPORT = re.compile(r'"syscall/js"')
GO_VERSION = "1.21"

MAIN_GO = '''//go:build js && wasm

// The Vango starter: a Go program compiled to WebAssembly that renders into the page.
package main

import "syscall/js"

func main() {
	document := js.Global().Get("document")
	app := document.Call("getElementById", "app")
	count := 0
	button := document.Call("createElement", "button")
	button.Set("textContent", "Clicked 0 times")
	button.Call("addEventListener", "click", js.FuncOf(func(this js.Value, args []js.Value) any {
		count++
		button.Set("textContent", "Clicked "+itoa(count)+" times")
		return nil
	}))
	app.Set("textContent", "")
	app.Call("appendChild", button)
	document.Get("documentElement").Get("dataset").Set("vangoReady", "true")
	select {}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	digits := ""
	for ; n > 0; n /= 10 {
		digits = string(rune('0'+n%10)) + digits
	}
	return digits
}
'''

INDEX_HTML = '''<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {marker}
</head>
<body>
  <main id="app">Loading…</main>
</body>
</html>
'''


@dataclass
class Plan:
    folder: Path
    writes: dict[Path, str] = field(default_factory=dict)  # path -> new text
    deletes: list[Path] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # what it does, in words
    left: list[str] = field(default_factory=list)  # what the user must still do

    def apply(self) -> None:
        for path, text in self.writes.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for path in self.deletes:
            path.unlink(missing_ok=True)


def module_name(folder: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip("-.").lower()
    return f"example.com/{name or 'app'}"


def _files(root: Path, suffix: str) -> list[Path]:
    found = []
    for path in sorted(root.rglob(f"*{suffix}")):
        parts = path.relative_to(root).parts
        if not any(p in SKIPPED or p.startswith(".") for p in parts[:-1]) and path.is_file():
            found.append(path)
    return found


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() or "."


def plan(folder: Path) -> Plan:
    """What ``vango init`` would do in ``folder`` (nothing is written)."""
    folder = folder.resolve()
    result = Plan(folder)
    if (folder / CONFIG_NAME).exists():
        raise ConfigError(f"{folder / CONFIG_NAME} exists already: this folder is a Vango app")
    existing = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    if not existing:
        return _scaffold(result)
    return _migrate(result)


# The native side of the starter: with it, Go tools that build for the host (tests, benchmarks: gate:bench)
# accept the package; the app itself is always built for js/wasm.
MAIN_OTHER_GO = """//go:build !(js && wasm)

// The starter outside the browser: nothing to render, but the package builds, so go test and the
// benchmark gate work on the host.
package main

func main() {}
"""


def _scaffold(result: Plan) -> Plan:
    folder = result.folder
    title = folder.name or "Vango app"
    result.writes[folder / CONFIG_NAME] = json.dumps({"name": title}, indent=2) + "\n"
    result.writes[folder / "go.mod"] = f"module {module_name(folder)}\n\ngo {GO_VERSION}\n"
    result.writes[folder / "main.go"] = MAIN_GO
    result.writes[folder / "main_other.go"] = MAIN_OTHER_GO
    result.writes[folder / "web" / "index.html"] = INDEX_HTML.format(title=title, marker=MARKER)
    result.changes += ["wrote vango.json, go.mod, main.go (main_other.go for the host's Go tools) and "
                       "web/index.html: a minimal app",
                       "next: vango dev (or vango build)"]
    return result


def _main_package(folder: Path) -> Path | None:
    candidates = []
    for path in _files(folder, ".go"):
        if path.name.endswith("_test.go"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if _PACKAGE_MAIN.search(text) and _JS_IMPORT.search(text) and "//go:build !js" not in text:
            candidates.append(path.parent)
    unique = sorted(set(candidates), key=lambda p: (len(p.parts), str(p)))
    return unique[0] if unique else None


def _web_folder(folder: Path) -> tuple[Path, Path] | None:
    """The page to serve and its folder: an index.html, preferring one with a Go loader."""
    pages = [p for p in _files(folder, ".html") if p.name == "index.html"]
    if not pages:
        return None

    def loader_first(page: Path) -> tuple[int, int, str]:
        text = page.read_text(encoding="utf-8", errors="replace")
        return (0 if RUNTIME_NAME in text or is_loader_code(text) else 1, len(page.parts), str(page))

    page = sorted(pages, key=loader_first)[0]
    return page.parent, page


def _migrate(result: Plan) -> Plan:
    from pipeline.assets.rewrite import html
    from pipeline.assets.sri.html import fetching_elements
    from pipeline.core import urls

    folder = result.folder
    main = _main_package(folder)
    if main is None:
        result.left.append("no package main importing syscall/js was found: set go.main in vango.json to the "
                           "folder of the wasm program")
        main = folder
    module = next((p for p in [main, *main.parents] if (p / "go.mod").is_file() and p.is_relative_to(folder)), None)
    if module is None:
        result.writes[folder / "go.mod"] = f"module {module_name(folder)}\n\ngo {GO_VERSION}\n"
        result.changes.append(f"wrote go.mod (module {module_name(folder)}), as 'go mod init' would")
    found = _web_folder(folder)
    if found is None:
        web, entry = folder / "web", folder / "web" / "index.html"
        result.writes[entry] = INDEX_HTML.format(title=folder.name, marker=MARKER)
        result.changes.append("wrote web/index.html with the loader marker (no index.html was found)")
    else:
        web, entry = found
    config: dict[str, object] = {"name": folder.name}
    if _rel(web, folder) != "web":
        config["web"] = _rel(web, folder)
    if _rel(main, folder) != ".":
        config["go"] = {"main": _rel(main, folder)}
    allow: list[str] = []
    for page in _files(web, ".html"):
        tree = html.parse(page.read_bytes())

        def read(src: str, page: Path = page) -> str | None:
            if not urls.is_local(src):
                return None
            target = (page.parent / src.split("?")[0].split("#")[0]).resolve()
            return target.read_text(encoding="utf-8", errors="replace") if target.is_file() else None

        loaders = find_loaders(tree, read)
        for item in fetching_elements(tree):
            url = (item.element.get(item.attribute) or "").strip()
            if not urls.is_local(url) and url.startswith(("http://", "https://", "//")) \
                    and item.element.get("integrity") is None:
                parts = urlsplit(url if not url.startswith("//") else "https:" + url)
                prefix = f"{parts.scheme}://{parts.netloc}/"
                if prefix not in allow:
                    allow.append(prefix)
        if not loaders:
            continue
        remove_loaders(tree, loaders)
        result.writes[page] = html.serialize(tree).decode("utf-8")
        shown = _rel(page, folder)
        for loader in loaders:
            result.changes.append(f"{shown}:{loader.line}: removed {loader.describe()}")
            if loader.kind == "file" and loader.src:
                script = (page.parent / loader.src.split("?")[0]).resolve()
                if script.is_file() and script.is_relative_to(folder):
                    result.deletes.append(script)
                    result.changes.append(f"deleted {_rel(script, folder)} (it only started the Go program)")
        result.changes.append(f"{shown}: the build's loader goes where the first one was ({MARKER})")
    for copy in _files(folder, RUNTIME_NAME):
        if copy.name == RUNTIME_NAME:
            result.deletes.append(copy)
            result.changes.append(f"deleted {_rel(copy, folder)}: the build ships its Go toolchain's own")
    if allow:
        config["sri"] = {"allow": allow}
        result.changes.append("sri.allow: " + ", ".join(allow) + " (cross-origin files without integrity; the "
                              "build adds their origins to the Content-Security-Policy)")
        result.left.append("better than sri.allow: give those files an integrity attribute of their own")
    if entry.name != "index.html" or entry.parent != web:
        config["entry"] = _rel(entry, web)
    result.writes[folder / CONFIG_NAME] = json.dumps(config, indent=2) + "\n"
    result.changes.insert(0, f"wrote vango.json: {json.dumps(config)}")
    for wasm in _files(folder, ".wasm"):
        result.left.append(f"{_rel(wasm, folder)} is an old build output: the build compiles the wasm itself; "
                           "delete it")
    result.left.append("next: vango build (or vango dev)")
    return result
