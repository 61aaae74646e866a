"""A generated app with many assets, so the benchmarks show how the pipeline's cost grows with size."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "todo"
PEERS = Path(__file__).resolve().parent / "peers"  # package.json of the npm tools measured against
SIZES = (100, 1000)


def installed_env(**extra: str) -> dict[str, str]:
    """The environment of a timed run, as an installed pipeline runs: with bytecode. pip compiles an
    installed package's modules at install and an editable install writes them on first import, unless
    PYTHONDONTWRITEBYTECODE forbids it; then every run would compile the pipeline from source (doit, the
    peer it is timed against, was compiled by pip), which no user's run does."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def generate_app(root: Path, assets: int) -> Path:
    """``assets`` web files: a quarter stylesheets (each using an image), a quarter JS modules (chained
    imports), half images, and one page referencing every stylesheet and module; the Go code is the
    example's."""
    app = root / f"app-{assets}"
    if app.exists():
        return app
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("web", "build", "dist"))
    web = app / "web"
    (web / "css").mkdir(parents=True)
    (web / "js").mkdir()
    (web / "img").mkdir()
    quarter = max(1, assets // 4)
    for i in range(assets - 2 * quarter):
        (web / "img" / f"i{i}.png").write_bytes(bytes([i % 251]) * 700 + i.to_bytes(4, "big"))
    links = []
    for i in range(quarter):
        rules = "\n".join(f".c{i}-{j} {{ margin: {j}px; padding: {i % 7}px {j % 5}px; }}" for j in range(40))
        (web / "css" / f"s{i}.css").write_text(f".bg{i} {{ background: url(../img/i{i}.png); }}\n{rules}\n")
        links.append(f'<link rel="stylesheet" href="css/s{i}.css">')
    for i in range(quarter):
        dep = f'import {{ f{i - 1} }} from "./m{i - 1}.js";\n' if i else ""
        (web / "js" / f"m{i}.js").write_text(f"{dep}export function f{i}(x) {{ return x + {i}; }}\n")
        links.append(f'<script type="module" src="js/m{i}.js"></script>')
    body = "\n".join(links)
    (web / "index.html").write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>bench</title>\n'
                                    f'<link data-vango rel="go">\n{body}\n</head><body></body></html>\n')
    config = (app / "vango.json").read_text().replace('"web/img/icon.png"', '"icon.png"')
    (app / "vango.json").write_text(config)
    shutil.copy(EXAMPLE / "web" / "img" / "icon.png", app / "icon.png")
    return app


def generate_site(root: Path, assets: int) -> Path:
    """A more realistic shape than :func:`generate_app` for the same number of web files: a twentieth pages in
    nested section folders, each with its own four stylesheets (each using an image) and four modules; the
    modules import two of a shared library's (fan-out and fan-in, not a chain); the images in folders of 250.
    An edit of one stylesheet then changes one page, not one that references every file."""
    app = root / f"site-{assets}"
    if app.exists():
        return app
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("web", "build", "dist"))
    web = app / "web"
    pages, per_page = max(1, assets // 20), 4
    sheets = modules = pages * per_page
    library = max(1, modules // 10)
    images = max(1, assets - pages - sheets - modules - 1)
    for i in range(images):
        folder = web / "img" / f"g{i // 250}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"i{i}.png").write_bytes(bytes([i % 251]) * 700 + i.to_bytes(4, "big"))
    for i in range(sheets):
        folder = web / "css" / f"sec{i // 100}"
        folder.mkdir(parents=True, exist_ok=True)
        image = i % images
        rules = "\n".join(f".c{i}-{j} {{ margin: {j}px; padding: {i % 7}px {j % 5}px; }}" for j in range(40))
        (folder / f"s{i}.css").write_text(f".bg{i} {{ background: url(../../img/g{image // 250}/i{image}.png); }}\n"
                                          f"{rules}\n")
    for i in range(modules):
        folder = web / "js" / ("lib" if i < library else f"sec{i // 100}")
        folder.mkdir(parents=True, exist_ok=True)
        prefix = "./" if i < library else "../lib/"
        # A library module imports one before it (no cycles); a page's module two of the library.
        imports = ([(i * 7 + 3) % i] if i else []) if i < library else sorted({(i * 7 + 3) % library, i % library})
        lines = [f'import {{ f{k} }} from "{prefix}m{k}.js";' for k in imports]
        uses = " + ".join([f"f{k}(x)" for k in imports] or ["x"])
        (folder / f"m{i}.js").write_text("\n".join([*lines, f"export function f{i}(x) {{ return {uses} + {i}; }}\n"]))
    links = []
    for j in range(pages):
        section = web / "sections" / f"sec{j // 25}"
        section.mkdir(parents=True, exist_ok=True)
        head = []
        for k in range(j * per_page, (j + 1) * per_page):
            head.append(f'<link rel="stylesheet" href="../../css/sec{k // 100}/s{k}.css">')
            folder = "lib" if k < library else f"sec{k // 100}"
            head.append(f'<script type="module" src="../../js/{folder}/m{k}.js"></script>')
        body = "".join(f'<p class="c{j * per_page}-{n}">Paragraph {n} of page {j}.</p>\n' for n in range(8))
        (section / f"page{j}.html").write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Page {j}'
                                               f'</title>\n{chr(10).join(head)}\n</head><body>\n{body}</body></html>\n')
        links.append(f'<li><a href="sections/sec{j // 25}/page{j}.html">Page {j}</a></li>')
    (web / "index.html").write_text('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>site</title>\n'
                                    '<link data-vango rel="go">\n</head><body><ul>\n' + "\n".join(links[:50])
                                    + "\n</ul></body></html>\n")
    config = (app / "vango.json").read_text().replace('"web/img/icon.png"', '"icon.png"')
    (app / "vango.json").write_text(config)
    shutil.copy(EXAMPLE / "web" / "img" / "icon.png", app / "icon.png")
    return app


def build(app: Path) -> Path:
    env = {**os.environ, "VANGO_LOG_FORMAT": "json"}
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=app, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return app / "dist"


@pytest.fixture(scope="session")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("bench-apps")
    return {n: generate_app(root, n) for n in SIZES}


@pytest.fixture(scope="session")
def built(apps: dict[int, Path]) -> dict[int, Path]:
    return {n: build(app) for n, app in apps.items()}


@pytest.fixture(scope="session")
def node_peers() -> Path:
    """Workbox and size-limit at the versions of ``peers/package.json``, installed from npm's registry once
    per version set (into the user's cache folder), with the peers' scripts next to them."""
    import hashlib

    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are required under CI=true (.ci/run installs them)")
        pytest.skip("node or npm is not installed: the peers cannot run")
    spec = (PEERS / "package.json").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    root = cache / "vango-benchmarks" / f"peers-{hashlib.sha256(spec).hexdigest()[:12]}"
    done = root / "node_modules" / ".vango-installed"
    if not done.is_file():
        root.mkdir(parents=True, exist_ok=True)
        (root / "package.json").write_bytes(spec)
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
                              cwd=root, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
        done.write_text("")
    for script in PEERS.glob("*.mjs"):
        shutil.copyfile(script, root / script.name)  # resolved against the installed node_modules
    return root
